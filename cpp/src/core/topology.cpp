#include "hogwild/core/topology.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif
#include <thread>

namespace hogwild {

std::vector<int> allowed_cpus() {
    std::vector<int> cpus;
#if defined(__linux__)
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
    }
#endif
    if (cpus.empty()) {
        const unsigned n = std::thread::hardware_concurrency();
        for (unsigned cpu = 0; cpu < (n == 0 ? 1u : n); ++cpu) cpus.push_back(static_cast<int>(cpu));
    }
    return cpus;
}

int usable_cpu_count() { return static_cast<int>(allowed_cpus().size()); }

std::vector<int> parse_cpu_list(std::string_view list) {
    auto number = [&](std::string_view text) {
        int value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || text.empty() || value < 0)
            throw std::invalid_argument("malformed CPU list: '" + std::string(list) + "'");
        return value;
    };
    while (!list.empty() && (list.back() == '\n' || list.back() == ' ')) list.remove_suffix(1);
    std::vector<int> cpus;
    std::string_view rest = list;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const std::size_t dash = item.find('-');
        const int first = number(item.substr(0, dash));
        const int last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
        if (last < first) throw std::invalid_argument("malformed CPU list: '" + std::string(list) + "'");
        for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    }
    return cpus;
}

namespace {

constexpr int kLocalDistance = 10;   // sysfs's unit: a node to itself
constexpr int kRemoteDistance = 20;  // (the usual one-hop figure, for simulated and unreadable distances)

std::string first_line(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::string line;
    if (file) std::getline(file, line);
    return line;
}

// Where CPU `cpu` stands among the usable (`usable`, sorted) hardware
// threads of its core (0: the first) and which core it is on (its core's
// first hardware thread), from sysfs; a core of its own where sysfs says
// nothing. (Counted among the usable siblings only: with CPU 2 of a core
// {2, 3} outside the affinity mask, 3 is that core's first.)
struct CoreSeat {
    int core;
    int rank;
};
CoreSeat core_seat(const std::filesystem::path& cpu_root, int cpu, const std::vector<int>& usable) {
    try {
        std::vector<int> siblings = parse_cpu_list(
            first_line(cpu_root / ("cpu" + std::to_string(cpu)) / "topology" / "thread_siblings_list"));
        if (std::find(siblings.begin(), siblings.end(), cpu) != siblings.end()) {
            const int core = siblings.front();
            std::erase_if(siblings, [&](int s) { return !std::binary_search(usable.begin(), usable.end(), s); });
            const auto at = std::find(siblings.begin(), siblings.end(), cpu);
            return {core, static_cast<int>(at - siblings.begin())};
        }
    } catch (const std::invalid_argument&) {
    }
    return {cpu, 0};
}

// A node's CPUs in placement order: first hardware threads of their cores, then the rest.
void order_for_placement(NumaNode& node, const std::filesystem::path& cpu_root) {
    std::vector<int> usable = node.cpus;
    std::sort(usable.begin(), usable.end());
    std::vector<std::pair<CoreSeat, int>> seats;
    for (const int cpu : node.cpus) seats.push_back({core_seat(cpu_root, cpu, usable), cpu});
    std::sort(seats.begin(), seats.end(), [](const auto& a, const auto& b) {
        return a.first.rank != b.first.rank ? a.first.rank < b.first.rank : a.second < b.second;
    });
    std::vector<int> cores;
    node.cpus.clear();
    for (const auto& [seat, cpu] : seats) {
        node.cpus.push_back(cpu);
        if (std::find(cores.begin(), cores.end(), seat.core) == cores.end()) cores.push_back(seat.core);
    }
    node.physical_cores = static_cast<int>(cores.size());
}

std::vector<int> parse_distances(const std::string& line) {
    std::vector<int> distances;
    std::istringstream in(line);
    int value = 0;
    while (in >> value) distances.push_back(value);
    return distances;
}

}  // namespace

