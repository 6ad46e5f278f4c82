#include "hogwild/sequential_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_SEQUENTIAL(View)                                                                 \
    template TrainResult train_sequential<View>(const View&, const Targets&, const TrainConfig&, ModelState&, \
                                                const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_SEQUENTIAL)

}  // namespace hogwild
