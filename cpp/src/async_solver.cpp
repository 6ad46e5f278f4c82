#include "hogwild/async_solver.hpp"

#include "data_layouts.hpp"

namespace hogwild {

#define HOGWILD_INSTANTIATE_ASYNC(View)                                                                  \
    template TrainResult train_async<View>(const View&, const Targets&, const TrainConfig&, ModelState&, \
                                           const TrainHooks&);
HOGWILD_FOR_EACH_LAYOUT(HOGWILD_INSTANTIATE_ASYNC)

}  // namespace hogwild
