#pragma once
// Helpers of the archive tests: temporary directories, files with known content, running the
// avpost binary, and a catalog + job ready to archive into.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "avpost/archive/sqlite_catalog.hpp"
#include "avpost/core/sha256.hpp"

namespace avpost::test {

namespace fs = std::filesystem;

inline fs::path make_temp_dir(const std::string& label) {
    static int counter = 0;
    auto p = fs::temp_directory_path() /
             ("avpost-archive-" + label + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

inline void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    ASSERT_TRUE(f.good()) << p;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Deterministic pseudo-random bytes (incompressible, distinct per seed).
inline std::string pattern_bytes(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = 2463534242u ^ seed;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = char(x & 0xff);
    }
    return s;
}

// Files left behind by an interrupted write: our temporaries start with '.'.
inline int count_hidden_files(const fs::path& root) {
    int n = 0;
    if (!fs::exists(root)) return 0;
    for (auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().starts_with(".")) ++n;
    return n;
}

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `command` with /bin/sh, capturing stdout and stderr.
inline CommandResult run(const std::string& command) {
    static int counter = 0;
    auto dir = fs::temp_directory_path();
    std::string stem = "avpost-archivetest-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    auto out = dir / (stem + ".out"), err = dir / (stem + ".err");
    std::string full = "(" + command + ") </dev/null >" + out.string() + " 2>" + err.string();
    int status = std::system(full.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    fs::remove(out);
    fs::remove(err);
    return r;
}

inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

inline fs::path sample_video() { return fs::path(AVPOST_TEST_MEDIA_DIR) / "avatar.mp4"; }

// 2026-11-10T12:00:00Z: the month in the store layout is 2026-11.
inline constexpr std::int64_t job_created_at = 1794312000;

inline std::int64_t add_job(archive::Catalog& catalog, const std::string& vendor, const std::string& id,
                            std::optional<std::int64_t> link_expires_at = std::nullopt) {
    archive::JobRecord job;
    job.vendor = vendor;
    job.vendor_job_id = id;
    job.status = "completed";
    job.created_at = job_created_at;
    job.link_expires_at = link_expires_at;
    job.request = {{"avatar_id", "demo"}, {"text", "hello"}};
    return catalog.upsert_job(job);
}

}  // namespace avpost::test
