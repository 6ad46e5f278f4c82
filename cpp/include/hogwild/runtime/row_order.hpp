// The order in which an epoch visits rows.
//
// A full shuffle uses scikit-learn's generator and its in-place
// Fisher-Yates step, applied to the previous epoch's order with the same
// seed each epoch, so that the sequential solver visits rows exactly as
// scikit-learn's SGD does. A block shuffle permutes runs of consecutive rows
// instead (its first epoch's blocks as scikit-learn would shuffle them, the
// generator then running on): rows inside a block stay adjacent in memory, which keeps the
// hardware prefetcher useful (a full shuffle makes every row a cache miss).
// CorgiPile (Xu et al., SIGMOD 2022) adds a second level to the block
// shuffle: the rows of a buffer of `buffer_blocks` blocks are mixed, so that
// consecutive updates come from several places of the data (a plain block
// shuffle feeds runs of neighbour rows, often of one label, to the model)
// while memory is read as a few sequential streams. CorgiPile fills a
// buffer with blocks drawn at random; here each buffer takes one random
// block from each of `buffer_blocks` strata (equal runs of consecutive
// blocks), so that every buffer spans the whole data: on data sorted by
// label (or drifting along its rows) a buffer holds the classes in their
// overall proportions, where random draws leave it to chance (a9a sorted
// by label, 8 blocks a buffer drawn at random: +1.9% objective after 10
// epochs against the full shuffle; one from each stratum: -0.02%; see
// bench/bench_row_order.py). Fewer buffer blocks are fewer memory streams,
// and faster epochs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace hogwild {

// scikit-learn's our_rand_r: xorshift32, reduced to [0, 2^31).
inline std::uint32_t sklearn_rand_r(std::uint32_t& state) {
    if (state == 0) state = 1;  // xorshift never leaves 0
    state ^= static_cast<std::uint32_t>(state << 13);
    state ^= static_cast<std::uint32_t>(state >> 17);
    state ^= static_cast<std::uint32_t>(state << 5);
    return state % (static_cast<std::uint32_t>(0x7FFFFFFF) + 1u);
}

// scikit-learn's in-place Fisher-Yates step over items[0, n), advancing
// the generator `state`.
template <class T>
void shuffle_with(T* items, std::uint64_t n, std::uint32_t& state) {
    if (n < 2) return;
    for (std::uint64_t i = 0; i + 1 < n; ++i) {
        // scikit-learn reduces modulo a 32-bit (n - i); in 64 bits the result is the
        // same below 2^32 rows and never divides by zero above (where the 31-bit
        // generator cannot reach every row: shuffles of > 2^31 rows are biased)
        const std::uint64_t j = i + static_cast<std::uint64_t>(sklearn_rand_r(state)) % (n - i);
        std::swap(items[i], items[j]);
    }
}

// scikit-learn's shuffle: each call starts from `seed` (scikit-learn
// reshuffles the previous epoch's order with the same seed every epoch).
template <class T>
void sklearn_shuffle(std::vector<T>& items, std::uint32_t seed) {
    shuffle_with(items.data(), items.size(), seed);
}

class RowOrder {
  public:
    RowOrder(std::int64_t n_rows, std::int64_t block_size, std::uint32_t seed, std::int64_t buffer_blocks = 1)
        : n_rows_(n_rows),
          block_size_(std::clamp<std::int64_t>(block_size, 1, std::max<std::int64_t>(1, n_rows))),
          seed_(seed),
          state_(seed) {
        const std::int64_t n_blocks = n_rows_ / block_size_ + (n_rows_ % block_size_ != 0 ? 1 : 0);
        // (blocks of one row are a full shuffle, scikit-learn's: no buffers)
        buffer_blocks_ = block_size_ == 1 ? 1 : std::clamp<std::int64_t>(buffer_blocks, 1, std::max<std::int64_t>(1, n_blocks));
        blocks_.resize(static_cast<std::size_t>(n_blocks));
        std::iota(blocks_.begin(), blocks_.end(), std::int64_t{0});
        if (buffer_blocks_ > 1) strata_ = blocks_;
        if (block_size_ > 1) {
            // until an epoch shuffles, data order (shuffle=false keeps it:
            // interleaved blocks would be an order of their own)
            rows_.resize(static_cast<std::size_t>(n_rows_));
            std::iota(rows_.begin(), rows_.end(), std::int64_t{0});
        }
    }

    // Called once before each epoch.
    void next_epoch(bool shuffle) {
        if (!shuffle) return;
        if (buffer_blocks_ > 1) {
            fill_buffers_from_strata();
        } else if (block_size_ == 1) {
            sklearn_shuffle(blocks_, seed_);
        } else {
            // (the generator runs on, as for the strata: scikit-learn's
            // same permutation every epoch cycles through few orders where
            // there are few blocks; of two, it never swapped them for half
            // the seeds)
            shuffle_with(blocks_.data(), blocks_.size(), state_);
        }
        if (block_size_ > 1) expand_blocks();
    }

    // Row visited at position k of the epoch.
    const std::int64_t* rows() const { return block_size_ == 1 ? blocks_.data() : rows_.data(); }
    std::int64_t size() const { return n_rows_; }

