#pragma once
// Reading the Prometheus text format in tests: each sample line as "name{labels}" -> value, and
// `promtool check metrics` (Debian's prometheus package) on a scraped text.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace avpost::test {

// "avpost_queue_jobs{state=\"done\"}" -> 2. The series is the line up to its last space, as
// written (labels in the writer's order).
inline std::map<std::string, double> prometheus_samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        if (space == std::string::npos) continue;
        const std::string value = line.substr(space + 1);
        out[line.substr(0, space)] = value == "+Inf" ? HUGE_VAL : value == "-Inf" ? -HUGE_VAL : std::strtod(value.c_str(), nullptr);
    }
    return out;
}

// A sample's value, or -1 when there is no such line.
inline double sample(const std::map<std::string, double>& samples, const std::string& series) {
    auto it = samples.find(series);
    return it == samples.end() ? -1 : it->second;
}

// promtool on $PATH, else empty.
inline std::string find_promtool() {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        std::filesystem::path p = std::filesystem::path(dir) / "promtool";
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
}

struct PromtoolResult {
    int exit_code = -1;
    std::string output;
};

// `promtool check metrics < FILE` (it lints as well: names, units, HELP) with its output.
inline PromtoolResult promtool_check(const std::string& promtool, const std::string& text, const std::filesystem::path& dir,
                                     const std::string& name) {
    const std::filesystem::path file = dir / (name + ".prom");
    std::ofstream(file) << text;
    PromtoolResult r;
    const std::string cmd = promtool + " check metrics < '" + file.string() + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// CI must have promtool (scripts/setup.sh installs prometheus): there a missing one fails.
inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::string(ci) != "false" && std::string(ci) != "0";
}

}  // namespace avpost::test
