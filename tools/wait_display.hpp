#pragma once
// What a wait for a vendor render shows on a terminal (not in CI, not with --quiet or --json):
// one line per vendor state, rewritten each second with the time waited and the next poll,
//   a2v job 3f2a9c: running (in_progressing), 2:05 waited, next poll in 31 s
// Off a terminal each state change is one log line instead. The sleep between polls
// (pipeline::PollSleep) counts down here, stops at Ctrl-C, and ends early when a webhook says
// the job moved.
#include <chrono>
#include <optional>
#include <string>

#include "avpost/core/status_line.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/pipeline/wait_observer.hpp"

namespace avpost::tool {

class WaitDisplay : public pipeline::WaitObserver {
public:
    // `prefix` goes before each line ("promo: " in a job); `allowed`: not --quiet or --json.
    WaitDisplay(std::string prefix, bool allowed);

    void webhook(const std::string& how) override { webhook_ = how; }
    void status(const net::JobStatus& status) override;  // each new vendor state
    void note(const std::string& text) override;         // a line of its own (on a terminal; else -v)
    void countdown(std::chrono::milliseconds next_poll) override;
    void finished(const net::JobStatus& status) override;  // the last state, then the line ends

    // `avpost wait` sleeps through the display.
    void sleep(std::chrono::milliseconds delay) { sleeper_.sleep(delay); }
    void wake(std::string why) { sleeper_.wake(std::move(why)); }  // any thread

private:
    std::string text(std::optional<std::chrono::seconds> next_poll) const;

    std::string prefix_;
    StatusLine line_;
    std::chrono::steady_clock::time_point started_;
    std::optional<net::JobStatus> status_;
    std::string webhook_;
    pipeline::PollSleep sleeper_{*this};
};

}  // namespace avpost::tool
