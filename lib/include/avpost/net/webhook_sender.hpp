#pragma once
// One delivery attempt of a signed webhook: a POST of the event's bytes with the Standard Webhooks
// headers, to the address resolve_webhook_target checked (pinned with CURLOPT_RESOLVE), never
// following a redirect, never through a proxy. Transport trouble and the HTTP status are kept
// apart in the result; nothing is thrown for a receiver's failure.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace avpost::net {

struct WebhookMessage {
    std::string url;        // the notify URL, query included
    std::string id;         // webhook-id
    std::int64_t timestamp = 0;  // webhook-timestamp (Unix seconds)
    std::string signature;  // webhook-signature ("v1,...")
    std::string body;       // the JSON payload, sent as is
};

struct WebhookSendOptions {
    bool allow_private = false;  // loopback and private targets (tests, one machine)
    std::chrono::milliseconds timeout{15000};  // the whole attempt, connect included
    // Polled during the attempt (about once a second): true abandons it at once (stop()).
    std::function<bool()> cancelled;
};

struct WebhookSendResult {
    std::optional<int> status;  // none: no answer (refused, unreachable, timed out, abandoned)
    std::string error;          // empty when delivered; never the URL's query or a secret
    bool abandoned = false;     // cancelled() said so
    bool delivered() const { return status && *status >= 200 && *status < 300; }
};

WebhookSendResult send_webhook(const WebhookMessage& message, const WebhookSendOptions& options);

}  // namespace avpost::net
