#include "hogwild/hogwild_solver.hpp"

#include "data_layouts.hpp"

HOGWILD_INSTANTIATE_SOLVER(make_hogwild_session)
