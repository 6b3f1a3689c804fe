#include "avpost/core/atomic_output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost {
namespace {

constexpr std::string_view partial_marker = ".partial-";

[[noreturn]] void throw_output_errno(std::string context, int errno_value) {
    throw OutputError(ErrorDomain::system, std::move(context), errno_value, std::strerror(errno_value));
}

void fsync_path(const std::filesystem::path& path, bool directory) {
    int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) throw_output_errno("open for fsync '" + path.string() + "'", errno);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) throw_output_errno("fsync '" + path.string() + "'", saved);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// The writer's PID in ".STEM.partial-PID-N[.EXT]", or nothing when `name` is not a temporary.
std::optional<pid_t> partial_writer(std::string_view name) {
    if (!name.starts_with('.')) return std::nullopt;
    const std::size_t marker = name.rfind(partial_marker);
    if (marker == std::string_view::npos || marker == 0) return std::nullopt;
    std::string_view rest = name.substr(marker + partial_marker.size());
    auto digits = [&] {
        std::size_t n = 0;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
        std::string_view run = rest.substr(0, n);
        rest.remove_prefix(n);
        return run;
    };
    const std::string_view pid = digits();
    if (pid.empty() || pid.size() > 9 || !rest.starts_with('-')) return std::nullopt;
    rest.remove_prefix(1);
    if (digits().empty() || !(rest.empty() || rest.starts_with('.'))) return std::nullopt;
    const long value = std::strtol(std::string(pid).c_str(), nullptr, 10);
    if (value <= 0) return std::nullopt;
    return pid_t(value);
}

// When `pid` runs (a zombie has finished running): its start in seconds since the epoch.
std::optional<double> live_process_start(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return std::nullopt;
    std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat_line;
    if (!std::getline(stat_file, stat_line)) {
        // Alive, but its start is unknown: count it as having started long ago, so only its
        // own (locked) temporaries would be newer, and those are never removed.
        return 0.0;
    }
    // "PID (COMM) STATE ..." where COMM may hold spaces and parentheses: fields after the last ')'.
    std::istringstream fields(stat_line.substr(stat_line.rfind(')') + 1));
    std::string state;
    fields >> state;
    if (state == "Z" || state == "X") return std::nullopt;
    std::string field;
    for (int i = 4; i < 22 && fields >> field;) ++i;  // fields 4..21
    unsigned long long start_ticks = 0;
    if (!(fields >> start_ticks)) return 0.0;
    std::ifstream proc_stat("/proc/stat");
    std::string key;
    long long boot_time = 0;
    while (proc_stat >> key) {
        if (key == "btime") {
            proc_stat >> boot_time;
            break;
        }
        proc_stat.ignore(1 << 20, '\n');
    }
    if (boot_time <= 0) return 0.0;
    return double(boot_time) + double(start_ticks) / double(::sysconf(_SC_CLK_TCK));
}

// True when the temporary at `path` (opened as `fd`, which now holds its lock) belongs to no
// running writer.
bool abandoned(pid_t writer, int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    const std::optional<double> started = live_process_start(writer);
    if (!started) return true;
    // The PID is in use. Its own writer created the file after it started; a file older than
    // the process (with a margin for the clocks' coarseness) is a dead writer's, the PID reused.
    const double made = double(st.st_ctim.tv_sec) + double(st.st_ctim.tv_nsec) * 1e-9;
    return made + 2.0 < *started;
}

// Takes the lock of a temporary this process just made. Another process's remove_dead_partials
// may hold it for the instant it takes to see that this writer is alive (between our create and
// our lock): wait for that instead of failing. Failing here was the rare double claim of two
// archiving processes (one fetch refused its own temporary, and the asset was claimed again).
int lock_own_temporary(int fd) {
    int rc;
    do rc = ::flock(fd, LOCK_EX);
    while (rc != 0 && errno == EINTR);
    return rc;
}

}  // namespace

