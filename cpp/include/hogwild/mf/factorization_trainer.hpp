// Training a factor model by SGD, one epoch per call, under one of three
// parallel schedules:
//
//   sequential  one thread, a full reshuffle of the ratings every epoch:
//               the bit-reproducible reference.
//   hogwild     threads take equal shares of the (once shuffled) ratings,
//               reshuffle their share every epoch and write the shared
//               factors lock-free (Niu, Recht, Re & Wright, NIPS 2011;
//               matrix completion was one of its benchmarks).
//   blocks      LIBMF's FPSGD (Zhuang, Chin, Juan & Lin, RecSys 2013): users
//               and items are cut into bands at random, the ratings into
//               the grid of (user band, item band) blocks; a thread takes a
//               block whose user and item bands no other thread holds, so
//               no two threads ever touch the same factor row, and every
//               block is trained once per epoch.
//
// The trainer owns a copy of the ratings in the order its schedule reads
// them (12 bytes a rating); the model's arrays stay its caller's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/mf/factor_model.hpp"

namespace hogwild::mf {

enum class Schedule : int { sequential = 0, hogwild, blocks };

Schedule schedule_from_name(const std::string& name);  // std::invalid_argument on another name

struct EpochResult {
    double squared_error = 0.0;  // of the ratings seen, each before its update
    std::int64_t ratings = 0;    // trained this epoch (fewer when interrupted)
    bool interrupted = false;
};

class FactorizationTrainer {
  public:
    // Checks every rating's user and item against the model's sizes
    // (std::out_of_range naming the first bad one).
    FactorizationTrainer(std::vector<Rating> ratings, const FactorModel& model, Schedule schedule, int n_threads,
                         std::uint64_t seed);

    EpochResult run_epoch(const EpochStep& step, const InterruptCheck& interrupted);

    int threads() const { return n_threads_; }
    int bands() const { return bands_; }

  private:
    EpochResult sequential_epoch(const EpochStep& step, const InterruptCheck& interrupted);
    EpochResult hogwild_epoch(const EpochStep& step, const InterruptCheck& interrupted);
    EpochResult blocks_epoch(const EpochStep& step, const InterruptCheck& interrupted);

    std::vector<Rating> ratings_;
    FactorModel model_;
    Schedule schedule_;
    int n_threads_;
    std::uint64_t seed_;
    std::int64_t epoch_ = 0;
    int bands_ = 1;                           // blocks: bands per side
    std::vector<std::int64_t> block_starts_;  // blocks: ratings_ grouped by block, bands_^2 + 1 offsets
};

// Predictions for (user, item) pairs; a negative index is an unknown user
// or item, which contributes neither bias nor factors (the global mean plus
// what is known). Runs on n_threads threads.
void predict_ratings(const FactorModel& model, const std::int32_t* users, const std::int32_t* items,
                     std::int64_t n, float* out, int n_threads);

}  // namespace hogwild::mf
