#include "hogwild/synchronous_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_SYNCHRONOUS(View)                                                                 \
    template TrainResult train_minibatch<View>(const View&, const Targets&, const TrainConfig&, ModelState&,   \
                                               const TrainHooks&);                                           \
    template TrainResult train_gd<View>(const View&, const Targets&, const TrainConfig&, ModelState&,          \
                                        const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_SYNCHRONOUS)

}  // namespace hogwild
