// The three schedules of factorization_trainer.hpp.
#include "hogwild/mf/factorization_trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "hogwild/mf/rating_update.hpp"
#include "hogwild/runtime/thread_team.hpp"

namespace hogwild::mf {

namespace {

// A small, portable generator (SplitMix64, Steele, Lea & Flood 2014): the
// same shuffles with every standard library.
class SplitMix64 {
  public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) (Lemire's multiply-shift; its bias is below 2^-32 for n < 2^32).
    std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

  private:
    std::uint64_t state_;
};

std::uint64_t mix(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
    SplitMix64 generator(seed ^ (a * 0xD1B54A32D192ED03ull) ^ (b * 0x8CB92BA72F3D8DD7ull));
    return generator.next();
}

template <class T>
void shuffle(T* first, std::int64_t n, std::uint64_t seed) {
    SplitMix64 generator(seed);
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(first[i], first[generator.below(static_cast<std::uint64_t>(i) + 1)]);
}

// The hot loops are compiled twice, for AVX2 and for the baseline x86-64,
// and the loader picks one for the CPU at hand (GCC's function
// multiversioning): eight floats a step instead of four, without building
// for one machine. The lanes of rating_update.hpp make both give the same
// numbers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define HOGWILD_MF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HOGWILD_MF_CLONES
#endif

// Ratings come in random order, so each one's user and item rows are
// likely cache misses: ask for the rows of the rating kPrefetchRatings
// ahead while this one computes (all their cache lines, for writing).
constexpr std::int64_t kPrefetchRatings = 4;

inline void prefetch_rows(const FactorModel& model, const Rating& ahead) {
    const char* user_row = reinterpret_cast<const char*>(model.user_row(ahead.user));
    const char* item_row = reinterpret_cast<const char*>(model.item_row(ahead.item));
    const int bytes = model.n_factors * static_cast<int>(sizeof(float));
    for (int offset = 0; offset < bytes; offset += 64) {
        HOGWILD_PREFETCH_WRITE(user_row + offset);
        HOGWILD_PREFETCH_WRITE(item_row + offset);
    }
    HOGWILD_PREFETCH_WRITE(model.user_bias + ahead.user);
    HOGWILD_PREFETCH_WRITE(model.item_bias + ahead.item);
}

struct Tally {
    double squared_error = 0.0;
    std::int64_t ratings = 0;
};

// One rating's update on rows no other thread writes meanwhile (one
// thread, or a block of its own): in place.
struct ExclusiveRows {
    float update(const FactorModel& model, const EpochStep& step, const Rating& r) {
        float* p = model.user_row(r.user);
        float* q = model.item_row(r.item);
        if (step.adagrad)
            return adagrad_update(model, step, r.value, p, model.user_bias[r.user], model.user_gradient_sum[r.user], q,
                                  model.item_bias[r.item], model.item_gradient_sum[r.item]);
        return sgd_update(model, step, r.value, p, model.user_bias[r.user], q, model.item_bias[r.item]);
    }
};

// Hogwild!: the rows may be written by another thread at the same time. A
// thread copies them with relaxed atomic loads, updates its copies and
// stores them back with relaxed atomic stores (plain moves on x86, yet
// defined behaviour); an update racing another may be lost, which Hogwild!
// tolerates.
float load(float& slot) { return std::atomic_ref<float>(slot).load(std::memory_order_relaxed); }
void store(float& slot, float value) { std::atomic_ref<float>(slot).store(value, std::memory_order_relaxed); }

struct SharedRows {
    std::vector<float> p, q;  // the thread's copies of the rating's rows
    explicit SharedRows(int factors) : p(static_cast<std::size_t>(factors)), q(static_cast<std::size_t>(factors)) {}

