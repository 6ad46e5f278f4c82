// Standalone benchmark of the C++ core on a generated sparse problem.
//
// For 1..N threads, each write policy of the hogwild solver and every other
// registered solver (solvers.hpp) it prints epoch seconds, nonzeros/s and
// the speedup over one thread, next to a bare "speed of light" loop over
// the same arrays (gather-dot, scatter-axpy; no loss, schedule or
// regularization) in data order and in a shuffled order.
//
//   bench_sparse_sgd [--rows 1000000] [--features 100000] [--nnz 40]
//                    [--popularity zipf|uniform] [--zipf 1.1] [--threads N]
//                    [--epochs 3] [--block 1] [--numa auto|off|replicate] [--topology NxM]
//                    [--numa-data off|shard|replicate] [--only hogwild]
//                                                 (--help: usage; a bad option: exit 2)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/io/synthetic.hpp"
#include "hogwild/core/topology.hpp"
#include "hogwild/core/views.hpp"

namespace {

struct Options {
    std::int64_t rows = 1000000;
    std::int64_t features = 100000;
    int nnz = 40;
    bool zipf = true;
    double exponent = 1.1;
    int threads = 0;  // 0: all usable CPUs
    int epochs = 3;
    double l1_ratio = 0.0;  // 0: the L2 penalty; 1: L1; between: elasticnet
    std::int64_t block = 1;
    bool shuffle = true;
    std::int64_t hot = -1;
    std::int64_t sync = -1;
    hogwild::NumaMode numa = hogwild::NumaMode::automatic;
    hogwild::NumaData numa_data = hogwild::NumaData::off;
    std::string topology;  // "NxM": simulated; empty: HOGWILD_TOPOLOGY, else sysfs
    std::string only;      // one solver's rows only (empty: all)
};

struct Problem {
    std::vector<float> data;
    std::vector<std::int32_t> indices;
    std::vector<std::int32_t> indptr;
    std::vector<double> y;
    std::vector<double> sample_weight;
    hogwild::CsrView<float, std::int32_t> view() const {
        hogwild::CsrView<float, std::int32_t> v;
        v.data = data.data();
        v.indices = indices.data();
        v.indptr = indptr.data();
        v.n_rows = static_cast<std::int64_t>(indptr.size()) - 1;
        v.n_cols = 0;
        return v;
    }
};

Problem generate(const Options& o) {
    hogwild::SyntheticOptions options;
    options.n_rows = o.rows;
    options.n_features = o.features;
    options.nnz_per_row = o.nnz;
    options.zipf = o.zipf;
    options.zipf_exponent = o.exponent;
    auto generated = hogwild::make_sparse_problem(options, hogwild::usable_cpu_count());
    Problem p;
    p.data = std::move(generated.data);
    p.indices = std::move(generated.indices);
    p.indptr = std::move(generated.indptr);
    p.y = std::move(generated.y);
    p.sample_weight.assign(p.y.size(), 1.0);
    return p;
}

// The bare loop: for each row, p = w.x, then w += c x with a fixed c.
double speed_of_light_epoch(const Problem& p, std::int64_t features, const std::vector<std::int64_t>& order, int threads,
                            bool prefetch = false) {
    std::vector<double> w(static_cast<std::size_t>(features), 0.0);
    const auto X = p.view();
    const std::int64_t n = X.n_rows;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
        const int tid = omp_get_thread_num();
        const std::int64_t begin = n * tid / threads, end = n * (tid + 1) / threads;
        for (std::int64_t position = begin; position < end; ++position) {
            if (prefetch && position + 16 < end) X.prefetch_row_start(order[static_cast<std::size_t>(position + 16)]);
            if (prefetch && position + 8 < end) X.prefetch_row(order[static_cast<std::size_t>(position + 8)]);
            const std::int64_t i = order[static_cast<std::size_t>(position)];
            const auto row = X.row(i);
            double dot = 0.0;
            for (std::int64_t k = 0; k < row.nnz; ++k) dot += w[static_cast<std::size_t>(row.indices[k])] * row.values[k];
            const double c = -0.01 * (dot > 0.0 ? 1.0 : -1.0) * p.y[static_cast<std::size_t>(i)];
            for (std::int64_t k = 0; k < row.nnz; ++k) w[static_cast<std::size_t>(row.indices[k])] += c * row.values[k];
        }
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double solver_epoch_seconds(const Problem& p, std::int64_t features, const Options& o, const char* solver,
                            hogwild::WritePolicyKind write, int threads, double* objective) {
    hogwild::TrainConfig config;
    config.objective.loss.kind = hogwild::Loss::log_loss;
    config.objective.alpha = 1e-6;
    config.objective.penalty = o.l1_ratio <= 0.0   ? hogwild::Penalty::l2
                               : o.l1_ratio >= 1.0 ? hogwild::Penalty::l1
                                                   : hogwild::Penalty::elasticnet;
    config.objective.l1_ratio = o.l1_ratio;
    config.stopping.max_iter = o.epochs;
    config.parallel.n_threads = threads;
    config.parallel.write = write;
    config.sampling.shuffle_block_size = o.block;
    config.sampling.shuffle = o.shuffle;
    config.parallel.hot_features = o.hot;
    config.parallel.sync_every = o.sync;
    config.parallel.numa = o.numa;
    config.parallel.numa_data = o.numa_data;
    config.parallel.topology = o.topology;
    config.objective.intercept_decay = 0.01;
    std::vector<double> weights(static_cast<std::size_t>(features), 0.0);
    double intercept = 0.0;
    hogwild::ModelState model;
    model.weights = weights.data();
    model.intercept = &intercept;
    model.n_features = features;
    hogwild::Targets targets;
    targets.y = p.y.data();
    targets.sample_weight = p.sample_weight.data();
    auto X = p.view();
    X.n_cols = features;
    const auto result = hogwild::train_solver(solver, X, targets, config, model, {});
    std::vector<double> seconds;
    for (const auto& r : result.history) seconds.push_back(r.seconds);
    *objective = result.history.back().objective;
    return median(seconds);
}

}  // namespace

constexpr const char* kUsage =
    "usage: bench_sparse_sgd [--rows 1000000] [--features 100000] [--nnz 40] [--popularity zipf|uniform]\n"
    "                        [--zipf 1.1] [--threads N] [--epochs 3] [--block 1] [--shuffle 1] [--hot -1]\n"
    "                        [--l1-ratio 0 (L2; 1: L1; between: elasticnet)]\n"
    "                        [--sync -1] [--numa auto|off|replicate] [--topology NxM] [--only SOLVER]\n"
    "                        [--numa-data off|shard|replicate]\n"
    "Every registered solver (and hogwild's write policies) on a generated sparse problem, 1..N threads.\n";

// The number in `text`, or an error naming the option (no silent 0 from atoi).
bool parse_number(const std::string& key, const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(out)) {
        std::fprintf(stderr, "bench_sparse_sgd: %s needs a number, got '%s'\n%s", key.c_str(), text, kUsage);
        return false;
    }
    return true;
}

