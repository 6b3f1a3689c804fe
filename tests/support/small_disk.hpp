#pragma once
// A small tmpfs mounted on a directory for a test's lifetime, to make a disk that fills up (we run
// as root in CI; where mounting is not allowed, mounted() is false and the test skips). fill()
// takes every free block with a filler file, so the next write anywhere on it fails with ENOSPC;
// make_room() deletes the filler again.
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace avpost::test {

class SmallDisk {
public:
    SmallDisk(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
        std::filesystem::create_directories(dir);
        mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
        error_ = errno;
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool mounted() const { return mounted_; }
    int error() const { return error_; }
    const std::filesystem::path& dir() const { return dir_; }

    // Writes a filler until the disk is full; true when the last write failed with ENOSPC.
    bool fill() {
        std::FILE* f = std::fopen(filler().c_str(), "ab");
        if (!f) return false;
        std::setvbuf(f, nullptr, _IONBF, 0);  // each fwrite reaches the disk: ENOSPC is seen here
        const std::vector<char> block(64 * 1024, 'f');
        int error = 0;
        for (;;) {
            if (std::fwrite(block.data(), 1, block.size(), f) != block.size()) {
                error = errno;
                break;
            }
        }
        std::fclose(f);
        return error == ENOSPC;
    }
    void make_room() { std::filesystem::remove(filler()); }

private:
    std::filesystem::path filler() const { return dir_ / ".filler"; }

    std::filesystem::path dir_;
    bool mounted_ = false;
    int error_ = 0;
};

}  // namespace avpost::test