    float update(const FactorModel& model, const EpochStep& step, const Rating& r) {
        const int factors = model.n_factors;
        float* shared_p = model.user_row(r.user);
        float* shared_q = model.item_row(r.item);
        for (int f = 0; f < factors; ++f) p[f] = load(shared_p[f]);
        for (int f = 0; f < factors; ++f) q[f] = load(shared_q[f]);
        float user_bias = load(model.user_bias[r.user]), item_bias = load(model.item_bias[r.item]);
        float error;
        if (step.adagrad) {
            float user_sum = load(model.user_gradient_sum[r.user]), item_sum = load(model.item_gradient_sum[r.item]);
            error = adagrad_update(model, step, r.value, p.data(), user_bias, user_sum, q.data(), item_bias, item_sum);
            store(model.user_gradient_sum[r.user], user_sum);
            store(model.item_gradient_sum[r.item], item_sum);
        } else {
            error = sgd_update(model, step, r.value, p.data(), user_bias, q.data(), item_bias);
        }
        for (int f = 0; f < factors; ++f) store(shared_p[f], p[f]);
        for (int f = 0; f < factors; ++f) store(shared_q[f], q[f]);
        store(model.user_bias[r.user], user_bias);
        store(model.item_bias[r.item], item_bias);
        return error;
    }
};

// Trains n ratings with `rows` (ExclusiveRows or SharedRows), adding to the
// thread's tally; stops early when the team stops. Inlined into each
// instruction-set clone below.
#if defined(__GNUC__)
#define HOGWILD_MF_INLINE __attribute__((always_inline)) inline
#else
#define HOGWILD_MF_INLINE inline
#endif
template <class Rows>
HOGWILD_MF_INLINE void train_ratings(const FactorModel& model, const EpochStep& step, const Rating* ratings,
                                     std::int64_t n, ThreadTeam& team, int tid, Tally& tally, Rows& rows) {
    double squared_error = 0.0;
    std::int64_t k = 0;
    for (; k < n; ++k) {
        if (team.stop_at(tid, k)) break;
        if (k + kPrefetchRatings < n) prefetch_rows(model, ratings[k + kPrefetchRatings]);
        const float error = rows.update(model, step, ratings[k]);
        squared_error += static_cast<double>(error) * error;
    }
    tally.squared_error += squared_error;
    tally.ratings += k;
}

HOGWILD_MF_CLONES void train_exclusive(const FactorModel& model, const EpochStep& step, const Rating* ratings,
                                       std::int64_t n, ThreadTeam& team, int tid, Tally& tally) {
    ExclusiveRows rows;
    train_ratings(model, step, ratings, n, team, tid, tally, rows);
}

HOGWILD_MF_CLONES void train_shared(const FactorModel& model, const EpochStep& step, const Rating* ratings,
                                    std::int64_t n, ThreadTeam& team, int tid, Tally& tally) {
    SharedRows rows(model.n_factors);
    train_ratings(model, step, ratings, n, team, tid, tally, rows);
}

EpochResult result_of(const PerThread<Tally>& tallies, const ThreadTeam& team) {
    EpochResult result;
    for (int t = 0; t < tallies.size(); ++t) {  // in thread order: deterministic for a fixed split
        result.squared_error += tallies[t].squared_error;
        result.ratings += tallies[t].ratings;
    }
    result.interrupted = team.stop_requested();
    return result;
}

// FPSGD's scheduler: hands out each block of the grid once per epoch, only
// while no other thread holds its user band or its item band; among the
// free blocks, the first found from a random place in the list of blocks
// not yet taken.
class BlockScheduler {
  public:
    BlockScheduler(int bands, std::uint64_t seed)
        : bands_(bands), user_band_busy_(bands, 0), item_band_busy_(bands, 0), generator_(seed) {
        untaken_.resize(static_cast<std::size_t>(bands) * bands);
        std::iota(untaken_.begin(), untaken_.end(), 0);
    }

    // The next block for a thread, or -1 when the epoch has none left (or
    // the team stops).
    int take(const ThreadTeam& team) {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!untaken_.empty() && !team.stop_requested()) {
            const std::size_t n = untaken_.size();
            const std::size_t start = generator_.below(n);
            for (std::size_t look = 0; look < n; ++look) {
                const std::size_t position = (start + look) % n;
                const int block = untaken_[position];
                if (user_band_busy_[block / bands_] || item_band_busy_[block % bands_]) continue;
                untaken_[position] = untaken_.back();
                untaken_.pop_back();
                user_band_busy_[block / bands_] = item_band_busy_[block % bands_] = 1;
                return block;
            }
            // every block left shares a band with a busy one: wait for a
            // release (and look at the stop flag now and then)
            released_.wait_for(lock, std::chrono::milliseconds(1));
        }
        return -1;
    }

