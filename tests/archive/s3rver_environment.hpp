#pragma once
// s3rver (npm) on an ephemeral port of 127.0.0.1 for a whole test program, with one bucket.
// Needs NODE_EXECUTABLE and AVPOST_S3RVER_JS (tests.cmake defines them).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "archive_test_support.hpp"
#include "spawn_logged.hpp"

namespace avpost::test {

class S3rverEnvironment : public ::testing::Environment {
public:
    explicit S3rverEnvironment(std::string bucket) : bucket_(std::move(bucket)) {}

    static inline std::string endpoint;
    static inline fs::path data_dir;
    static inline std::string failure;

    void SetUp() override {
        std::string script = AVPOST_S3RVER_JS;
        if (script.empty() || !fs::exists(script)) {
            failure = "s3rver is not installed (run scripts/setup.sh, or npm install --prefix BUILD_DIR/npm s3rver)";
            return;
        }
        data_dir = make_temp_dir("s3rver");
        log_ = data_dir.string() + ".log";
        const fs::path& log = log_;
        // A log an earlier process of the same PID left would be read before the child truncates
        // it: its port is not ours (seen in CI as "Failed to connect" to a dead s3rver).
        fs::remove(log);
        pid_ = avpost::test::spawn_logged({NODE_EXECUTABLE, script, "-d", data_dir.string(), "-a", "127.0.0.1", "-p", "0", "--silent",
                             "--configure-bucket", bucket_},
                            log.string(), log.string(), {}, [] { ::setpgid(0, 0); });
        std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
        for (int i = 0; i < 300; ++i) {  // up to 30 s for node to start
            std::smatch m;
            std::string text = read_file(log);
            if (std::regex_search(text, m, listening)) {
                endpoint = "http://127.0.0.1:" + m[1].str();
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                failure = "s3rver exited: " + text;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        failure = "s3rver did not start within 30 s: " + read_file(log);
    }
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(-pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        std::error_code ignored;
        if (!data_dir.empty()) fs::remove_all(data_dir, ignored);
        if (!log_.empty()) fs::remove(log_, ignored);
    }

private:
    std::string bucket_;
    fs::path log_;
    pid_t pid_ = -1;
};

}  // namespace avpost::test
