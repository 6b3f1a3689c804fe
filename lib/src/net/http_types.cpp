#include "avpost/net/http_types.hpp"

#include <algorithm>
#include <cctype>

namespace avpost::net {

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(),
                       [](char a, char b) { return std::tolower((unsigned char)a) == std::tolower((unsigned char)b); }))
            return value;
    }
    return std::nullopt;
}

void to_json(nlohmann::json& j, const RetryPolicy& p) {
    j = {{"max_attempts", p.max_attempts},
         {"initial_delay_ms", p.initial_delay.count()},
         {"max_delay_ms", p.max_delay.count()},
         {"multiplier", p.multiplier},
         {"jitter", p.jitter},
         {"max_retry_after_ms", p.max_retry_after.count()}};
}

void from_json(const nlohmann::json& j, RetryPolicy& p) {
    p.max_attempts = j.value("max_attempts", p.max_attempts);
    p.initial_delay = std::chrono::milliseconds(j.value("initial_delay_ms", p.initial_delay.count()));
    p.max_delay = std::chrono::milliseconds(j.value("max_delay_ms", p.max_delay.count()));
    p.multiplier = j.value("multiplier", p.multiplier);
    p.jitter = j.value("jitter", p.jitter);
    p.max_retry_after = std::chrono::milliseconds(j.value("max_retry_after_ms", p.max_retry_after.count()));
}

void to_json(nlohmann::json& j, const HttpClientOptions& o) {
    j = {{"retry", o.retry},
         {"connect_timeout_ms", o.timeouts.connect.count()},
         {"low_speed_bytes", o.timeouts.low_speed_bytes},
         {"low_speed_time_s", o.timeouts.low_speed_time.count()},
         {"total_timeout_ms", o.timeouts.total.count()},
         {"rate_limit", o.rate_limit.enabled},
         {"requests_per_minute", o.rate_limit.requests_per_minute},
         {"user_agent", o.user_agent}};
}

void from_json(const nlohmann::json& j, HttpClientOptions& o) {
    if (j.contains("retry")) o.retry = j.at("retry").get<RetryPolicy>();
    o.timeouts.connect = std::chrono::milliseconds(j.value("connect_timeout_ms", o.timeouts.connect.count()));
    o.timeouts.low_speed_bytes = j.value("low_speed_bytes", o.timeouts.low_speed_bytes);
    o.timeouts.low_speed_time = std::chrono::seconds(j.value("low_speed_time_s", o.timeouts.low_speed_time.count()));
    o.timeouts.total = std::chrono::milliseconds(j.value("total_timeout_ms", o.timeouts.total.count()));
    o.rate_limit.enabled = j.value("rate_limit", o.rate_limit.enabled);
    o.rate_limit.requests_per_minute = j.value("requests_per_minute", o.rate_limit.requests_per_minute);
    o.user_agent = j.value("user_agent", o.user_agent);
}

}  // namespace avpost::net