  private:
    // blocks_ as buffers (buffer_starts_: where each begins in blocks_), each
    // holding one block of each stratum (strata_: the blocks in
    // buffer_blocks_ runs of consecutive blocks, sizes differing by at most
    // one, each run reshuffled every epoch; buffer b takes block b of every
    // run), each buffer's blocks then put in a random order. The longer
    // runs' last blocks join the buffers from a random one on, one a
    // buffer (wrapping around): a buffer of only these (the version before)
    // put 128 rows of one stratum in a row wherever it fell, and where it
    // ended the epoch on data sorted by label, a model of one class (a9a
    // sorted, 249 blocks: test accuracy 0.45-0.55 on the seeds that did).
    // (The generator runs on from epoch to epoch: reshuffling a run of a
    // few blocks by the same permutation every epoch would cycle.)
    void fill_buffers_from_strata() {
        const auto n_blocks = static_cast<std::int64_t>(strata_.size());
        const std::int64_t n_strata = buffer_blocks_;
        // stratum s starts at block floor(s n_blocks / n_strata): the runs
        // one block longer spread evenly over the data (in 128 bits: s
        // times the remainder passes 2^63 on a few billion blocks)
        const std::int64_t run = n_blocks / n_strata, longer_runs = n_blocks % n_strata;  // (run >= 1)
        auto stratum_start = [&](std::int64_t s) {
            return s * run + static_cast<std::int64_t>(static_cast<__int128>(s) * longer_runs / n_strata);
        };
        auto is_longer = [&](std::int64_t s) { return stratum_start(s + 1) - stratum_start(s) > run; };
        for (std::int64_t s = 0; s < n_strata; ++s)
            shuffle_with(strata_.data() + stratum_start(s),
                         static_cast<std::uint64_t>(stratum_start(s + 1) - stratum_start(s)), state_);
        // the i-th longer run's last block joins buffer (first + i) mod run
        const std::int64_t first = longer_runs > 0 ? static_cast<std::int64_t>(sklearn_rand_r(state_) % static_cast<std::uint64_t>(run)) : 0;
        buffer_starts_.assign(static_cast<std::size_t>(run + 1), n_strata);
        for (std::int64_t i = 0; i < longer_runs; ++i) ++buffer_starts_[static_cast<std::size_t>((first + i) % run)];
        std::int64_t total = 0;  // (sizes to starts)
        for (auto& start : buffer_starts_) {
            const std::int64_t size = start;
            start = total;
            total += size;
        }
        std::vector<std::int64_t>& filled = fill_positions_;
        filled.assign(buffer_starts_.begin(), buffer_starts_.end() - 1);
        for (std::int64_t s = 0, i = 0; s < n_strata; ++s) {
            for (std::int64_t b = 0; b < run; ++b)
                blocks_[static_cast<std::size_t>(filled[static_cast<std::size_t>(b)]++)] = strata_[static_cast<std::size_t>(stratum_start(s) + b)];
            if (is_longer(s)) {
                const auto b = static_cast<std::size_t>((first + i++) % run);
                blocks_[static_cast<std::size_t>(filled[b]++)] = strata_[static_cast<std::size_t>(stratum_start(s) + run)];
            }
        }
        for (std::int64_t b = 0; b < run; ++b)
            shuffle_with(blocks_.data() + buffer_starts_[static_cast<std::size_t>(b)],
                         static_cast<std::uint64_t>(buffer_starts_[static_cast<std::size_t>(b) + 1] - buffer_starts_[static_cast<std::size_t>(b)]),
                         state_);
    }

    // The rows of the blocks in their order, the blocks of each buffer
    // interleaved: round-robin over the buffer's blocks (the first row of
    // each block, then the second of each, ...), so that every block is read
    // forwards (a stream the prefetchers follow) while consecutive rows come
    // from different blocks. (CorgiPile shuffles the buffer's rows instead:
    // the same mix of blocks, but random jumps that cost a fifth more time
    // per epoch on generated 160k x 100k data, and on a9a sorted by label a
    // larger gap to the full shuffle.) With one block a buffer (no
    // buffer_starts_), the blocks follow each other whole.
    void expand_blocks() {
        const std::size_t n_buffers = buffer_starts_.empty() ? blocks_.size() : buffer_starts_.size() - 1;
        std::int64_t position = 0;
        for (std::size_t buffer = 0; buffer < n_buffers; ++buffer) {
            const std::size_t first = buffer_starts_.empty() ? buffer : static_cast<std::size_t>(buffer_starts_[buffer]);
            const std::size_t last = buffer_starts_.empty() ? buffer + 1 : static_cast<std::size_t>(buffer_starts_[buffer + 1]);
            for (std::int64_t offset = 0; offset < block_size_; ++offset) {
                for (std::size_t b = first; b < last; ++b) {
                    const std::int64_t row = blocks_[b] * block_size_ + offset;
                    if (row < n_rows_) rows_[static_cast<std::size_t>(position++)] = row;
                }
            }
        }
    }

    std::int64_t n_rows_;
    std::int64_t block_size_;
    std::int64_t buffer_blocks_;  // at most every block
    std::uint32_t seed_;
    std::uint32_t state_;                       // the generator of the block shuffles, run on across epochs
    std::vector<std::int64_t> blocks_;          // with block_size 1, these are the rows
    std::vector<std::int64_t> strata_;          // (with buffers: see fill_buffers_from_strata)
    std::vector<std::int64_t> buffer_starts_;   // (with buffers) each buffer's first place in blocks_, then blocks_.size()
    std::vector<std::int64_t> fill_positions_;  // (fill_buffers_from_strata's, kept: no allocation an epoch)
    std::vector<std::int64_t> rows_;
};

// In a shuffled order every row is a cache miss: a loop at `position` of
// `rows` asks for the row kPrefetchRows ahead (its data) and for the one
// twice as far (its offsets, so that the data's address is known in time).
inline constexpr std::int64_t kPrefetchRows = 8;

template <class View>
void prefetch_ahead(const View& X, const std::int64_t* rows, std::int64_t position, std::int64_t end) {
    if (position + kPrefetchRows >= end) return;
    if (position + 2 * kPrefetchRows < end) X.prefetch_row_start(rows[position + 2 * kPrefetchRows]);
    X.prefetch_row(rows[position + kPrefetchRows]);
}

}  // namespace hogwild
