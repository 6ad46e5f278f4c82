#include "hogwild/async_solver.hpp"

#include "data_layouts.hpp"

HOGWILD_INSTANTIATE_SOLVER(make_async_session)
