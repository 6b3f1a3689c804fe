#include "wait_display.hpp"

#include <cstdio>

#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"

namespace avpost::tool {
namespace {

// 0:07, 12:30, 1:02:03
std::string clock_text(std::chrono::seconds t) {
    const long long s = t.count();
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
    return text;
}

}  // namespace

WaitDisplay::WaitDisplay(std::string prefix, bool allowed)
    : prefix_(std::move(prefix)), line_(stderr, allowed && Progress::terminal_attached()),
      started_(std::chrono::steady_clock::now()) {}

std::string WaitDisplay::text(std::optional<std::chrono::seconds> next_poll) const {
    const net::JobStatus& s = *status_;
    std::string t = prefix_ + std::string(net::to_string(s.vendor)) + " job " + s.id + ": " +
                    std::string(net::to_string(s.state)) + " (" + s.vendor_status + "), " +
                    clock_text(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)) +
                    " waited";
    if (next_poll) t += ", next poll in " + std::to_string(next_poll->count()) + " s";
    if (!webhook_.empty() && next_poll) t += " (or sooner by " + webhook_ + ")";
    return t;
}

void WaitDisplay::status(const net::JobStatus& status) {
    const bool new_state = !status_ || status_->state != status.state || status_->vendor_status != status.vendor_status;
    status_ = status;
    if (!line_.enabled()) {
        if (new_state) log::info(text(std::nullopt));
        return;
    }
    if (new_state) line_.end();  // the old state's line stays on screen
    line_.draw(text(std::nullopt));
}

void WaitDisplay::note(const std::string& text) {
    if (!line_.enabled()) return log::info(prefix_ + text);
    line_.end();
    std::fprintf(stderr, "%s%s\n", prefix_.c_str(), text.c_str());
}

void WaitDisplay::countdown(std::chrono::milliseconds next_poll) {
    if (status_ && line_.enabled()) line_.draw(text(std::chrono::ceil<std::chrono::seconds>(next_poll)));
}

void WaitDisplay::finished(const net::JobStatus& status) {
    this->status(status);
    line_.end();
}

}  // namespace avpost::tool
