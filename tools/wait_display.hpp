#pragma once
// What a wait for a vendor render shows on a terminal (not in CI, not with --quiet or --json):
// one line per vendor state, rewritten each second with the time waited and the next poll,
//   a2v job 3f2a9c: running (in_progressing), 2:05 waited, next poll in 31 s
// Off a terminal each state change is one log line instead. The sleep between polls is the
// display's: it counts down, stops at Ctrl-C, and ends early when a webhook says the job moved.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "avpost/core/status_line.hpp"
#include "avpost/net/render_job.hpp"

namespace avpost::tool {

class WaitDisplay {
public:
    // `prefix` goes before each line ("promo: " in a job); `allowed`: not --quiet or --json.
    WaitDisplay(std::string prefix, bool allowed);

    // A webhook will also tell of the job (how, for the line: "webhook on 127.0.0.1:8091").
    void set_webhook(std::string how) { webhook_ = std::move(how); }

    void update(const net::JobStatus& status);        // each new vendor state
    void note(const std::string& text);               // a line of its own (on a terminal; else -v)
    void sleep(std::chrono::milliseconds delay);      // until the next poll, or wake()
    void wake(std::string why);                       // any thread: poll now, saying why
    void finish(const net::JobStatus& status);        // the last state, then the line ends

private:
    std::string text(std::optional<std::chrono::seconds> next_poll) const;

    std::string prefix_;
    StatusLine line_;
    std::chrono::steady_clock::time_point started_;
    std::optional<net::JobStatus> status_;
    std::string webhook_;
    std::mutex mutex_;
    std::condition_variable woken_cv_;
    bool woken_ = false;
    std::string wake_reason_;
};

}  // namespace avpost::tool
