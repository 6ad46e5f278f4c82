#include "hogwild/io/svmlight_reader.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>

namespace hogwild {

namespace {

// Chunks of at least this many bytes, several per thread so that a thread
// finishing early takes another (lines vary in length across a file).
constexpr std::size_t kMinChunkBytes = std::size_t{1} << 16;
constexpr int kChunksPerThread = 8;

// '\n' ends a line, so it never appears inside one.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// A token as shown in an error message: at most 40 bytes, unprintable bytes escaped.
std::string quoted(const char* begin, const char* end) {
    std::string out = "'";
    const char* stop = begin + std::min<std::ptrdiff_t>(40, end - begin);
    for (const char* p = begin; p < stop; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += *p;
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    if (end > stop) out += "...";
    return out + "'";
}

// +inf/-inf or +0/-0 for a number from_chars found out of range: overflow
// when its decimal exponent (digits before the point, or minus the zeros
// after it, plus the written exponent) is positive. Avoids strtod, whose
// decimal point follows the C locale.
double saturated_value(const char* begin, const char* end) {
    const bool negative = *begin == '-';
    if (negative) ++begin;
    const char* p = begin;
    while (p < end && *p == '0') ++p;
    const char* digits = p;
    while (p < end && *p >= '0' && *p <= '9') ++p;
    std::int64_t magnitude = p - digits;
    if (p < end && *p == '.') {
        ++p;
        if (magnitude == 0) {
            const char* zeros = p;
            while (p < end && *p == '0') ++p;
            magnitude = -(p - zeros);
        }
        while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        const bool negative_exponent = p < end && *p == '-';
        if (p < end && (*p == '+' || *p == '-')) ++p;
        std::int64_t exponent = 0;
        for (; p < end && *p >= '0' && *p <= '9'; ++p)
            exponent = std::min<std::int64_t>(exponent * 10 + (*p - '0'), 1'000'000'000);
        magnitude += negative_exponent ? -exponent : exponent;
    }
    const double value = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -value : value;
}

// A whole token as a double, as Python's float() reads it (one leading '+',
// inf, nan; out-of-range magnitudes become inf or 0).
bool parse_double(const char* begin, const char* end, double& out) {
    if (begin < end && *begin == '+') {
        ++begin;
        if (begin < end && (*begin == '+' || *begin == '-')) return false;
    }
    if (begin == end) return false;
    const auto [stop, error] = std::from_chars(begin, end, out);
    if (stop != end) return false;
    if (error == std::errc::result_out_of_range) {
        out = saturated_value(begin, end);
        return true;
    }
    return error == std::errc();
}

// A whole token as a decimal integer, with an optional sign.
bool parse_integer(const char* begin, const char* end, std::int64_t& out) {
    const bool negative = begin < end && *begin == '-';
    if (begin < end && (*begin == '+' || *begin == '-')) ++begin;
    if (begin == end || *begin < '0' || *begin > '9') return false;
    const auto [stop, error] = std::from_chars(begin, end, out);
    if (error != std::errc() || stop != end) return false;
    if (negative) out = -out;
    return true;
}

struct ChunkSummary {
    std::int64_t min_index = std::numeric_limits<std::int64_t>::max();
    std::int64_t max_index = -1;
    std::int64_t error_line = 0;  // 0: parsed without error
    std::string error;
    std::exception_ptr failure;  // anything else (bad_alloc): rethrown after the parallel region
};

// Parses one line (without its '\n') into the chunk; throws
// std::invalid_argument with what is wrong.
void parse_line(const char* p, const char* end, SvmlightChunk& chunk, ChunkSummary& summary) {
    if (const void* hash = std::memchr(p, '#', static_cast<std::size_t>(end - p))) end = static_cast<const char*>(hash);
    while (p < end && is_space(*p)) ++p;
    if (p == end) return;  // blank or comment only: no row

    const char* token_end = p;
    while (token_end < end && !is_space(*token_end)) ++token_end;
    double label;
    if (!parse_double(p, token_end, label))
        throw std::invalid_argument("the label " + quoted(p, token_end) + " is not a number");
    p = token_end;

    std::int64_t qid = ParsedSvmlight::kNoQid;
    std::int64_t previous_index = -1;
    bool first_feature = true;
    for (;;) {
        while (p < end && is_space(*p)) ++p;
        if (p == end) break;
        token_end = p;
        while (token_end < end && !is_space(*token_end)) ++token_end;
        const auto* colon = static_cast<const char*>(std::memchr(p, ':', static_cast<std::size_t>(token_end - p)));
        if (colon == nullptr) throw std::invalid_argument("expected index:value, got " + quoted(p, token_end));
        if (first_feature && colon - p == 3 && std::memcmp(p, "qid", 3) == 0) {
            if (!parse_integer(colon + 1, token_end, qid))
                throw std::invalid_argument("the query id in " + quoted(p, token_end) + " is not an integer");
            first_feature = false;
            p = token_end;
            continue;
        }
        first_feature = false;
        std::int64_t index;
        if (!parse_integer(p, colon, index))
            throw std::invalid_argument("the feature index in " + quoted(p, token_end) +
                                        " is not an integer below 2^63");
        if (index < 0) throw std::invalid_argument("negative feature index in " + quoted(p, token_end));
        if (index <= previous_index)
            throw std::invalid_argument("feature indices must be sorted and unique, got " + std::to_string(index) +
                                        " after " + std::to_string(previous_index));
        double value;
        if (!parse_double(colon + 1, token_end, value))
            throw std::invalid_argument("the value in " + quoted(p, token_end) + " is not a number");
        chunk.indices.push_back(index);
        chunk.values.push_back(value);
        previous_index = index;
        p = token_end;
    }
    const auto row_start = chunk.row_ends.empty() ? 0 : chunk.row_ends.back();
    const auto row_end = static_cast<std::int64_t>(chunk.indices.size());
    if (row_end > row_start) {  // indices are sorted: the first is the row's smallest
        summary.min_index = std::min(summary.min_index, chunk.indices[static_cast<std::size_t>(row_start)]);
        summary.max_index = std::max(summary.max_index, previous_index);
    }
    chunk.labels.push_back(label);
    chunk.qids.push_back(qid);
    chunk.row_ends.push_back(row_end);
}

void parse_chunk(const char* begin, const char* end, SvmlightChunk& chunk, ChunkSummary& summary) {
    const auto expected_nnz = static_cast<std::size_t>(end - begin) / 8;  // a guess; vectors grow past it
    chunk.indices.reserve(expected_nnz);
    chunk.values.reserve(expected_nnz);
    for (const char* line = begin; line < end;) {
        const auto* newline = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
        const char* line_end = newline != nullptr ? newline : end;
        ++chunk.lines;
        try {
            parse_line(line, line_end, chunk, summary);
        } catch (const std::invalid_argument& error) {
            summary.error_line = chunk.lines;
            summary.error = error.what();
            return;
        } catch (...) {  // nothing may escape an OpenMP region
            summary.failure = std::current_exception();
            return;
        }
        line = newline != nullptr ? newline + 1 : end;
    }
}

}  // namespace

ParsedSvmlight parse_svmlight(std::string_view text, int n_threads, const InterruptPoll& interrupted) {
    n_threads = std::max(1, n_threads);
    const std::size_t size = text.size();
    const auto n_chunks = static_cast<std::size_t>(
        std::clamp<std::size_t>(size / kMinChunkBytes, 1, static_cast<std::size_t>(n_threads) * kChunksPerThread));

    // chunk k is [starts[k], starts[k + 1]), each starting at a line start
    std::vector<std::size_t> starts(n_chunks + 1, size);
    starts[0] = 0;
    for (std::size_t k = 1; k < n_chunks; ++k) {
        const std::size_t nominal = std::max(size / n_chunks * k, starts[k - 1]);
        if (nominal == 0 || nominal >= size) {
            starts[k] = std::max(nominal, starts[k - 1]);
            continue;
        }
        // the first line start at or after `nominal`
        const auto* newline =
            static_cast<const char*>(std::memchr(text.data() + nominal - 1, '\n', size - nominal + 1));
        starts[k] = newline != nullptr ? static_cast<std::size_t>(newline - text.data()) + 1 : size;
    }

    ParsedSvmlight parsed;
    parsed.chunks.resize(n_chunks);
    std::vector<ChunkSummary> summaries(n_chunks);
    const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n_threads), n_chunks));
    std::atomic<bool> stop{false};
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
    for (std::size_t k = 0; k < n_chunks; ++k) {
        // the calling thread (0) polls; every thread skips the chunks left once it says stop
        if (interrupted && omp_get_thread_num() == 0 && interrupted()) stop.store(true, std::memory_order_relaxed);
        if (stop.load(std::memory_order_relaxed)) continue;
        parse_chunk(text.data() + starts[k], text.data() + starts[k + 1], parsed.chunks[k], summaries[k]);
    }
    if (stop.load()) throw Interrupted{};

