#pragma once
// A shell command run in the background whose own PID is known (the shell execs it), so a test
// can signal it once it has reached a chosen point instead of after a fixed delay: on a loaded
// machine or in a sanitizer build, a fixed delay can land before the program has even started.
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace avpost::test {

class BackgroundCommand {
public:
    // `command` runs under sh with `exec` (so it keeps the PID sh had); its stderr and exit status
    // go to files in `work_dir`.
    BackgroundCommand(const std::string& command, const std::filesystem::path& work_dir)
        : pid_file_(work_dir / "background.pid"), rc_file_(work_dir / "background.rc"),
          err_file_(work_dir / "background.err") {
        std::filesystem::remove(rc_file_);
        const std::string inner = "echo $$ > '" + pid_file_.string() + "'; exec " + command;
        std::system(("( sh -c " + single_quoted(inner) + " 2> '" + err_file_.string() + "'; echo $? > '" +
                     rc_file_.string() + "' ) &")
                        .c_str());
    }

    // The program's PID, once sh has written it (0 if it never does within the deadline).
    pid_t pid(std::chrono::seconds deadline = std::chrono::seconds(30)) const {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            const std::string text = slurp(pid_file_);
            if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::atoi(text.c_str()));
            if (std::chrono::steady_clock::now() >= until) return 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    bool signal(int signal_number) const {
        const pid_t p = pid();
        return p > 0 && ::kill(p, signal_number) == 0;
    }
    // The exit status once it has ended (128 + N when a signal killed it), or nothing if it is
    // still running when `deadline` passes.
    std::optional<int> wait(std::chrono::milliseconds deadline) const {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            const std::string text = slurp(rc_file_);
            if (!text.empty() && text.back() == '\n') return std::atoi(text.c_str());
            if (std::chrono::steady_clock::now() >= until) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    std::string err() const { return slurp(err_file_); }

private:
    static std::string slurp(const std::filesystem::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    static std::string single_quoted(const std::string& text) {
        std::string quoted = "'";
        for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return quoted + "'";
    }

    std::filesystem::path pid_file_, rc_file_, err_file_;
};

}  // namespace avpost::test
