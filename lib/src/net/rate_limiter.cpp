#include "avpost/net/rate_limiter.hpp"

#include <charconv>
#include <curl/curl.h>
#include <string>

namespace avpost::net {

RateLimiter::RateLimiter(RateLimit limit)
    : limit_(limit), tokens_(std::max(1, limit.requests_per_minute)), last_refill_(Clock::now()) {}

void RateLimiter::refill(Clock::time_point now) {
    if (now <= last_refill_) return;
    double rate = std::max(1, limit_.requests_per_minute) / 60.0;  // tokens per second
    double seconds = std::chrono::duration<double>(now - last_refill_).count();
    tokens_ = std::min<double>(std::max(1, limit_.requests_per_minute), tokens_ + seconds * rate);
    last_refill_ = now;
}

std::chrono::milliseconds RateLimiter::reserve(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::chrono::milliseconds wait{0};
    if (blocked_until_ > now)
        wait = std::chrono::ceil<std::chrono::milliseconds>(blocked_until_ - now);
    if (!limit_.enabled) return wait;
    refill(now);
    // Tokens may go negative: each waiting caller holds a reservation further in the future.
    tokens_ -= 1.0;
    if (tokens_ < 0) {
        double rate = std::max(1, limit_.requests_per_minute) / 60.0;
        auto deficit = std::chrono::milliseconds(static_cast<long long>(-tokens_ / rate * 1000.0 + 0.5));
        wait = std::max(wait, deficit);
    }
    return wait;
}

std::optional<std::chrono::milliseconds> RateLimiter::parse_retry_after(std::string_view value) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    double seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && ptr == value.data() + value.size())
        return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, seconds) * 1000));
    // An HTTP date.
    time_t when = curl_getdate(std::string(value).c_str(), nullptr);
    if (when < 0) return std::nullopt;
    time_t now = time(nullptr);
    return std::chrono::milliseconds(std::max<long long>(0, (long long)(when - now) * 1000));
}

std::optional<std::chrono::milliseconds> RateLimiter::parse_reset(std::string_view value) {
    double v = 0;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc()) return std::nullopt;
    double now_ms = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
    double delay_ms;
    if (v > 1e12) delay_ms = v - now_ms;                // epoch milliseconds
    else if (v > 1e9) delay_ms = v * 1000.0 - now_ms;   // epoch seconds
    else delay_ms = v * 1000.0;                          // seconds from now
    return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, delay_ms)));
}

void RateLimiter::observe(const Headers& headers, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (auto retry_after = find_header(headers, "retry-after")) {
        if (auto delay = parse_retry_after(*retry_after)) blocked_until_ = std::max(blocked_until_, now + *delay);
    }
    auto left = find_header(headers, "x-ratelimit-left");
    if (!left) return;
    long long n = 0;
    auto [ptr, ec] = std::from_chars(left->data(), left->data() + left->size(), n);
    if (ec != std::errc()) return;
    refill(now);
    tokens_ = std::min<double>(tokens_, static_cast<double>(n));
    if (n <= 0) {
        auto reset = find_header(headers, "x-ratelimit-reset");
        std::optional<std::chrono::milliseconds> delay = reset ? parse_reset(*reset) : std::nullopt;
        // Without a reset time, wait for one token at the nominal rate.
        auto wait = delay.value_or(std::chrono::milliseconds(60000 / std::max(1, limit_.requests_per_minute)));
        blocked_until_ = std::max(blocked_until_, now + wait);
    }
}

}  // namespace avpost::net
