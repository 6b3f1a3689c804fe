#pragma once
// An HTTP endpoint (cpp-httplib handler) for Akool callbacks: verifies each delivery, answers 200
// to genuine ones (so Akool stops retrying) and 400 to rejected ones, and calls `on_event` once
// per new event: a repeated delivery is acknowledged but not reported again.
#include <functional>
#include <httplib.h>

#include "avpost/net/akool_webhook.hpp"

namespace avpost::net::akool {

struct WebhookEndpointCounters {
    int accepted = 0;  // new events
    int repeats = 0;
    int rejected = 0;
};

// `verifier` and `counters` must outlive the server. `on_event` runs on the server's thread.
httplib::Server::Handler make_webhook_handler(WebhookVerifier& verifier,
                                              std::function<void(const WebhookEvent&)> on_event,
                                              WebhookEndpointCounters* counters = nullptr);

}  // namespace avpost::net::akool
