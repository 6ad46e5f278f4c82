#include "hogwild/synchronous_solver.hpp"

#include "data_layouts.hpp"

HOGWILD_INSTANTIATE_SOLVER(make_minibatch_session)
HOGWILD_INSTANTIATE_SOLVER(make_gd_session)