int remove_dead_partials(const std::filesystem::path& directory) {
    const std::filesystem::path dir = directory.empty() ? std::filesystem::path(".") : directory;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) return 0;  // no directory yet: nothing stale
    int removed = 0;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        const std::optional<pid_t> writer = partial_writer(name);
        if (!writer || *writer == ::getpid()) continue;
        Fd fd(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (fd.get() < 0) continue;  // gone meanwhile, or not ours to read
        // A writer holds its lock for the temporary's whole life.
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
        struct stat opened {}, named {};
        if (::fstat(fd.get(), &opened) != 0 || !(S_ISREG(opened.st_mode) || S_ISDIR(opened.st_mode))) continue;
        if (!abandoned(*writer, fd.get())) continue;
        // Still the file we locked under that name (not a new one made since): remove it.
        if (::lstat(entry.path().c_str(), &named) != 0 || named.st_ino != opened.st_ino ||
            named.st_dev != opened.st_dev)
            continue;
        if (S_ISDIR(opened.st_mode)) {
            std::error_code failed;
            std::filesystem::remove_all(entry.path(), failed);
            if (failed) continue;
        } else if (::unlink(entry.path().c_str()) != 0) {
            continue;
        }
        ++removed;
        log::info("removed '" + entry.path().string() + "' left by an interrupted run");
    }
    return removed;
}

AtomicOutput::AtomicOutput(std::filesystem::path final_path) : final_(std::move(final_path)) {
    remove_dead_partials(final_.parent_path());
    std::random_device random;
    for (int attempt = 0;; ++attempt) {
        // Keeps the final extension so tools that look at the name still see the container type.
        // Built by appending: gcc 12 warns falsely (-Wrestrict) about "literal" + std::string&&.
        std::string name = ".";
        name.append(final_.stem().string()).append(partial_marker).append(std::to_string(::getpid()));
        name.append("-").append(std::to_string(random() % 100000)).append(final_.extension().string());
        temp_ = final_.parent_path() / name;
        lock_fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (lock_fd_ >= 0) break;
        if (errno != EEXIST || attempt == 100)
            throw_output_errno("cannot create a temporary file beside '" + final_.string() + "'", errno);
    }
    if (lock_own_temporary(lock_fd_) != 0) {
        const int saved = errno;
        ::close(lock_fd_);
        ::unlink(temp_.c_str());
        throw_output_errno("lock '" + temp_.string() + "'", saved);
    }
}

AtomicOutput::~AtomicOutput() {
    if (!committed_) ::unlink(temp_.c_str());  // before the lock goes, so no sweeper races us
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

void AtomicOutput::commit() {
    fsync_path(temp_, false);
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
        throw_output_errno("rename '" + temp_.string() + "' to '" + final_.string() + "'", errno);
    committed_ = true;
    ::close(lock_fd_);
    lock_fd_ = -1;
    auto dir = final_.parent_path();
    fsync_path(dir.empty() ? std::filesystem::path(".") : dir, true);
}

PartialDirectory::PartialDirectory(const std::filesystem::path& final_dir) {
    const std::filesystem::path parent = final_dir.parent_path().empty() ? std::filesystem::path(".") : final_dir.parent_path();
    remove_dead_partials(parent);
    std::random_device random;
    for (int attempt = 0;; ++attempt) {
        std::string name = ".";  // appended: see AtomicOutput's constructor (gcc 12 -Wrestrict)
        name.append(final_dir.filename().string()).append(partial_marker).append(std::to_string(::getpid()));
        name.append("-").append(std::to_string(random() % 100000));
        path_ = parent / name;
        if (::mkdir(path_.c_str(), 0777) == 0) break;
        if (errno != EEXIST || attempt == 100)
            throw_output_errno("cannot create a temporary directory beside '" + final_dir.string() + "'", errno);
    }
    lock_fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd_ < 0 || lock_own_temporary(lock_fd_) != 0) {
        const int saved = errno;
        if (lock_fd_ >= 0) ::close(lock_fd_);
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
        throw_output_errno("lock '" + path_.string() + "'", saved);
    }
}

PartialDirectory::~PartialDirectory() {
    if (!released_) {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);  // before the lock goes, so no sweeper races us
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

void PartialDirectory::release() { released_ = true; }

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    AtomicOutput output(path);
    int fd = ::open(output.temp_path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) throw_output_errno("create '" + output.temp_path().string() + "'", errno);
    std::size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            throw_output_errno("write '" + path.string() + "'", saved);
        }
        written += std::size_t(n);
    }
    if (::close(fd) != 0) throw_output_errno("close '" + path.string() + "'", errno);
    output.commit();
}

}  // namespace avpost
