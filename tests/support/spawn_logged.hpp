#pragma once
// A program started in the background with its stdout and stderr in files. Everything the child
// needs (argv, environment, file names) is made before fork(): between fork and exec the child of
// a multithreaded test process (an HTTP server's threads, a sandbox) may call only
// async-signal-safe functions. A malloc there (freopen, std::vector, setenv) can wait forever on
// a lock another thread held at the fork; it did under clang's ASan in CI (a `serve` that never
// printed its port).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern char** environ;

namespace avpost::test {

// Starts `argv[0]` with `argv`, the current environment plus `environment` ("NAME=VALUE", each
// replacing a variable of that name), stdout to `out` and stderr to `err` (both truncated; the
// same path twice: one file). `in_child` runs in the child before exec and must be
// async-signal-safe (signal dispositions, setrlimit, setpgid). Returns the pid, or -1.
inline pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
                          const std::vector<std::string>& environment = {},
                          const std::function<void()>& in_child = {}) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        const std::size_t name_length = eq ? std::size_t(eq - *e) : std::strlen(*e);
        bool replaced = false;
        for (const std::string& v : environment)
            if (v.size() > name_length && v.compare(0, name_length, *e, name_length) == 0 && v[name_length] == '=')
                replaced = true;
        if (!replaced) env_strings.emplace_back(*e);
    }
    env_strings.insert(env_strings.end(), environment.begin(), environment.end());
    std::vector<char*> envp, args;
    for (std::string& v : env_strings) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_strings = argv;
    for (std::string& a : arg_strings) args.push_back(a.data());
    args.push_back(nullptr);
    const bool one_file = out == err;

    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    // The child: async-signal-safe calls only from here.
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = one_file ? o : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(127);
    if (in_child) in_child();
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
}

}  // namespace avpost::test
