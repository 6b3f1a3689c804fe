#pragma once
// What a wait for a vendor render tells whoever shows it (a terminal line, a log, nothing), and
// the sleep between its polls: it ends at its time, at Ctrl-C or SIGTERM (throws), when the job
// must stop (the check throws), or early when a webhook says the job moved.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "avpost/net/render_job.hpp"

namespace avpost::pipeline {

class WaitObserver {
public:
    virtual ~WaitObserver() = default;
    // A webhook will also tell of the job (how, for the line: "webhook on 127.0.0.1:8091").
    virtual void webhook(const std::string& how) { (void)how; }
    virtual void status(const net::JobStatus& status) { (void)status; }  // each poll's answer
    virtual void note(const std::string& text) { (void)text; }           // a line of its own
    // While sleeping, several times a second: the time to the next poll.
    virtual void countdown(std::chrono::milliseconds next_poll) { (void)next_poll; }
    virtual void finished(const net::JobStatus& status) { (void)status; }  // the last state
};

class PollSleep {
public:
    // `check` (may be null) runs at each slice and throws to end the wait.
    explicit PollSleep(WaitObserver& observer, std::function<void()> check = {})
        : observer_(observer), check_(std::move(check)) {}

    void sleep(std::chrono::milliseconds delay);
    void wake(std::string why);  // any thread: poll now, saying why (a note)

private:
    WaitObserver& observer_;
    std::function<void()> check_;
    std::mutex mutex_;
    std::condition_variable woken_cv_;
    bool woken_ = false;
    std::string wake_reason_;
};

}  // namespace avpost::pipeline
