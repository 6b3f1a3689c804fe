#include "avpost/core/atomic_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "avpost/core/error.hpp"

namespace avpost {
namespace {

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

}  // namespace

AtomicOutput::AtomicOutput(std::filesystem::path final_path) : final_(std::move(final_path)) {
    std::random_device random;
    // Keeps the final extension so tools that look at the name still see the container type.
    std::string name = "." + final_.stem().string() + ".partial-" + std::to_string(::getpid()) + "-" +
                       std::to_string(random() % 100000) + final_.extension().string();
    temp_ = final_.parent_path() / name;
}

AtomicOutput::~AtomicOutput() {
    if (!committed_) {
        std::error_code ignored;
        std::filesystem::remove(temp_, ignored);
    }
}

void AtomicOutput::commit() {
    fsync_path(temp_, false);
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
        throw_output_errno("rename '" + temp_.string() + "' to '" + final_.string() + "'", errno);
    committed_ = true;
    auto dir = final_.parent_path();
    fsync_path(dir.empty() ? std::filesystem::path(".") : dir, true);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    AtomicOutput output(path);
    int fd = ::open(output.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
