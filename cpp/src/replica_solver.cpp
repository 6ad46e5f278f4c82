#include "hogwild/replica_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_REPLICAS(View)                                                                  \
    template TrainResult train_local<View>(const View&, const Targets&, const TrainConfig&, ModelState&,    \
                                           const TrainHooks&);                                              \
    template TrainResult train_easgd<View>(const View&, const Targets&, const TrainConfig&, ModelState&,    \
                                           const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_REPLICAS)

}  // namespace hogwild