Topology read_topology(const std::string& sysfs_root) {
    const std::vector<int> allowed = allowed_cpus();
    const std::filesystem::path node_root = std::filesystem::path(sysfs_root) / "node";
    const std::filesystem::path cpu_root = std::filesystem::path(sysfs_root) / "cpu";
    // every node sysfs lists (a node's distance file has one entry per node, by id)
    struct Listed {
        int id;
        std::vector<int> cpus;
        std::vector<int> distances;
    };
    std::vector<Listed> listed;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(node_root, error)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= 4 || name.size() > 9 || name.compare(0, 4, "node") != 0 ||
            !std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        Listed node{std::stoi(name.substr(4)), {}, parse_distances(first_line(entry.path() / "distance"))};
        try {
            for (const int cpu : parse_cpu_list(first_line(entry.path() / "cpulist")))
                if (std::binary_search(allowed.begin(), allowed.end(), cpu)) node.cpus.push_back(cpu);
        } catch (const std::invalid_argument&) {
            continue;  // (a file we cannot read is a node we cannot use)
        }
        listed.push_back(std::move(node));
    }
    std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) { return a.id < b.id; });

    Topology topology;
    topology.source = "sysfs";
    std::vector<std::size_t> kept;  // positions in `listed`
    for (std::size_t k = 0; k < listed.size(); ++k) {
        if (listed[k].cpus.empty()) continue;
        kept.push_back(k);
        NumaNode node;
        node.id = listed[k].id;
        node.cpus = listed[k].cpus;
        order_for_placement(node, cpu_root);
        topology.nodes.push_back(std::move(node));
    }
    for (std::size_t a = 0; a < kept.size(); ++a) {
        const std::vector<int>& row = listed[kept[a]].distances;
        for (std::size_t b = 0; b < kept.size(); ++b) {
            const bool readable = row.size() == listed.size();
            topology.nodes[a].distances.push_back(readable ? row[kept[b]]
                                                           : (a == b ? kLocalDistance : kRemoteDistance));
        }
    }
    if (topology.nodes.empty()) {
        NumaNode node;
        node.cpus = allowed;
        order_for_placement(node, cpu_root);
        node.distances = {kLocalDistance};
        topology.nodes.push_back(std::move(node));
        topology.source = "affinity mask";
    }
    return topology;
}

Topology simulated_topology(std::string_view spec, const std::vector<int>& allowed) {
    const auto refuse = [&] {
        return std::invalid_argument("topology must be \"NxM\", N NUMA nodes of M CPUs each (for example \"2x4\"; "
                                     "at most 4096 CPUs in all), got '" + std::string(spec) + "'");
    };
    const std::size_t x = spec.find('x');
    if (x == std::string_view::npos) throw refuse();
    auto number = [&](std::string_view text) {
        int value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 1) throw refuse();
        return value;
    };
    const int n_nodes = number(spec.substr(0, x));
    const int per_node = number(spec.substr(x + 1));
    if (static_cast<long long>(n_nodes) * per_node > 4096) throw refuse();
    const std::vector<int> real = allowed.empty() ? std::vector<int>{0} : allowed;
    Topology topology;
    topology.simulated = true;
    topology.source = "simulated " + std::string(spec);
    for (int n = 0; n < n_nodes; ++n) {
        NumaNode node;
        node.id = n;
        for (int k = 0; k < per_node; ++k)
            node.cpus.push_back(real[static_cast<std::size_t>(n * per_node + k) % real.size()]);
        node.physical_cores = per_node;
        for (int other = 0; other < n_nodes; ++other)
            node.distances.push_back(other == n ? kLocalDistance : kRemoteDistance);
        topology.nodes.push_back(std::move(node));
    }
    return topology;
}

Topology machine_topology(std::string_view spec) {
    if (!spec.empty()) return simulated_topology(spec, allowed_cpus());
    const char* from_environment = std::getenv("HOGWILD_TOPOLOGY");
    if (from_environment != nullptr && *from_environment != '\0') {
        try {
            return simulated_topology(from_environment, allowed_cpus());
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument(std::string("HOGWILD_TOPOLOGY: ") + error.what());
        }
    }
    // Read once per affinity mask: sysfs's description of the machine does
    // not change while a process runs, and reading it (a file per node and
    // per CPU) cost 44 us of every fit with several threads.
    static std::mutex mutex;
    static std::vector<int> read_for;  // the affinity mask it was read under
    static Topology read;
    const std::vector<int> allowed = allowed_cpus();
    std::lock_guard<std::mutex> lock(mutex);
    if (read.nodes.empty() || read_for != allowed) {
        read = read_topology();
        read_for = allowed;
    }
    return read;
}

int current_cpu() {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

ScopedThreadPin::ScopedThreadPin(int cpu) {
#if defined(__linux__)
    if (cpu < 0) return;
    cpu_set_t previous;
    if (pthread_getaffinity_np(pthread_self(), sizeof(previous), &previous) != 0) return;
    saved_mask_.resize(sizeof(previous));
    std::memcpy(saved_mask_.data(), &previous, sizeof(previous));
    cpu_set_t target;
    CPU_ZERO(&target);
    CPU_SET(cpu, &target);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(target), &target) == 0;
#else
    (void)cpu;
#endif
}

ScopedThreadPin::~ScopedThreadPin() {
#if defined(__linux__)
    if (pinned_) {
        cpu_set_t previous;
        std::memcpy(&previous, saved_mask_.data(), sizeof(previous));
        pthread_setaffinity_np(pthread_self(), sizeof(previous), &previous);
    }
#endif
}

}  // namespace hogwild
