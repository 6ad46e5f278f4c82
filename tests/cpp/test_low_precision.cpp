// low_precision.hpp: unbiased stochastic rounding (the mean of many
// roundings lies within a few standard errors of the value, and every
// rounding is one of the value's two neighbours), saturation, and the
// bfloat16 layout and round trip.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "hogwild/core/low_precision.hpp"

using namespace hogwild;

namespace {

constexpr int kDraws = 200000;

// Rounds `value` kDraws times; checks each result is `lower` or `upper` and
// that the mean is within 5 standard errors of `value` (a rounding with any
// bias above ~1% of the gap between neighbours fails).
template <class Format>
void check_unbiased(const Format& format, double value, double lower, double upper) {
    CAPTURE(value);
    FastRandom random(7);
    bool saturated = false;
    double sum = 0.0;
    long ups = 0, others = 0;
    for (int i = 0; i < kDraws; ++i) {
        const double decoded = format.decode(format.encode(value, random, saturated));
        sum += decoded;
        if (decoded == upper) ++ups;
        else if (decoded != lower) ++others;
    }
    CHECK_FALSE(saturated);
    CHECK(others == 0);
    const double p = (value - lower) / (upper - lower);
    CHECK(p > 0.0);
    CHECK(p < 1.0);
    const double standard_error = (upper - lower) * std::sqrt(p * (1.0 - p) / kDraws);
    CHECK(std::fabs(sum / kDraws - value) < 5.0 * standard_error);
    CHECK(std::fabs(static_cast<double>(ups) / kDraws - p) < 5.0 * std::sqrt(p * (1.0 - p) / kDraws));
}

std::uint32_t float_bits(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

}  // namespace

TEST_CASE("FastRandom::uniform lies in 0 to 1 with mean 1/2") {
    FastRandom random(123);
    double sum = 0.0;
    for (int i = 0; i < kDraws; ++i) {
        const double u = random.uniform();
        REQUIRE(u >= 0.0);
        REQUIRE(u < 1.0);
        sum += u;
    }
    // variance of U(0,1) is 1/12
    CHECK(std::fabs(sum / kDraws - 0.5) < 5.0 * std::sqrt(1.0 / 12.0 / kDraws));
    // seed 0 must not make a stuck generator
    FastRandom zero(0);
    CHECK(zero.next() != zero.next());
}

TEST_CASE("FixedPoint<int16_t> stochastic rounding is unbiased") {
    FixedPoint<std::int16_t> format;
    format.set_range(2.0);
    const double step = 2.0 / 32767.0;
    CHECK(format.step() == doctest::Approx(step).epsilon(1e-15));
    CHECK(format.range() == doctest::Approx(2.0).epsilon(1e-15));
    check_unbiased(format, 5.3 * step, 5.0 * step, 6.0 * step);
    check_unbiased(format, -7.6 * step, -8.0 * step, -7.0 * step);
    check_unbiased(format, 0.01 * step, 0.0, step);  // far below the precision, still right on average
}

TEST_CASE("FixedPoint<int8_t> stochastic rounding is unbiased") {
    FixedPoint<std::int8_t> format;
    format.set_range(1.0);
    const double step = 1.0 / 127.0;
    check_unbiased(format, 100.25 * step, 100.0 * step, 101.0 * step);
    check_unbiased(format, -0.9 * step, -step, 0.0);
}

TEST_CASE("FixedPoint representable values round trip exactly and never saturate") {
    FixedPoint<std::int8_t> format;
    format.set_range(1.0);
    FastRandom random(1);
    bool saturated = false;
    for (int q = -127; q <= 127; ++q) {
        const std::int8_t encoded = format.encode(q / 127.0, random, saturated);
        CHECK(static_cast<int>(encoded) == q);
    }
    CHECK_FALSE(saturated);
}

TEST_CASE("FixedPoint clips out-of-range values to +-max and flags the saturation") {
    FixedPoint<std::int8_t> format;
    format.set_range(1.0);
    FastRandom random(3);
    struct Case {
        double value;
        int expected;
    };
    const Case cases[] = {{1.5, 127}, {-3.0, -127}, {1e300, 127}, {-1e300, -127},
                          {std::numeric_limits<double>::infinity(), 127},
                          {-std::numeric_limits<double>::infinity(), -127},
                          {std::numeric_limits<double>::quiet_NaN(), 0}};
    for (const Case& c : cases) {
        CAPTURE(c.value);
        bool saturated = false;
        CHECK(static_cast<int>(format.encode(c.value, random, saturated)) == c.expected);
        CHECK(saturated);
    }
    // the flag is only ever set: an in-range value leaves it as it was
    bool saturated = true;
    format.encode(0.5, random, saturated);
    CHECK(saturated);
    saturated = false;
    format.encode(-0.5, random, saturated);
    CHECK_FALSE(saturated);

    FixedPoint<std::int16_t> wide;
    wide.set_range(4.0);
    saturated = false;
    CHECK(wide.encode(4.5, random, saturated) == 32767);
    CHECK(saturated);
    CHECK(wide.decode(32767) == doctest::Approx(4.0).epsilon(1e-15));
}

TEST_CASE("BFloat16 keeps the upper 16 bits of a float32") {
    BFloat16 format;
    FastRandom random(5);
    bool saturated = false;
    // exactly representable: dither cannot carry into the kept bits
    CHECK(format.encode(1.0, random, saturated) == 0x3F80);
    CHECK(format.encode(-2.0, random, saturated) == 0xC000);
    CHECK(format.encode(0.0, random, saturated) == 0x0000);
    CHECK(format.decode(0x3F80) == 1.0);
    CHECK(format.decode(0x4049) == 3.140625);  // 0x40490000 = 1.5703125 * 2
    CHECK(format.decode(0xBF00) == -0.5);
    CHECK_FALSE(saturated);
}

TEST_CASE("BFloat16 round trip: every bfloat16 value survives encode-decode unchanged") {
    BFloat16 format;
    FastRandom random(11);
    bool saturated = false;
    long checked = 0;
    for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
        const std::uint16_t b = static_cast<std::uint16_t>(bits);
        const double value = format.decode(b);
        if (!std::isfinite(value)) continue;  // exponent all ones: inf and NaN patterns
        for (int repeat = 0; repeat < 4; ++repeat) {
            const std::uint16_t again = format.encode(value, random, saturated);
            if (value == 0.0) CHECK(format.decode(again) == 0.0);  // +0 and -0
            else if (again != b) CHECK(again == b);                // one message, not 65,000
        }
        ++checked;
    }
    CHECK(checked == 65536 - 256);  // all but the 2 x 128 patterns with exponent 0xFF
    CHECK_FALSE(saturated);
}