    void release(int block) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            user_band_busy_[block / bands_] = item_band_busy_[block % bands_] = 0;
        }
        released_.notify_all();
    }

  private:
    int bands_;
    std::vector<char> user_band_busy_, item_band_busy_;
    std::vector<int> untaken_;
    SplitMix64 generator_;
    std::mutex mutex_;
    std::condition_variable released_;
};

// Band of each of n rows: a random permutation cut into `bands` equal runs,
// so that popular users (or items) spread over the bands.
std::vector<int> random_bands(std::int64_t n, int bands, std::uint64_t seed) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    shuffle(order.data(), n, seed);
    std::vector<int> band(static_cast<std::size_t>(n));
    for (std::int64_t position = 0; position < n; ++position)
        band[static_cast<std::size_t>(order[position])] = static_cast<int>(position * bands / std::max<std::int64_t>(n, 1));
    return band;
}

// Bands per side of the blocks grid: with several threads at least 2T + 1,
// so that a thread finishing a block finds a free one without waiting
// (LIBMF advises more bands than threads); and, with one thread too,
// enough that one band of the smaller side (users or items) fits in
// kBlockCacheBytes: a block's ratings then find their rows of that side in
// the cache (the larger side's rows are met about once per block and miss
// whatever the bands). At most kMaxBands (the scheduler scans the grid).
constexpr std::int64_t kBlockCacheBytes = std::int64_t{1} << 19;  // measured best on a 10M-rating problem: bench/bench_mf.py
constexpr int kMaxBands = 64;

int blocks_bands(const FactorModel& model, int n_threads) {
    const std::int64_t side_bytes =
        std::min(model.n_users, model.n_items) * model.n_factors * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t cache_bands = (side_bytes + kBlockCacheBytes - 1) / kBlockCacheBytes;
    const std::int64_t thread_bands = n_threads == 1 ? 1 : 2 * n_threads + 1;
    return static_cast<int>(std::clamp<std::int64_t>(std::max(cache_bands, thread_bands), 1, kMaxBands));
}

}  // namespace

Schedule schedule_from_name(const std::string& name) {
    if (name == "sequential") return Schedule::sequential;
    if (name == "hogwild") return Schedule::hogwild;
    if (name == "blocks") return Schedule::blocks;
    throw std::invalid_argument("unknown matrix factorization solver '" + name + "'");
}

FactorizationTrainer::FactorizationTrainer(std::vector<Rating> ratings, const FactorModel& model, Schedule schedule,
                                           int n_threads, std::uint64_t seed)
    : ratings_(std::move(ratings)), model_(model), schedule_(schedule),
      n_threads_(schedule == Schedule::sequential ? 1 : std::max(1, n_threads)), seed_(seed) {
    for (std::size_t k = 0; k < ratings_.size(); ++k) {
        const Rating& r = ratings_[k];
        if (r.user < 0 || r.user >= model_.n_users || r.item < 0 || r.item >= model_.n_items)
            throw std::out_of_range("rating " + std::to_string(k) + " has user " + std::to_string(r.user) +
                                    ", item " + std::to_string(r.item) + " outside the model's " +
                                    std::to_string(model_.n_users) + " users and " + std::to_string(model_.n_items) +
                                    " items");
    }
    const auto n = static_cast<std::int64_t>(ratings_.size());
    n_threads_ = static_cast<int>(std::min<std::int64_t>(n_threads_, std::max<std::int64_t>(1, n)));
    if (schedule_ == Schedule::hogwild) {
        shuffle(ratings_.data(), n, mix(seed_, 1));  // threads then reshuffle their own shares
    } else if (schedule_ == Schedule::blocks) {
        bands_ = blocks_bands(model_, n_threads_);
        const std::vector<int> user_band = random_bands(model_.n_users, bands_, mix(seed_, 2));
        const std::vector<int> item_band = random_bands(model_.n_items, bands_, mix(seed_, 3));
        const auto block_of = [&](const Rating& r) {
            return user_band[static_cast<std::size_t>(r.user)] * bands_ + item_band[static_cast<std::size_t>(r.item)];
        };
        block_starts_.assign(static_cast<std::size_t>(bands_) * bands_ + 1, 0);
        for (const Rating& r : ratings_) ++block_starts_[static_cast<std::size_t>(block_of(r)) + 1];
        std::partial_sum(block_starts_.begin(), block_starts_.end(), block_starts_.begin());
        std::vector<Rating> grouped(ratings_.size());
        std::vector<std::int64_t> next(block_starts_.begin(), block_starts_.end() - 1);
        for (const Rating& r : ratings_) grouped[static_cast<std::size_t>(next[static_cast<std::size_t>(block_of(r))]++)] = r;
        ratings_ = std::move(grouped);
    }
}

