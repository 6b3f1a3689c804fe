#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
// Helpers of the sync, serve and export tests: the in-process sandbox with finished A2V renders,
// a throwaway HTTP server standing in for a misbehaving vendor, and the avpost binary run in the
// foreground or in the background (to kill it).
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <regex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive_test_support.hpp"
#include "spawn_logged.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/a2v_client.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/sandbox/sandbox_server.hpp"

namespace avpost::test {

inline sandbox::SandboxOptions quick_sandbox(std::int64_t link_ttl_seconds = 3600) {
    sandbox::SandboxOptions o;
    o.queue_seconds = 0.1;
    o.process_seconds = 0.2;
    o.render_width = 160;
    o.render_height = 96;
    o.generated_audio_seconds = 1.0;
    o.fetch_audio = false;
    o.a2v_requests_per_window = 100000;
    o.webhook_initial_delay_ms = 50;
    o.webhook_max_delay_ms = 200;
    o.link_ttl_seconds = link_ttl_seconds;
    return o;
}

inline net::HttpClientOptions quick_http(int attempts = 4) {
    net::HttpClientOptions o;
    o.retry.max_attempts = attempts;
    o.retry.initial_delay = std::chrono::milliseconds(10);
    o.retry.max_delay = std::chrono::milliseconds(50);
    o.timeouts.connect = std::chrono::seconds(2);
    o.rate_limit.enabled = false;
    return o;
}

inline net::a2v::ClientOptions a2v_options(const sandbox::SandboxServer& server) {
    net::a2v::ClientOptions o;
    o.base_url = server.base_url();
    o.token = server.options().a2v_token;
    o.http = quick_http();
    return o;
}

// Starts `count` A2V renders and waits until all are finished; returns their video ids.
// The sandbox as Akool, with its API key.
inline net::akool::ClientOptions akool_options(const sandbox::SandboxServer& server) {
    net::akool::ClientOptions o;
    o.base_url = server.base_url();
    o.credentials.api_key = server.options().akool_client_secret;
    o.http = quick_http();
    return o;
}

// The smallest valid talking-avatar request: a stock avatar saying a line of text.
inline net::akool::TalkingAvatarRequest talking_avatar_request() {
    net::akool::Element avatar;
    avatar.type = "avatar";
    avatar.avatar_id = "Yasmin_in_White_shirt_20231121";
    avatar.scale_x = avatar.scale_y = 1;
    avatar.offset_x = avatar.offset_y = 0;
    net::akool::Element audio;
    audio.type = "audio";
    audio.input_text = "Hello there";
    audio.voice_id = "6889b628662160e2caad5dbc";
    net::akool::TalkingAvatarRequest req;
    req.avatar_from = 2;
    req.elements = {avatar, audio};
    return req;
}

inline std::vector<std::string> finished_a2v_renders(sandbox::SandboxServer& server, int count) {
    net::a2v::Client client(a2v_options(server));
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i)
        ids.push_back(client.generate("pose-kai-front", server.sign_link("voice.wav", 600)).video_id);
    for (const auto& id : ids) {
        net::WaitOptions w;
        w.timeout = std::chrono::seconds(60);
        w.initial_interval = std::chrono::milliseconds(50);
        w.max_interval = std::chrono::milliseconds(200);
        auto st = net::wait_for_job([&] { return net::to_job_status(client.get(id)); }, w);
        EXPECT_EQ(st.state, net::JobState::finished) << id;
    }
    return ids;
}

