#include "hogwild/hogwild_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_HOGWILD(View)                                                                 \
    template TrainResult train_hogwild<View>(const View&, const Targets&, const TrainConfig&, ModelState&, \
                                             const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_HOGWILD)

}  // namespace hogwild