    std::int64_t lines_before = 0;
    for (std::size_t k = 0; k < n_chunks; ++k) {
        const auto& summary = summaries[k];
        if (summary.failure) std::rethrow_exception(summary.failure);
        if (summary.error_line != 0)
            throw std::invalid_argument("line " + std::to_string(lines_before + summary.error_line) + ": " +
                                        summary.error);
        lines_before += parsed.chunks[k].lines;
        parsed.n_rows += static_cast<std::int64_t>(parsed.chunks[k].labels.size());
        parsed.nnz += static_cast<std::int64_t>(parsed.chunks[k].indices.size());
        parsed.min_index = std::min(parsed.min_index, summary.min_index);
        parsed.max_index = std::max(parsed.max_index, summary.max_index);
    }
    return parsed;
}

template <class Value, class Index>
void assemble_svmlight(const ParsedSvmlight& parsed, std::int64_t shift, int n_threads, Value* values, Index* indices,
                       Index* indptr, double* labels, std::int64_t* qids) {
    const std::size_t n_chunks = parsed.chunks.size();
    std::vector<std::int64_t> first_row(n_chunks + 1, 0), first_nonzero(n_chunks + 1, 0);
    for (std::size_t k = 0; k < n_chunks; ++k) {
        first_row[k + 1] = first_row[k] + static_cast<std::int64_t>(parsed.chunks[k].labels.size());
        first_nonzero[k + 1] = first_nonzero[k] + static_cast<std::int64_t>(parsed.chunks[k].indices.size());
    }
    indptr[0] = 0;
    const int team = static_cast<int>(std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1, n_threads)), 1,
                                                              std::max<std::size_t>(1, n_chunks)));
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
    for (std::size_t k = 0; k < n_chunks; ++k) {
        const SvmlightChunk& chunk = parsed.chunks[k];
        const std::int64_t row0 = first_row[k];
        const std::int64_t nonzero0 = first_nonzero[k];
        for (std::size_t i = 0; i < chunk.labels.size(); ++i) {
            labels[row0 + static_cast<std::int64_t>(i)] = chunk.labels[i];
            indptr[row0 + static_cast<std::int64_t>(i) + 1] = static_cast<Index>(nonzero0 + chunk.row_ends[i]);
            if (qids != nullptr) qids[row0 + static_cast<std::int64_t>(i)] = chunk.qids[i];
        }
        Index* chunk_indices = indices + nonzero0;
        Value* chunk_values = values + nonzero0;
        for (std::size_t j = 0; j < chunk.indices.size(); ++j) {
            chunk_indices[j] = static_cast<Index>(chunk.indices[j] - shift);
            chunk_values[j] = static_cast<Value>(chunk.values[j]);
        }
    }
}

template void assemble_svmlight<float, std::int32_t>(const ParsedSvmlight&, std::int64_t, int, float*, std::int32_t*,
                                                     std::int32_t*, double*, std::int64_t*);
template void assemble_svmlight<float, std::int64_t>(const ParsedSvmlight&, std::int64_t, int, float*, std::int64_t*,
                                                     std::int64_t*, double*, std::int64_t*);
template void assemble_svmlight<double, std::int32_t>(const ParsedSvmlight&, std::int64_t, int, double*, std::int32_t*,
                                                      std::int32_t*, double*, std::int64_t*);
template void assemble_svmlight<double, std::int64_t>(const ParsedSvmlight&, std::int64_t, int, double*, std::int64_t*,
                                                      std::int64_t*, double*, std::int64_t*);

}  // namespace hogwild
