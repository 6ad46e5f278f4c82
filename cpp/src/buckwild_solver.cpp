#include "hogwild/buckwild_solver.hpp"

#include "data_layouts.hpp"

HOGWILD_INSTANTIATE_SOLVER(make_buckwild_session)
