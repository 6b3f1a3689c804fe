#pragma once
// The one HTTP layer of the vendor clients and the downloader: a reused libcurl handle
// (connection reuse), connect and low-speed timeouts, retries with capped exponential backoff and
// jitter, and rate limiting. Transport failures throw; every HTTP status is returned as is.
#include <chrono>
#include <curl/curl.h>
#include <functional>
#include <memory>
#include <random>

#include "avpost/net/curl_handles.hpp"
#include "avpost/net/http_types.hpp"
#include "avpost/net/rate_limiter.hpp"
#include "avpost/net/retry_rule.hpp"

namespace avpost::net {

// The outcome of one transfer: transport result and HTTP status kept apart.
struct TransferResult {
    CURLcode code = CURLE_OK;
    std::string error_text;  // the CURL error buffer (or curl_easy_strerror)
    long status = 0;         // 0 when no response arrived
    Headers headers;
};

// Receives body bytes of one transfer; status and headers are complete on the first call.
// Returning false aborts the transfer (CURLE_WRITE_ERROR).
using BodySink = std::function<bool(long status, const Headers& headers, std::string_view chunk)>;

// The delay before retry number `retry` (1 = first retry): initial * multiplier^(retry-1),
// capped at max_delay, scaled by a random factor in [1 - jitter, 1].
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, std::mt19937_64& rng);

// One client per thread: it owns one libcurl handle (and its connection cache).
class HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends with retries. Throws ServiceError(network) when the transport fails for good;
    // returns the last response otherwise, whatever its status.
    HttpResponse send(const HttpRequest& request);

    // One attempt, no retry, no rate limit: for callers that manage retries themselves (downloads).
    TransferResult perform(const HttpRequest& request, const BodySink& sink);

    const HttpClientOptions& options() const { return options_; }
    RateLimiter& rate_limiter() { return limiter_; }

    // Tests replace the sleep to observe backoff without waiting.
    void set_sleep_function(std::function<void(std::chrono::milliseconds)> sleep);
    void sleep_for(std::chrono::milliseconds delay);
    std::chrono::milliseconds next_backoff(int retry);

private:
    HttpClientOptions options_;
    CurlEasyPtr handle_;  // kept between calls so libcurl reuses connections
    RateLimiter limiter_;
    std::mt19937_64 rng_;
    std::function<void(std::chrono::milliseconds)> sleep_;
};

}  // namespace avpost::net
