// A parallel reader of svmlight / libsvm text:
//
//     label [qid:N] index:value index:value ... [# comment]
//
// The text is cut into chunks at line boundaries, the chunks are parsed in
// parallel, and `assemble` joins them into CSR arrays in parallel. Parsing
// keeps the indices as written; the caller decides on zero- or one-based
// indices and the index width once it has seen every file (as
// scikit-learn's load_svmlight_files does).
//
// The rules follow scikit-learn's reader: everything from '#' to the end of
// a line is a comment, blank lines are skipped, `qid:` may only come first,
// indices must be strictly increasing within a row. Values are parsed as
// double (then rounded to the output type, like scikit-learn).
#pragma once

#include "hogwild/core/interrupted.hpp"

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace hogwild {

// The rows of one chunk of text, with indices as written.
struct SvmlightChunk {
    std::vector<double> labels;
    std::vector<std::int64_t> qids;      // one per row; kNoQid where a row has none
    std::vector<std::int64_t> row_ends;  // nonzeros in this chunk up to the end of each row
    std::vector<std::int64_t> indices;
    std::vector<double> values;
    std::int64_t lines = 0;              // text lines in the chunk (blank and comment lines included)
};

struct ParsedSvmlight {
    static constexpr std::int64_t kNoQid = -1;

    std::vector<SvmlightChunk> chunks;  // in file order
    std::int64_t n_rows = 0;
    std::int64_t nnz = 0;
    std::int64_t min_index = std::numeric_limits<std::int64_t>::max();  // over all rows; max() when nnz == 0
    std::int64_t max_index = -1;
};

// Parses `text` with up to n_threads threads. A malformed line throws
// std::invalid_argument("line N: what is wrong"), N counted from 1; any byte
// sequence either parses or throws. Interrupted when `interrupted` (polled
// by the calling thread between chunks) returns true.
ParsedSvmlight parse_svmlight(std::string_view text, int n_threads, const InterruptPoll& interrupted = {});

// Writes the joined CSR arrays: values[nnz], indices[nnz] (index - shift),
// indptr[n_rows + 1], labels[n_rows] and, when qids is not null, qids[n_rows].
// Value is float or double, Index int32_t or int64_t; the caller has checked
// that the shifted indices and nnz fit Index.
template <class Value, class Index>
void assemble_svmlight(const ParsedSvmlight& parsed, std::int64_t shift, int n_threads, Value* values,
                       Index* indices, Index* indptr, double* labels, std::int64_t* qids);

}  // namespace hogwild
