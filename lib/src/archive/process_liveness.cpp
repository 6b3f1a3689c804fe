#include "process_liveness.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace avpost::archive {
namespace {

// Seconds since the epoch at boot ("btime" of /proc/stat).
std::optional<double> boot_time() {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
        if (key == "btime") {
            double t = 0;
            if (in >> t) return t;
            return std::nullopt;
        }
        in.ignore(1 << 16, '\n');
    }
    return std::nullopt;
}

}  // namespace

std::optional<double> process_start_time(long pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos || close + 2 > stat.size()) return std::nullopt;
    std::string_view rest = std::string_view(stat).substr(close + 2);
    for (int field = 3; field < 22; ++field) {  // field 22: start time in clock ticks after boot
        auto space = rest.find(' ');
        if (space == std::string_view::npos) return std::nullopt;
        rest = rest.substr(space + 1);
    }
    auto boot = boot_time();
    long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    if (!boot || ticks_per_second <= 0) return std::nullopt;
    try {
        return *boot + std::stod(std::string(rest.substr(0, rest.find(' ')))) / double(ticks_per_second);
    } catch (...) {
        return std::nullopt;
    }
}

bool left_by_dead_process(long pid, const std::filesystem::path& file) {
    if (pid <= 0) return false;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) return true;
    struct stat st{};
    if (::stat(file.c_str(), &st) != 0) return false;  // gone already, or not ours to judge
    auto started = process_start_time(pid);
    if (!started) return false;  // alive (or unknowable): leave it
    double written = double(st.st_mtim.tv_sec) + double(st.st_mtim.tv_nsec) / 1e9;
    // btime has whole seconds: a margin keeps a file written right at the start alive.
    return written + 2.0 < *started;
}

}  // namespace avpost::archive