// A free port on 127.0.0.1 (the kernel picks it; closed again at once, so another process could
// take it in between, which loopback tests accept).
inline int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
        throw std::runtime_error("cannot find a free port");
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Starts a sandbox and points the avpost binary's environment at it (as A2V and Akool). The
// environment is written BEFORE the server's threads start: setenv while another thread reads
// the environment (libcurl and libav call getenv) can crash the process.
inline std::unique_ptr<sandbox::SandboxServer> start_sandbox_for_cli(sandbox::SandboxOptions o, int http_attempts = 3) {
    o.port = free_loopback_port();
    const std::string base_url = "http://127.0.0.1:" + std::to_string(o.port);
    ::setenv("AVPOST_A2V_BASE_URL", base_url.c_str(), 1);
    ::setenv("AVPOST_AKOOL_BASE_URL", base_url.c_str(), 1);
    ::setenv("A2V_TOKEN", o.a2v_token.c_str(), 1);
    ::setenv("AKOOL_API_KEY", o.akool_client_secret.c_str(), 1);
    ::setenv("AVPOST_HTTP_MAX_ATTEMPTS", std::to_string(http_attempts).c_str(), 1);
    auto server = std::make_unique<sandbox::SandboxServer>(o);
    server->start();
    if (server->base_url() != base_url) throw std::runtime_error("sandbox is at " + server->base_url() + ", not " + base_url);
    return server;
}

inline std::string avpost_cmd(const fs::path& root, const std::string& args) {
    return shell_quote(AVPOST_BINARY) + " archive --archive " + shell_quote(root.string()) + " " + args;
}

// Each line of `out` that is a JSON object.
inline std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::size_t start = 0;
    while (start < out.size()) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        auto j = nlohmann::json::parse(out.substr(start, end - start), nullptr, false);
        if (j.is_object()) v.push_back(std::move(j));
        start = end + 1;
    }
    return v;
}

// The avpost binary in the background, stdout and stderr to files (spawn_logged.hpp: nothing
// but async-signal-safe calls between fork and exec).
struct Background {
    pid_t pid = -1;
    fs::path out, err;
    // `in_child` runs in the child before exec and must be async-signal-safe (signal
    // dispositions, limits); `environment` ("NAME=VALUE") is added to the child's.
    Background(const std::vector<std::string>& args, const fs::path& dir, const std::string& label,
               const std::function<void()>& in_child = {}, const std::vector<std::string>& environment = {}) {
        out = dir / (label + ".out");
        err = dir / (label + ".err");
        std::vector<std::string> argv{AVPOST_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        pid = avpost::test::spawn_logged(argv, out.string(), err.string(), environment, in_child);
    }
    // Exit code, or -signal.
    int wait() {
        int status = 0;
        if (pid <= 0) return -1000;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    void kill(int sig) {
        if (pid > 0) ::kill(pid, sig);
    }
    ~Background() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            wait();
        }
    }
};

// Polls `done` every 20 ms for up to `limit`.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

// The first match of `pattern`'s group 1 (a port) in a background process's stdout, waited for.
inline int port_from(const Background& process, const std::string& pattern) {
    std::smatch m;
    std::string out;
    const bool found = eventually([&] {
        out = read_file(process.out);
        return std::regex_search(out, m, std::regex(pattern));
    });
    EXPECT_TRUE(found) << out << read_file(process.err);
    return found ? std::stoi(m[1].str()) : 0;
}

// An httplib server on an ephemeral port of 127.0.0.1.
class TinyServer {
public:
    httplib::Server server;
    ~TinyServer() { stop(); }
    void start() {
        server.set_keep_alive_timeout(1);  // stop() waits for idle keep-alive connections
        port_ = server.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server.listen_after_bind(); });
        while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    void stop() {
        server.stop();
        if (thread_.joinable()) thread_.join();
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

private:
    int port_ = 0;
    std::thread thread_;
};

// Removes `dir` and the files tests put beside it ("DIR-label.out", ...).
inline void remove_with_siblings(const fs::path& dir) {
    if (dir.empty()) return;
    std::string prefix = dir.filename().string() + "-";
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir.parent_path(), ec))
        if (e.path().filename().string().starts_with(prefix)) fs::remove_all(e.path(), ec);
    fs::remove_all(dir, ec);
}

inline int count_files(const fs::path& root, const std::string& suffix) {
    int n = 0;
    if (!fs::exists(root)) return 0;
    for (auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().string().ends_with(suffix)) ++n;
    return n;
}

}  // namespace avpost::test
