#include "hogwild/core/topology.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

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

std::vector<NumaNode> numa_nodes(const std::string& sysfs_root) {
    const std::vector<int> allowed = allowed_cpus();
    std::vector<NumaNode> nodes;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(sysfs_root, error)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= 4 || name.compare(0, 4, "node") != 0 ||
            !std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        std::ifstream file(entry.path() / "cpulist");
        std::string list;
        if (!file || !std::getline(file, list)) continue;
        NumaNode node;
        node.id = std::stoi(name.substr(4));
        try {
            for (const int cpu : parse_cpu_list(list))
                if (std::find(allowed.begin(), allowed.end(), cpu) != allowed.end()) node.cpus.push_back(cpu);
        } catch (const std::invalid_argument&) {
            continue;  // (a file we cannot read is a node we cannot use)
        }
        if (!node.cpus.empty()) nodes.push_back(std::move(node));
    }
    std::sort(nodes.begin(), nodes.end(), [](const NumaNode& a, const NumaNode& b) { return a.id < b.id; });
    if (nodes.empty()) nodes.push_back(NumaNode{0, allowed});
    return nodes;
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
