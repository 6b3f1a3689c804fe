#pragma once
// Plain request/response/policy structs of the HTTP layer.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::net {

// Response headers, names lower-cased, in arrival order.
using Headers = std::vector<std::pair<std::string, std::string>>;
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct RetryPolicy {
    int max_attempts = 5;                          // including the first
    std::chrono::milliseconds initial_delay{500};  // before the first retry
    std::chrono::milliseconds max_delay{20000};    // cap of the exponential growth
    double multiplier = 2.0;
    double jitter = 0.25;  // each delay is scaled by a random factor in [1 - jitter, 1]
    // A Retry-After / X-Ratelimit-Reset longer than this is not waited for: the call fails.
    std::chrono::milliseconds max_retry_after{90000};
};

struct HttpTimeouts {
    std::chrono::milliseconds connect{10000};
    long low_speed_bytes = 1;                  // abort when slower than this ...
    std::chrono::seconds low_speed_time{30};   // ... for this long
    std::chrono::milliseconds total{0};        // 0: no overall limit (downloads can be long)
};

struct RateLimit {
    bool enabled = true;
    int requests_per_minute = 30;  // the A2V limit; Akool documents none
};

struct HttpClientOptions {
    RetryPolicy retry;
    HttpTimeouts timeouts;
    RateLimit rate_limit;
    std::string user_agent = "avpost/0.1";
    // Whose requests these are in avpost_vendor_requests_total (core/metrics.hpp): "akool", "a2v",
    // "s3", "download" (vendor file links); empty: not counted. Not part of the JSON form.
    std::string metrics_vendor;
};

void to_json(nlohmann::json& j, const RetryPolicy& p);
void from_json(const nlohmann::json& j, RetryPolicy& p);
void to_json(nlohmann::json& j, const HttpClientOptions& o);
void from_json(const nlohmann::json& j, HttpClientOptions& o);

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  // "Name", "value"
    std::string body;
    // A body read from a byte range of a file while it is sent, instead of `body` (object store
    // uploads of any size; read again from the start on each attempt).
    struct FileRange {
        std::filesystem::path file;
        std::int64_t offset = 0;
        std::int64_t length = 0;
    };
    std::optional<FileRange> upload;
    // Empty: GET/HEAD/PUT/DELETE are idempotent, POST is not. A non-idempotent request is
    // repeated only when the failure proves the server never acted on it.
    std::optional<bool> idempotent;
    bool rate_limited = true;  // API calls are; CDN downloads are not
    // Off for ranged downloads: byte ranges must count the file's bytes, not a gzip stream's.
    bool accept_compressed = true;
    std::string context;       // names the call in errors ("akool video info"); URL otherwise
};

struct HttpResponse {
    long status = 0;
    std::string body;
    Headers headers;
    int attempts = 0;
    std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

}  // namespace avpost::net
