// The choices among the configuration's options (see config.hpp), apart
// from it so that the per-coordinate math can name them.
#pragma once

namespace hogwild {

enum class Penalty : int { none = 0, l2, l1, elasticnet };
// pa1 / pa2: passive-aggressive steps (Crammer et al. 2006), eta0 is C.
// exponential: eta0 * gamma^epoch; step: eta0 * gamma^(epoch / step_epochs)
// (epochs counted from 0, integer division), as in the Hogwild! paper.
enum class LearningRate : int { constant = 0, optimal, invscaling, adaptive, pa1, pa2, exponential, step, barzilai_borwein };
enum class WritePolicyKind : int { racy = 0, atomic, locked };
// How a coordinate's gradient becomes a step (see optimizer.hpp).
enum class Optimizer : int { sgd = 0, momentum, nesterov, adagrad, rmsprop, adam };
// Shared weights of the buckwild solver.
enum class Precision : int { int8 = 0, int16, bfloat16 };
// NUMA: automatic: a model replica per node where the threads span several
// nodes; off: one shared model; replicate: replicas even on one node.
enum class NumaMode : int { automatic = 0, off, replicate };
// Where node replicas' threads read the data: off: the caller's arrays in
// place; shard: node k a copy of its contiguous share of the rows;
// replicate: every node a copy of all rows (see solvers/node_data.hpp).
enum class NumaData : int { off = 0, shard, replicate };

}  // namespace hogwild
