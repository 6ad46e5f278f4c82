#include "hogwild/buckwild_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_BUCKWILD(View)                                                                  \
    template TrainResult train_buckwild<View>(const View&, const Targets&, const TrainConfig&, ModelState&, \
                                              const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_BUCKWILD)

}  // namespace hogwild
