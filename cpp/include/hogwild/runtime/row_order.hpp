// The order in which an epoch visits rows.
//
// A full shuffle uses scikit-learn's generator and its in-place
// Fisher-Yates step, applied to the previous epoch's order with the same
// seed each epoch, so that the sequential solver visits rows exactly as
// scikit-learn's SGD does. A block shuffle permutes runs of consecutive rows
// instead: rows inside a block stay adjacent in memory, which keeps the
// hardware prefetcher useful (a full shuffle makes every row a cache miss).
// CorgiPile (Xu et al., SIGMOD 2022) adds a second level to the block
// shuffle: the rows of `buffer_blocks` consecutive blocks of the shuffled
// block order are mixed, so that consecutive updates come from several
// places of the data (a plain block shuffle feeds runs of neighbour rows,
// often of one label, to the model) while memory is read as a few
// sequential streams.
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

template <class T>
void sklearn_shuffle(std::vector<T>& items, std::uint32_t seed) {
    const std::uint64_t n = items.size();
    if (n < 2) return;
    for (std::uint64_t i = 0; i + 1 < n; ++i) {
        // scikit-learn reduces modulo a 32-bit (n - i); in 64 bits the result is the
        // same below 2^32 rows and never divides by zero above (where the 31-bit
        // generator cannot reach every row: shuffles of > 2^31 rows are biased)
        const std::uint64_t j = i + static_cast<std::uint64_t>(sklearn_rand_r(seed)) % (n - i);
        std::swap(items[i], items[j]);
    }
}

class RowOrder {
  public:
    RowOrder(std::int64_t n_rows, std::int64_t block_size, std::uint32_t seed, std::int64_t buffer_blocks = 1)
        : n_rows_(n_rows),
          block_size_(std::clamp<std::int64_t>(block_size, 1, std::max<std::int64_t>(1, n_rows))),
          seed_(seed) {
        const std::int64_t n_blocks = n_rows_ / block_size_ + (n_rows_ % block_size_ != 0 ? 1 : 0);
        buffer_blocks_ = std::clamp<std::int64_t>(buffer_blocks, 1, std::max<std::int64_t>(1, n_blocks));
        blocks_.resize(static_cast<std::size_t>(n_blocks));
        std::iota(blocks_.begin(), blocks_.end(), std::int64_t{0});
        if (block_size_ > 1) {
            rows_.resize(static_cast<std::size_t>(n_rows_));
            expand_blocks();
        }
    }

    // Called once before each epoch.
    void next_epoch(bool shuffle) {
        if (!shuffle) return;
        sklearn_shuffle(blocks_, seed_);
        if (block_size_ > 1) expand_blocks();
    }

    // Row visited at position k of the epoch.
    const std::int64_t* rows() const { return block_size_ == 1 ? blocks_.data() : rows_.data(); }
    std::int64_t size() const { return n_rows_; }

  private:
    // The rows of the blocks in their order, the blocks of each buffer
    // interleaved: round-robin over the buffer's blocks (the first row of
    // each block, then the second of each, ...), so that every block is read
    // forwards (a stream the prefetchers follow) while consecutive rows come
    // from different blocks. (CorgiPile shuffles the buffer's rows instead:
    // the same mix of blocks, but random jumps that cost a fifth more time
    // per epoch on generated 160k x 100k data, and on a9a sorted by label a
    // larger gap to the full shuffle.) With one block a buffer, the blocks
    // follow each other whole.
    void expand_blocks() {
        std::int64_t position = 0;
        for (std::size_t first = 0; first < blocks_.size(); first += static_cast<std::size_t>(buffer_blocks_)) {
            const std::size_t last = std::min(blocks_.size(), first + static_cast<std::size_t>(buffer_blocks_));
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
    std::vector<std::int64_t> blocks_;  // with block_size 1, these are the rows
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
