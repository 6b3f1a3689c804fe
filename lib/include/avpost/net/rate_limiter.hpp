#pragma once
// Client-side request pacing: a token bucket (30 a minute by default, bursts up to that many)
// that also obeys what the server says: X-Ratelimit-Left/-Reset (A2V) and Retry-After.
#include <chrono>
#include <mutex>

#include "avpost/net/http_types.hpp"

namespace avpost::net {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimiter(RateLimit limit);

    // Takes one token and returns how long the caller must wait before sending (0 if none).
    std::chrono::milliseconds reserve(Clock::time_point now = Clock::now());

    // Reads the rate-limit headers of a response: Left = 0 with Reset blocks until the reset,
    // Retry-After (seconds or HTTP date) blocks until then, Left caps the local tokens.
    void observe(const Headers& headers, Clock::time_point now = Clock::now());

    // The delay a Retry-After or X-Ratelimit-Reset header value asks for, if it parses.
    static std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);
    // Reset may be seconds from now, epoch seconds or epoch milliseconds (vendors differ).
    static std::optional<std::chrono::milliseconds> parse_reset(std::string_view value);

private:
    void refill(Clock::time_point now);

    std::mutex mutex_;
    RateLimit limit_;
    double tokens_;
    Clock::time_point last_refill_;
    Clock::time_point blocked_until_{};
};

}  // namespace avpost::net