TEST_CASE("BFloat16 stochastic rounding is unbiased") {
    BFloat16 format;
    // neighbours 1 and 1 + 2^-7; 1 + 2^-9 lies a quarter of the way up
    check_unbiased(format, 1.0 + std::ldexp(1.0, -9), 1.0, 1.0 + std::ldexp(1.0, -7));
    // negative: magnitude rounds up with the same probability
    check_unbiased(format, -(3.0 + 0.7 * std::ldexp(1.0, -6)), -(3.0 + std::ldexp(1.0, -6)), -3.0);
    // a value that float32 rounds first: still between its bfloat16 neighbours
    check_unbiased(format, 0.1, 0.099609375, 0.10009765625);
}

TEST_CASE("BFloat16 saturates non-finite values to finite ones and flags them") {
    BFloat16 format;
    FastRandom random(9);
    bool saturated = false;
    const std::uint16_t big = format.encode(1e39, random, saturated);  // beyond float32
    CHECK(saturated);
    CHECK(std::isfinite(format.decode(big)));
    CHECK(format.decode(big) > 1e38);

    saturated = false;
    const std::uint16_t minus = format.encode(-std::numeric_limits<double>::infinity(), random, saturated);
    CHECK(saturated);
    CHECK(std::isfinite(format.decode(minus)));
    CHECK(format.decode(minus) < -1e38);

    saturated = false;
    CHECK(format.decode(format.encode(std::numeric_limits<double>::quiet_NaN(), random, saturated)) == 0.0);
    CHECK(saturated);

    // the largest float32 stays finite whatever the dither (no carry into inf)
    saturated = false;
    const double largest = std::numeric_limits<float>::max();
    for (int i = 0; i < 1000; ++i) {
        const double decoded = format.decode(format.encode(largest, random, saturated));
        REQUIRE(std::isfinite(decoded));
        CHECK(decoded <= largest);
    }
    CHECK_FALSE(saturated);
    CHECK(float_bits(static_cast<float>(format.decode(0x7F7F))) == 0x7F7F0000u);
}
