#pragma once
// Shared helpers of the net tests: a throwaway HTTP server on 127.0.0.1, fast retry settings,
// and running shell commands (openssl, ffmpeg, the avpost binary) with their output.
#include <httplib.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "avpost/net/http_types.hpp"

namespace avpost::test {

// An httplib server on an ephemeral port of 127.0.0.1, served from a background thread.
class LocalServer {
public:
    httplib::Server server;
    LocalServer() = default;
    ~LocalServer() { stop(); }
    void start() {
        port_ = server.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server.listen_after_bind(); });
        while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    void stop() {
        server.stop();
        if (thread_.joinable()) thread_.join();
    }
    int port() const { return port_; }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

private:
    int port_ = 0;
    std::thread thread_;
};

// Retry settings that keep tests fast but still exercise the backoff.
inline net::HttpClientOptions fast_http_options(int attempts = 4) {
    net::HttpClientOptions o;
    o.retry.max_attempts = attempts;
    o.retry.initial_delay = std::chrono::milliseconds(10);
    o.retry.max_delay = std::chrono::milliseconds(50);
    o.retry.max_retry_after = std::chrono::seconds(5);
    o.timeouts.connect = std::chrono::seconds(2);
    o.rate_limit.enabled = false;
    return o;
}

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    if (!f) return {};
    std::string s;
    std::array<char, 65536> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    std::fclose(f);
    return s;
}

// Runs `command` with /bin/sh; stdout and stderr are captured through temporary files.
inline CommandResult run(const std::string& command, const std::string& stdin_text = {}) {
    static int counter = 0;
    auto dir = std::filesystem::temp_directory_path();
    std::string stem = "avpost-nettest-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    auto out = dir / (stem + ".out"), err = dir / (stem + ".err"), in = dir / (stem + ".in");
    {
        std::FILE* f = std::fopen(in.c_str(), "wb");
        std::fwrite(stdin_text.data(), 1, stdin_text.size(), f);
        std::fclose(f);
    }
    std::string full = "(" + command + ") <" + in.string() + " >" + out.string() + " 2>" + err.string();
    int status = std::system(full.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    std::filesystem::remove(in);
    return r;
}

inline std::filesystem::path make_temp_dir(const std::string& label) {
    static int counter = 0;
    auto p = std::filesystem::temp_directory_path() /
             ("avpost-" + label + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
}

}  // namespace avpost::test

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "avpost/sandbox/sandbox_server.hpp"

namespace avpost::test {

// A port nothing listens on: bound and closed without listen(), so connections are refused.
inline int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Sandbox settings for tests: jobs finish within about a second, small renders.
inline sandbox::SandboxOptions fast_sandbox_options() {
    sandbox::SandboxOptions o;
    o.queue_seconds = 0.2;
    o.process_seconds = 0.4;
    o.render_width = 160;
    o.render_height = 96;
    o.generated_audio_seconds = 1.0;
    o.a2v_requests_per_window = 10000;
    o.webhook_initial_delay_ms = 50;
    o.webhook_max_delay_ms = 200;
    return o;
}

}  // namespace avpost::test
