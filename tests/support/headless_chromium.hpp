#pragma once
// Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
// messages ended by NUL, read from fd 3 and written to fd 4). A test can then wait in real time for
// a condition on the page, such as a video's metadata having loaded. --dump-dom with
// --virtual-time-budget cannot: media loads do not hold virtual time back, so on a loaded machine
// the DOM was dumped before the metadata arrived.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::test {

class HeadlessChromium {
public:
    // Chromium's own output goes to `log`, which a failing test can show.
    HeadlessChromium(const std::string& executable, const std::filesystem::path& profile,
                     const std::filesystem::path& log) {
        ::signal(SIGPIPE, SIG_IGN);  // a browser that died is reported by the read, not by a signal
        int to_browser[2];
        int from_browser[2];
        if (::pipe2(to_browser, O_CLOEXEC) != 0 || ::pipe2(from_browser, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        const std::string user_data = "--user-data-dir=" + profile.string();
        // --no-sandbox: Chromium refuses to run as root with its sandbox, and containers often lack
        // the namespaces it needs; the browser only loads the test's own pages from 127.0.0.1.
        std::vector<std::string> args = {executable,      "--headless",           "--no-sandbox",
                                         "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                         "--mute-audio",  "--hide-scrollbars",    user_data,
                                         "--remote-debugging-pipe", "about:blank"};
        // Made before fork: the child may call only async-signal-safe functions (spawn_logged.hpp).
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            // Moved above 4 first, so placing one cannot overwrite the other.
            const int reads = ::fcntl(to_browser[0], F_DUPFD, 10);
            const int writes = ::fcntl(from_browser[1], F_DUPFD, 10);
            const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int null = ::open("/dev/null", O_RDONLY);
            if (reads < 0 || writes < 0 || out < 0 || null < 0 || ::dup2(reads, 3) < 0 || ::dup2(writes, 4) < 0 ||
                ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0)
                ::_exit(126);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(to_browser[0]);
        ::close(from_browser[1]);
        write_fd_ = to_browser[1];
        read_fd_ = from_browser[0];
    }
    HeadlessChromium(const HeadlessChromium&) = delete;
    HeadlessChromium& operator=(const HeadlessChromium&) = delete;

    ~HeadlessChromium() {
        try {
            call("Browser.close", nlohmann::json::object(), "", std::chrono::seconds(5));
        } catch (...) {
        }
        ::close(write_fd_);
        ::close(read_fd_);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    // Sends one command and returns its result; events that arrive meanwhile are skipped. Throws
    // with the protocol's message on an error reply, and when no reply comes in time.
    nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                        const std::string& session = "",
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        const int id = ++last_id_;
        nlohmann::json message = {{"id", id}, {"method", method}, {"params", params}};
        if (!session.empty()) message["sessionId"] = session;
        std::string bytes = message.dump();
        bytes.push_back('\0');
        for (std::size_t sent = 0; sent < bytes.size();) {
            const ssize_t n = ::write(write_fd_, bytes.data() + sent, bytes.size() - sent);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(method + ": the browser's pipe is closed");
            sent += std::size_t(n);
        }
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const nlohmann::json reply = next_message(until, method);
            if (!reply.contains("id") || reply["id"] != id) continue;
            if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
            return reply.value("result", nlohmann::json::object());
        }
    }

    // A new tab at `url`, attached with a flat session; returns the session id for `call`.
    std::string open(const std::string& url) {
        const std::string target = call("Target.createTarget", {{"url", url}})["targetId"];
        return call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})["sessionId"];
    }

    // Evaluates `expression` in the page and returns its value. An evaluation that races the
    // page's first navigation (its context replaced) is reported as null, not thrown.
    nlohmann::json evaluate(const std::string& session, const std::string& expression) {
        const auto result = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, session);
        if (result.contains("exceptionDetails")) return nullptr;
        return result["result"].value("value", nlohmann::json());
    }

    // Evaluates `expression` until it returns `wanted`, or `deadline` passes; returns the last value.
    nlohmann::json wait_for(const std::string& session, const std::string& expression, const nlohmann::json& wanted,
                            std::chrono::milliseconds deadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            nlohmann::json value;
            try {
                value = evaluate(session, expression);
            } catch (const std::runtime_error&) {
                value = nullptr;  // the context was being replaced by the navigation
            }
            if (value == wanted || std::chrono::steady_clock::now() >= until) return value;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

private:
    nlohmann::json next_message(std::chrono::steady_clock::time_point until, const std::string& method) {
        for (;;) {
            if (const auto end = buffer_.find('\0'); end != std::string::npos) {
                auto message = nlohmann::json::parse(buffer_.substr(0, end));
                buffer_.erase(0, end + 1);
                return message;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) throw std::runtime_error(method + ": no reply from the browser in time");
            pollfd p{read_fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, int(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) continue;
            char chunk[65536];
            const ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(method + ": the browser closed its pipe");
            buffer_.append(chunk, std::size_t(n));
        }
    }

    pid_t pid_ = -1;
    int write_fd_ = -1;
    int read_fd_ = -1;
    int last_id_ = 0;
    std::string buffer_;
};

}  // namespace avpost::test