EpochResult FactorizationTrainer::run_epoch(const EpochStep& step, const InterruptCheck& interrupted) {
    if (step.adagrad && (model_.user_gradient_sum == nullptr || model_.item_gradient_sum == nullptr))
        throw std::invalid_argument("AdaGrad needs the rows' gradient sums");
    EpochResult result;
    switch (schedule_) {
        case Schedule::sequential: result = sequential_epoch(step, interrupted); break;
        case Schedule::hogwild: result = hogwild_epoch(step, interrupted); break;
        case Schedule::blocks: result = blocks_epoch(step, interrupted); break;
    }
    ++epoch_;
    return result;
}

EpochResult FactorizationTrainer::sequential_epoch(const EpochStep& step, const InterruptCheck& interrupted) {
    shuffle(ratings_.data(), static_cast<std::int64_t>(ratings_.size()), mix(seed_, 4, static_cast<std::uint64_t>(epoch_)));
    ThreadTeam team(1, false, interrupted);
    PerThread<Tally> tallies(1);
    team.run([&](int tid, int) {
        train_exclusive(model_, step, ratings_.data(), static_cast<std::int64_t>(ratings_.size()), team, tid, tallies[tid]);
    });
    return result_of(tallies, team);
}

EpochResult FactorizationTrainer::hogwild_epoch(const EpochStep& step, const InterruptCheck& interrupted) {
    ThreadTeam team(n_threads_, false, interrupted);
    PerThread<Tally> tallies(n_threads_);
    const auto n = static_cast<std::int64_t>(ratings_.size());
    team.run([&](int tid, int size) {
        const Share share = share_of(n, tid, size);
        Rating* first = ratings_.data() + share.begin;
        shuffle(first, share.end - share.begin, mix(seed_, 5 + static_cast<std::uint64_t>(tid), static_cast<std::uint64_t>(epoch_)));
        if (size == 1)
            train_exclusive(model_, step, first, share.end - share.begin, team, tid, tallies[tid]);
        else
            train_shared(model_, step, first, share.end - share.begin, team, tid, tallies[tid]);
    });
    return result_of(tallies, team);
}

EpochResult FactorizationTrainer::blocks_epoch(const EpochStep& step, const InterruptCheck& interrupted) {
    ThreadTeam team(n_threads_, false, interrupted);
    PerThread<Tally> tallies(n_threads_);
    BlockScheduler scheduler(bands_, mix(seed_, 6, static_cast<std::uint64_t>(epoch_)));
    team.run([&](int tid, int) {
        for (int block = scheduler.take(team); block >= 0; block = scheduler.take(team)) {
            const std::int64_t begin = block_starts_[static_cast<std::size_t>(block)];
            const std::int64_t end = block_starts_[static_cast<std::size_t>(block) + 1];
            shuffle(ratings_.data() + begin, end - begin,
                    mix(seed_, 7 + static_cast<std::uint64_t>(block), static_cast<std::uint64_t>(epoch_)));
            team.guarded([&] { train_exclusive(model_, step, ratings_.data() + begin, end - begin, team, tid, tallies[tid]); });
            scheduler.release(block);
        }
    });
    return result_of(tallies, team);
}

void predict_ratings(const FactorModel& model, const std::int32_t* users, const std::int32_t* items, std::int64_t n,
                     float* out, int n_threads) {
    const int threads = static_cast<int>(std::clamp<std::int64_t>(n / 65536, 1, std::max(1, n_threads)));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int32_t u = users[k], i = items[k];
        const bool known_user = u >= 0 && u < model.n_users, known_item = i >= 0 && i < model.n_items;
        float rating = 0.0f;
        if (model.biased) {
            rating = model.global_mean;
            if (known_user) rating += model.user_bias[u];
            if (known_item) rating += model.item_bias[i];
        }
        if (known_user && known_item) rating += dot(model.user_row(u), model.item_row(i), model.n_factors);
        out[k] = rating;
    }
}

}  // namespace hogwild::mf
