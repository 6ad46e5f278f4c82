#include "hogwild/replica_solver.hpp"

#include "data_layouts.hpp"

HOGWILD_INSTANTIATE_SOLVER(make_local_session)
HOGWILD_INSTANTIATE_SOLVER(make_easgd_session)
