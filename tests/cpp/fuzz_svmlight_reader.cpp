// Random and mutated svmlight text through the reader's parse and assemble,
// built with -fsanitize=address,undefined by tests/cpp/CMakeLists.txt and run
// by ctest (svmlight_reader_fuzz_asan_ubsan): any out-of-bounds access or
// undefined behaviour aborts. Each input is an exact-size heap copy, so a
// read one byte past the end is caught. Exits with 1 unless both outcomes
// (parsed, rejected) were each at least 1% of the inputs.
//
//     fuzz_svmlight_reader [iterations]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>
#include "hogwild/io/svmlight_reader.hpp"
using namespace hogwild;
int main(int argc, char** argv) {
    const long iterations = argc > 1 ? std::atol(argv[1]) : 300000;
    std::mt19937_64 rng(42);
    const std::string seeds[] = {"1 qid:2 1:0.5 7:1e-3 # c\n-1 2:3\n\n+1 4:-2.5 10:7\n", "0 \n-0.75 3:0 5:-0.0",
                                 "1 3000000000:1.5\r\n-1 1:2\n", "1e400 1:1e-400 2:nan 3:inf\n"};
    const char alphabet[] = "0123456789:.-+eE#q \t\r\n\0\xff";
    long parsed = 0, errors = 0;
    for (long it = 0; it < iterations; ++it) {
        std::string text;
        if (it % 10 == 0) {
            const int n = static_cast<int>(rng() % 200);
            for (int i = 0; i < n; ++i) text += static_cast<char>(rng() & 0xff);
        } else {
            for (int r = static_cast<int>(rng() % 4) + 1; r > 0; --r) text += seeds[rng() % 4];
            for (int m = static_cast<int>(rng() % 6) + 1; m > 0 && !text.empty(); --m) {
                const std::size_t pos = rng() % text.size();
                if (rng() % 2) text[pos] = alphabet[rng() % (sizeof alphabet - 1)];
                else text.erase(pos, rng() % 5 + 1);
            }
        }
        std::vector<char> exact(text.begin(), text.end());
        try {
            ParsedSvmlight p = parse_svmlight(std::string_view(exact.data(), exact.size()), 1 + static_cast<int>(rng() % 3));
            ++parsed;
            const bool wide = p.max_index >= (1LL << 31);
            std::vector<double> values(p.nnz), labels(p.n_rows);
            std::vector<std::int64_t> qids(p.n_rows), idx64(wide ? p.nnz : 0), ptr64(wide ? p.n_rows + 1 : 0);
            std::vector<std::int32_t> idx32(wide ? 0 : p.nnz), ptr32(wide ? 0 : p.n_rows + 1);
            if (wide) assemble_svmlight<double, std::int64_t>(p, 0, 2, values.data(), idx64.data(), ptr64.data(), labels.data(), qids.data());
            else assemble_svmlight<double, std::int32_t>(p, 0, 2, values.data(), idx32.data(), ptr32.data(), labels.data(), qids.data());
        } catch (const std::invalid_argument&) {
            ++errors;
        }
    }
    std::printf("parsed %ld, errors %ld\n", parsed, errors);
    if (parsed * 100 < iterations || errors * 100 < iterations) {
        std::fprintf(stderr, "too few inputs %s: the mutations no longer exercise both outcomes\n",
                     parsed * 100 < iterations ? "parsed" : "rejected");
        return 1;
    }
    return 0;
}
