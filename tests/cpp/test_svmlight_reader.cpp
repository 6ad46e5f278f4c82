// svmlight_reader.hpp: parse cases (indices as written, for zero- and
// one-based files; comments; blank lines; qid; number syntax), errors with
// their line numbers (also past the first of several parallel chunks), and
// the joined CSR arrays.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "hogwild/io/svmlight_reader.hpp"

using namespace hogwild;

namespace {

struct Csr {
    std::vector<double> values;
    std::vector<std::int64_t> indices, indptr, qids;
    std::vector<double> labels;
};

Csr assemble(const ParsedSvmlight& parsed, std::int64_t shift, int n_threads = 2) {
    Csr csr;
    csr.values.resize(static_cast<std::size_t>(parsed.nnz));
    csr.indices.resize(static_cast<std::size_t>(parsed.nnz));
    csr.indptr.resize(static_cast<std::size_t>(parsed.n_rows + 1));
    csr.labels.resize(static_cast<std::size_t>(parsed.n_rows));
    csr.qids.resize(static_cast<std::size_t>(parsed.n_rows));
    assemble_svmlight<double, std::int64_t>(parsed, shift, n_threads, csr.values.data(), csr.indices.data(),
                                            csr.indptr.data(), csr.labels.data(), csr.qids.data());
    return csr;
}

// The message of the std::invalid_argument that parsing `text` throws ("" if none).
std::string error_of(const std::string& text, int n_threads = 1) {
    try {
        parse_svmlight(text, n_threads);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

using I = std::vector<std::int64_t>;
using D = std::vector<double>;

}  // namespace

TEST_CASE("svmlight: a one-based file with indices kept as written and shifted by assemble") {
    const ParsedSvmlight parsed = parse_svmlight("1 1:0.5 3:2\n-1 2:1.5\n", 1);
    CHECK(parsed.n_rows == 2);
    CHECK(parsed.nnz == 3);
    CHECK(parsed.min_index == 1);
    CHECK(parsed.max_index == 3);
    const Csr csr = assemble(parsed, 1);
    CHECK(csr.indices == I{0, 2, 1});
    CHECK(csr.indptr == I{0, 2, 3});
    CHECK(csr.values == D{0.5, 2.0, 1.5});
    CHECK(csr.labels == D{1.0, -1.0});
    CHECK(csr.qids == I{ParsedSvmlight::kNoQid, ParsedSvmlight::kNoQid});
}

TEST_CASE("svmlight: a zero-based file with empty rows and no trailing newline") {
    const ParsedSvmlight parsed = parse_svmlight("0 0:1 4:2\n7\n-3 2:-0.25", 1);
    CHECK(parsed.n_rows == 3);
    CHECK(parsed.min_index == 0);
    CHECK(parsed.max_index == 4);
    const Csr csr = assemble(parsed, 0);
    CHECK(csr.indices == I{0, 4, 2});
    CHECK(csr.indptr == I{0, 2, 2, 3});
    CHECK(csr.labels == D{0.0, 7.0, -3.0});
    CHECK(csr.values == D{1.0, 2.0, -0.25});

    const ParsedSvmlight empty = parse_svmlight("", 1);
    CHECK(empty.n_rows == 0);
    CHECK(empty.nnz == 0);
    CHECK(empty.max_index == -1);
    CHECK(empty.min_index == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("svmlight: comments and blank lines and tabs and CRLF") {
    const ParsedSvmlight parsed =
        parse_svmlight("# a header comment\n\n1 1:1 # trailing 2:2\n \t \n-1\t3:3\r\n# 4:4\n", 1);
    CHECK(parsed.n_rows == 2);
    const Csr csr = assemble(parsed, 1);
    CHECK(csr.indices == I{0, 2});  // "2:2" after '#' is comment
    CHECK(csr.indptr == I{0, 1, 2});
    CHECK(csr.values == D{1.0, 3.0});
    CHECK(csr.labels == D{1.0, -1.0});
}

TEST_CASE("svmlight: qid first in the row - per row or absent") {
    const ParsedSvmlight parsed = parse_svmlight("3 qid:7 1:1\n2 2:1\n1 qid:-2 3:4\n0 qid:12\n", 1);
    const Csr csr = assemble(parsed, 1);
    CHECK(csr.qids == I{7, ParsedSvmlight::kNoQid, -2, 12});
    CHECK(csr.indptr == I{0, 1, 2, 3, 3});
    CHECK(csr.indices == I{0, 1, 2});
}

TEST_CASE("svmlight: numbers as Python's float reads them") {
    const ParsedSvmlight parsed = parse_svmlight("+1 1:1e400 2:-1e400 3:1e-400 4:nan 5:inf 6:-2.5E-1 7:.5\n", 1);
    const Csr csr = assemble(parsed, 1);
    CHECK(csr.labels == D{1.0});
    REQUIRE(csr.values.size() == 7);
    CHECK(csr.values[0] == std::numeric_limits<double>::infinity());
    CHECK(csr.values[1] == -std::numeric_limits<double>::infinity());
    CHECK(csr.values[2] == 0.0);
    CHECK(std::isnan(csr.values[3]));
    CHECK(csr.values[4] == std::numeric_limits<double>::infinity());
    CHECK(csr.values[5] == -0.25);
    CHECK(csr.values[6] == 0.5);
}

TEST_CASE("svmlight: indices beyond 32 bits are kept") {
    const ParsedSvmlight parsed = parse_svmlight("1 3000000000:1.5\n", 1);
    CHECK(parsed.max_index == 3000000000LL);
    CHECK(assemble(parsed, 1).indices == I{2999999999LL});
}

TEST_CASE("svmlight: assemble into float32 values and int32 indices") {
    const ParsedSvmlight parsed = parse_svmlight("1 1:0.1 2:3\n0 5:1e-50\n", 1);
    std::vector<float> values(3);
    std::vector<std::int32_t> indices(3), indptr(3);
    std::vector<double> labels(2);
    assemble_svmlight<float, std::int32_t>(parsed, 1, 1, values.data(), indices.data(), indptr.data(), labels.data(),
                                           nullptr);  // qids not wanted
    CHECK(values == std::vector<float>{0.1f, 3.0f, 0.0f});
    CHECK(indices == std::vector<std::int32_t>{0, 1, 4});
    CHECK(indptr == std::vector<std::int32_t>{0, 2, 3});
    CHECK(labels == D{1.0, 0.0});
}

TEST_CASE("svmlight: malformed lines name their line number and what is wrong") {
    struct Case {
        const char* text;
        const char* message;
    };
    const Case cases[] = {
        {"1 1:1\n\n# c\n1 2:x\n", "line 4: the value in '2:x' is not a number"},
        {"abc 1:1\n", "line 1: the label 'abc' is not a number"},
        {"1 1:1\n++1 1:1\n", "line 2: the label '++1' is not a number"},
        {"1 3:1 2:1\n", "line 1: feature indices must be sorted and unique, got 2 after 3"},
        {"1 3:1 3:2\n", "line 1: feature indices must be sorted and unique, got 3 after 3"},
        {"1 -1:1\n", "line 1: negative feature index in '-1:1'"},
        {"1\n1 7\n", "line 2: expected index:value, got '7'"},
        {"1 1:1 qid:3\n", "line 1: the feature index in 'qid:3' is not an integer below 2^63"},
        {"1 qid:x 1:1\n", "line 1: the query id in 'qid:x' is not an integer"},
        {"1 a:1\n", "line 1: the feature index in 'a:1' is not an integer below 2^63"},
        {"1 99999999999999999999:1\n", "line 1: the feature index in '99999999999999999999:1' is not an integer below 2^63"},
        {"1 1:\xff\n", "line 1: the value in '1:\\xff' is not a number"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        CHECK(error_of(c.text) == c.message);
    }
}

TEST_CASE("svmlight: several parallel chunks give the one-thread result and the right error line") {
    // ~300 KB: parsed in several chunks of at least 64 KiB by several threads
    std::string text;
    const int n_rows = 20000;
    for (int i = 0; i < n_rows; ++i) {
        if (i % 1000 == 0) text += "# comment line\n\n";
        text += std::to_string(i % 2 ? 1 : -1) + " " + std::to_string(i % 50 + 1) + ":" + std::to_string(i) + " " +
                std::to_string(i % 50 + 60) + ":0.5\n";
    }
    const ParsedSvmlight one = parse_svmlight(text, 1);
    const ParsedSvmlight four = parse_svmlight(text, 4);
    CHECK(four.chunks.size() > 2);
    CHECK(four.n_rows == n_rows);
    CHECK(four.nnz == 2 * n_rows);
    CHECK(four.min_index == 1);
    CHECK(four.max_index == 109);
    const Csr a = assemble(one, 1, 1), b = assemble(four, 1, 3);
    CHECK(a.values == b.values);
    CHECK(a.indices == b.indices);
    CHECK(a.indptr == b.indptr);
    CHECK(a.labels == b.labels);
    CHECK(b.values[2 * 12345] == 12345.0);  // row i's first value is i
    CHECK(b.indptr[n_rows] == 2 * n_rows);

    // an error near the end: counted across chunks, blank and comment lines included
    const std::string broken = text + "1 1:1\n1 2:1 1:1\n";
    const long expected_line = n_rows + 2L * (n_rows / 1000) + 2;
    const std::string message = "line " + std::to_string(expected_line) +
                                ": feature indices must be sorted and unique, got 1 after 2";
    CHECK(error_of(broken, 1) == message);
    CHECK(error_of(broken, 4) == message);
}
