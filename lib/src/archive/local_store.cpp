#include "avpost/archive/local_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "avpost/core/sha256.hpp"
#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "process_liveness.hpp"

namespace avpost::archive {
namespace {

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    // close() reports deferred write errors (NFS, some full-disk cases); never drop it.
    void close_checked(const std::string& what) {
        int f = fd;
        fd = -1;
        if (::close(f) != 0) throw_errno("close '" + what + "'", errno);
    }
};

void fsync_dir(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.fd < 0) throw_errno("open directory '" + dir.string() + "' for fsync", errno);
    if (::fsync(fd.fd) != 0) throw_errno("fsync directory '" + dir.string() + "'", errno);
}

// mkdir -p below `root`, fsyncing the parent of every directory created so the new entries
// survive a crash along with the file renamed into them.
void make_dirs_durable(const std::filesystem::path& root, const std::filesystem::path& dir) {
    std::filesystem::path current = root;
    for (const auto& part : dir.lexically_relative(root)) {
        if (part == ".") continue;
        std::filesystem::path next = current / part;
        if (::mkdir(next.c_str(), 0755) == 0) {
            fsync_dir(current);
        } else if (errno != EEXIST) {
            throw_errno("create directory '" + next.string() + "'", errno);
        }
        current = next;
    }
}

void write_all(int fd, const char* data, std::size_t size, const std::filesystem::path& path) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write '" + path.string() + "'", errno);
        }
        data += n;
        size -= std::size_t(n);
    }
}

// A process killed mid-write leaves its temporary file (".STEM.partial-PID-N.EXT", see
// AtomicOutput) beside the target. The catalog claim makes us the only writer of this target, so
// a temporary of a process that no longer exists is debris from a crash: remove it. A pid in use
// again by a process started after the temporary was last written counts as gone too.
void remove_stale_temporaries(const std::filesystem::path& target) {
    std::string prefix = ".";  // built by append: gcc 12 warns falsely (-Wrestrict) on "." + string
    prefix += target.stem().string();
    prefix += ".partial-";
    std::error_code ec;
    std::filesystem::directory_iterator it(target.parent_path(), ec);
    if (ec) return;  // no directory yet: nothing stale
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid <= 0 || pid == long(::getpid())) continue;
        if (!left_by_dead_process(pid, entry.path())) continue;  // its writer may still run
        if (::unlink(entry.path().c_str()) != 0 && errno != ENOENT)
            throw_errno("remove stale temporary '" + entry.path().string() + "'", errno);
        log::info("removed '" + entry.path().string() + "' left by an interrupted run");
    }
}

}  // namespace

LocalStore::LocalStore(std::filesystem::path root) : root_(std::filesystem::absolute(std::move(root))) {}

std::string LocalStore::uri() const { return "file://" + root_.string(); }

std::filesystem::path LocalStore::path_of(const std::string& key) const {
    check_store_key(key);
    return root_ / key;
}

ObjectInfo LocalStore::put(const std::filesystem::path& file, const std::string& key,
                           const std::string& expected_sha256, std::int64_t expected_size) {
    std::filesystem::path target = path_of(key);
    if (!is_sha256_hex(expected_sha256)) throw_usage("put '" + key + "': expected SHA-256 is not 64 hex digits");

    if (auto existing = stat(key)) {
        if (existing->size == expected_size && existing->sha256 == expected_sha256) return *existing;
        throw_input("store '" + target.string() + "'",
                    "refusing to overwrite: it already holds different content (sha256 " + existing->sha256 +
                        ", " + std::to_string(existing->size) + " bytes); if that copy is damaged, " +
                        repair_hint);
    }
    return write(file, key, expected_sha256, expected_size);
}

ObjectInfo LocalStore::replace(const std::filesystem::path& file, const std::string& key,
                               const std::string& expected_sha256, std::int64_t expected_size) {
    if (!is_sha256_hex(expected_sha256)) throw_usage("replace '" + key + "': expected SHA-256 is not 64 hex digits");
    return write(file, key, expected_sha256, expected_size);
}

// The atomic write itself: the old content (if any) stays whole until the rename.
ObjectInfo LocalStore::write(const std::filesystem::path& file, const std::string& key,
                             const std::string& expected_sha256, std::int64_t expected_size) {
    std::filesystem::path target = path_of(key);
    if (::mkdir(root_.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("create archive directory '" + root_.string() + "'", errno);
    make_dirs_durable(root_, target.parent_path());
    remove_stale_temporaries(target);

    Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) throw_errno("open '" + file.string() + "' to store", errno);

    AtomicOutput output(target);  // removes the temporary file on every failure path
    {
        // AtomicOutput made the temporary (exclusively) and holds it locked.
        Fd out(::open(output.temp_path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
        if (out.fd < 0) throw_errno("create '" + output.temp_path().string() + "'", errno);
        Sha256 hash;
        std::int64_t copied = 0;
        std::vector<char> buf(1 << 20);
        for (;;) {
            ssize_t n = ::read(in.fd, buf.data(), buf.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("read '" + file.string() + "'", errno);
            }
            if (n == 0) break;
            hash.update(buf.data(), std::size_t(n));
            write_all(out.fd, buf.data(), std::size_t(n), output.temp_path());
            copied += n;
        }
        std::string copied_sha = hash.hex();
        if (copied != expected_size || copied_sha != expected_sha256)
            throw ContentChanged(ErrorDomain::input, "store '" + file.string() + "'", 0,
                                 "content changed: read " + std::to_string(copied) + " bytes with sha256 " +
                                     copied_sha + ", expected " + std::to_string(expected_size) +
                                     " bytes with sha256 " + expected_sha256);
        if (::fsync(out.fd) != 0) throw_errno("fsync '" + output.temp_path().string() + "'", errno);
        out.close_checked(output.temp_path().string());
    }
    output.commit();  // fsync, rename, fsync the directory

    // The store's own confirmation: read back what is now under the final name.
    auto confirmed = stat(key);
    if (!confirmed || confirmed->size != expected_size || confirmed->sha256 != expected_sha256)
        throw_input("store '" + target.string() + "'", "read-back after write does not match the source");
    return *confirmed;
}

std::optional<ObjectInfo> LocalStore::stat(const std::string& key) {
    std::filesystem::path p = path_of(key);
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("stat '" + p.string() + "'", errno);
    }
    if (!S_ISREG(st.st_mode)) throw_input("stat '" + p.string() + "'", "not a regular file");
    FileDigest d = sha256_file(p);
    return ObjectInfo{d.size, d.sha256};
}

ObjectDigest LocalStore::rehash(const std::string& key) {
    std::filesystem::path p = path_of(key);
    if (!std::filesystem::exists(p)) throw_input("verify '" + p.string() + "'", "the stored file is missing");
    FileDigest d = sha256_file(p);
    return ObjectDigest{d.size, d.sha256, {}};
}

ObjectDigest LocalStore::read(const std::string& key, const std::function<void(const char*, std::size_t)>& sink) {
    std::filesystem::path p = path_of(key);
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) throw_input("read '" + p.string() + "'", "the stored file is missing");
        throw_errno("open '" + p.string() + "'", errno);
    }
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
    Sha256 hash;
    std::int64_t size = 0;
    std::vector<char> buf(1 << 16);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read '" + p.string() + "'", errno);
        }
        if (n == 0) break;
        hash.update(buf.data(), std::size_t(n));
        sink(buf.data(), std::size_t(n));
        size += n;
    }
    return ObjectDigest{size, hash.hex(), {}};
}

}  // namespace avpost::archive
