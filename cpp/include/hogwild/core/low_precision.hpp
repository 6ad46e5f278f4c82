// Low-precision weight storage with unbiased stochastic rounding, for the
// buckwild solver (De Sa, Zhang, Olukotun & Re 2015, "Taming the Wild").
//
// A value is rounded to one of its two nearest representable neighbours,
// the upper one with probability (value - lower) / (upper - lower), so the
// rounded value equals the value in expectation: updates far smaller than
// the precision still move the weights by the right amount on average.
//
//   FixedPoint<int8_t / int16_t>  value = q * step; `step` is set by the
//       solver from the range the weights need (it doubles the range when
//       weights saturate). Saturating: out-of-range values clip.
//   BFloat16  the upper 16 bits of a float32 (8 exponent bits, 7 mantissa
//       bits): no range to manage, ~3 significant digits.
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace hogwild {

// xorshift64*: a small, fast generator, one per thread.
class FastRandom {
  public:
    explicit FastRandom(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
        if (state_ == 0) state_ = 1;
    }
    std::uint64_t next() {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545F4914F6CDD1Dull;
    }
    // uniform in [0, 1)
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  private:
    std::uint64_t state_;
};

template <class Integer>
class FixedPoint {
  public:
    using Stored = Integer;
    static constexpr double kMax = static_cast<double>(std::numeric_limits<Integer>::max());

    void set_range(double range) { step_ = range / kMax; }
    double range() const { return step_ * kMax; }
    double step() const { return step_; }

    double decode(Integer q) const { return static_cast<double>(q) * step_; }

    // Stochastically rounded and clipped; `saturated` is set when clipped.
    Integer encode(double value, FastRandom& random, bool& saturated) const {
        const double scaled = value / step_;
        const double lower = std::floor(scaled);
        double rounded = lower + (random.uniform() < scaled - lower ? 1.0 : 0.0);
        if (rounded > kMax || rounded < -kMax || !std::isfinite(rounded)) {
            saturated = true;
            rounded = std::isnan(rounded) ? 0.0 : std::fmin(kMax, std::fmax(-kMax, rounded));
        }
        return static_cast<Integer>(rounded);
    }

  private:
    double step_ = 1.0 / kMax;
};

class BFloat16 {
  public:
    using Stored = std::uint16_t;

    void set_range(double) {}
    double range() const { return std::numeric_limits<float>::max(); }

    double decode(std::uint16_t bits) const {
        return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16));
    }

    // Rounds the float32 nearest the value to one of its two bfloat16
    // neighbours: adding a uniform 16-bit number to the bits that truncation
    // drops carries into the kept bits with probability (dropped bits)/2^16.
    std::uint16_t encode(double value, FastRandom& random, bool& saturated) const {
        const float single = static_cast<float>(value);
        if (!std::isfinite(single)) {
            saturated = true;
            return std::bit_cast<std::uint32_t>(std::isnan(single) ? 0.0f : std::copysign(3.0e38f, single)) >> 16;
        }
        const std::uint32_t bits = std::bit_cast<std::uint32_t>(single);
        const std::uint32_t dither = static_cast<std::uint32_t>(random.next() >> 48);
        std::uint32_t rounded = bits + dither;
        // a carry into the exponent's all-ones pattern would make inf: stay finite
        if (((rounded >> 23) & 0xFF) == 0xFF) rounded = bits;
        return static_cast<std::uint16_t>(rounded >> 16);
    }
};

}  // namespace hogwild
