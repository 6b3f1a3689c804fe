#include "avpost/pipeline/wait_observer.hpp"

#include "avpost/core/interrupt.hpp"

namespace avpost::pipeline {

void PollSleep::sleep(std::chrono::milliseconds delay) {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + delay;
    std::unique_lock lock(mutex_);
    while (!woken_) {
        throw_if_interrupted();
        if (check_) check_();
        const auto now = Clock::now();
        if (now >= until) break;
        observer_.countdown(std::chrono::ceil<std::chrono::milliseconds>(until - now));
        // Short slices: Ctrl-C ends the wait at once, and a countdown moves smoothly.
        const auto slice = std::min<Clock::duration>(until - now, std::chrono::milliseconds(100));
        woken_cv_.wait_for(lock, slice, [this] { return woken_; });
    }
    if (woken_) observer_.note(wake_reason_);
    woken_ = false;
    throw_if_interrupted();
}

void PollSleep::wake(std::string why) {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
        wake_reason_ = std::move(why);
    }
    woken_cv_.notify_all();
}

}  // namespace avpost::pipeline