// The value of `choices` named by `text`, or an error listing the names.
template <class T>
bool parse_choice(const std::string& key, const char* text,
                  std::initializer_list<std::pair<const char*, T>> choices, T& out) {
    std::string names;
    for (const auto& [name, value] : choices) {
        if (text == std::string(name)) {
            out = value;
            return true;
        }
        names += std::string(names.empty() ? "" : ", ") + name;
    }
    std::fprintf(stderr, "bench_sparse_sgd: %s is one of %s, got '%s'\n", key.c_str(), names.c_str(), text);
    return false;
}

int main(int argc, char** argv) {
    Options o;
    for (int a = 1; a < argc; a += 2) {
        const std::string key = argv[a];
        if (key == "-h" || key == "--help") {
            std::printf("%s", kUsage);
            return 0;
        }
        if (a + 1 >= argc) {
            std::fprintf(stderr, "bench_sparse_sgd: %s needs a value\n%s", key.c_str(), kUsage);
            return 2;
        }
        const char* value = argv[a + 1];
        if (key == "--popularity") {
            if (!parse_choice<bool>(key, value, {{"zipf", true}, {"uniform", false}}, o.zipf)) return 2;
            continue;
        }
        if (key == "--numa") {
            using hogwild::NumaMode;
            if (!parse_choice<NumaMode>(key, value, {{"auto", NumaMode::automatic}, {"off", NumaMode::off},
                                                     {"replicate", NumaMode::replicate}}, o.numa))
                return 2;
            continue;
        }
        if (key == "--numa-data") {
            using hogwild::NumaData;
            if (!parse_choice<NumaData>(key, value, {{"off", NumaData::off}, {"shard", NumaData::shard},
                                                     {"replicate", NumaData::replicate}}, o.numa_data))
                return 2;
            continue;
        }
        if (key == "--topology") {
            try {
                (void)hogwild::machine_topology(value);
            } catch (const std::invalid_argument& error) {
                std::fprintf(stderr, "bench_sparse_sgd: --topology: %s\n", error.what());
                return 2;
            }
            o.topology = value;
            continue;
        }
        if (key == "--only") {
            o.only = value;
            continue;
        }
        double number = 0.0;
        if (!parse_number(key, value, number)) return 2;
        if (key == "--rows") o.rows = static_cast<std::int64_t>(number);
        else if (key == "--features") o.features = static_cast<std::int64_t>(number);
        else if (key == "--nnz") o.nnz = static_cast<int>(number);
        else if (key == "--zipf") o.exponent = number;
        else if (key == "--threads") o.threads = static_cast<int>(number);
        else if (key == "--epochs") o.epochs = static_cast<int>(number);
        else if (key == "--l1-ratio") o.l1_ratio = number;
        else if (key == "--block") o.block = static_cast<std::int64_t>(number);
        else if (key == "--shuffle") o.shuffle = number != 0.0;
        else if (key == "--hot") o.hot = static_cast<std::int64_t>(number);
        else if (key == "--sync") o.sync = static_cast<std::int64_t>(number);
        else {
            std::fprintf(stderr, "bench_sparse_sgd: unknown option %s\n%s", key.c_str(), kUsage);
            return 2;
        }
    }
    if (o.rows < 1 || o.features < 1 || o.nnz < 1 || o.epochs < 1 || o.block < 1) {
        std::fprintf(stderr, "bench_sparse_sgd: --rows, --features, --nnz, --epochs and --block must be >= 1\n");
        return 2;
    }
    const int max_threads = o.threads > 0 ? o.threads : hogwild::usable_cpu_count();
    const hogwild::Topology topology = hogwild::machine_topology(o.topology);
    std::printf("topology: %zu NUMA node(s) (%s); numa %s\n", topology.nodes.size(), topology.source.c_str(),
                o.numa == hogwild::NumaMode::automatic ? "auto" : o.numa == hogwild::NumaMode::off ? "off" : "replicate");
    const Problem p = generate(o);
    const double nnz = static_cast<double>(p.indices.size());
    std::printf("problem: %lld rows, %lld features, %.1f nonzeros/row, %s popularity%s; %d epochs (median shown)\n\n",
                static_cast<long long>(o.rows), static_cast<long long>(o.features), nnz / o.rows,
                o.zipf ? "zipf" : "uniform", o.zipf ? (" (exponent " + std::to_string(o.exponent) + ")").c_str() : "",
                o.epochs);

    std::vector<std::int64_t> data_order(static_cast<std::size_t>(o.rows));
    std::iota(data_order.begin(), data_order.end(), 0);
    std::vector<std::int64_t> shuffled = data_order;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(7));

    std::printf("%-26s %7s %10s %12s %8s %10s\n", "loop", "threads", "epoch s", "M nnz/s", "speedup", "objective");
    auto row = [&](const std::string& name, int threads, double seconds, double base, double objective) {
        std::printf("%-26s %7d %10.4f %12.1f %8.2f %10.4f\n", name.c_str(), threads, seconds, nnz / seconds / 1e6,
                    base / seconds, objective);
    };
    const auto wanted = [&](const std::string& solver) { return o.only.empty() || o.only == solver; };
    for (const auto& [name, order] : {std::pair<const char*, const std::vector<std::int64_t>*>{"speed of light, data order", &data_order},
                                      {"speed of light, shuffled", &shuffled}}) {
        if (!o.only.empty()) break;
        double base = 0.0;
        for (int t = 1; t <= max_threads; ++t) {
            std::vector<double> s;
            for (int e = 0; e < o.epochs; ++e) s.push_back(speed_of_light_epoch(p, o.features, *order, t));
            const double seconds = median(s);
            if (t == 1) base = seconds;
            row(name, t, seconds, base, std::nan(""));
            std::vector<double> sp;
            for (int e = 0; e < o.epochs; ++e) sp.push_back(speed_of_light_epoch(p, o.features, *order, t, true));
            row(std::string(name) + "+pf", t, median(sp), base, std::nan(""));
        }
    }
    double objective = 0.0;
    if (wanted("sequential")) {
        const double sequential =
            solver_epoch_seconds(p, o.features, o, "sequential", hogwild::WritePolicyKind::racy, 1, &objective);
        row("sequential (sklearn-exact)", 1, sequential, sequential, objective);
    }
    for (const auto& [name, write] : {std::pair<const char*, hogwild::WritePolicyKind>{"hogwild racy", hogwild::WritePolicyKind::racy},
                                      {"hogwild atomic", hogwild::WritePolicyKind::atomic},
                                      {"hogwild locked", hogwild::WritePolicyKind::locked}}) {
        if (!wanted("hogwild")) break;
        double base = 0.0;
        for (int t = 1; t <= max_threads; ++t) {
            const double seconds = solver_epoch_seconds(p, o.features, o, "hogwild", write, t, &objective);
            if (t == 1) base = seconds;
            row(name, t, seconds, base, objective);
        }
    }
    // every other solver of the registry, with its default knobs
    for (const hogwild::SolverInfo& info : hogwild::kSolvers) {
        const std::string name = info.name;
        if (name == "sequential" || name == "hogwild" || !wanted(name)) continue;
        double base = 0.0;
        for (int t = 1; t <= (info.parallel ? max_threads : 1); ++t) {
            const double seconds = solver_epoch_seconds(p, o.features, o, info.name, hogwild::WritePolicyKind::racy, t,
                                                        &objective);
            if (t == 1) base = seconds;
            row(name, t, seconds, base, objective);
        }
    }
    return 0;
}
