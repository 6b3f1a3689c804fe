#pragma once
// The completion-webhook flags `avpost worker` and `avpost serve` share, and the deliverer they
// make from them (pipeline/webhook_delivery.hpp).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "avpost/net/standard_webhooks.hpp"
#include "avpost/pipeline/webhook_delivery.hpp"

namespace avpost::tool {

struct WebhookFlags {
    std::string secret_file;
    bool allow_private = false;
    std::string retry_schedule;
    double timeout_seconds = 15;
};

inline void add_webhook_flags(CLI::App& sub, WebhookFlags& f) {
    sub.add_option("--webhook-secret-file", f.secret_file,
                   "Deliver the completion webhooks of the catalog's outbox, signed with the secret this file "
                   "holds (one line: whsec_ and base64; docs/webhooks.md). Without it, no webhook is sent and "
                   "events wait in the outbox");
    sub.add_flag("--allow-private-webhooks", f.allow_private,
                 "Accept and deliver webhooks to loopback, private and link-local addresses too (tests, one machine)");
    sub.add_option("--webhook-retry-schedule", f.retry_schedule,
                   "Seconds before each webhook attempt, comma separated (default: the Standard Webhooks schedule "
                   "0,5,300,1800,7200,18000,36000,36000, with jitter); for tests, e.g. 0,1,1,2 (then without jitter)");
    sub.add_option("--webhook-timeout-seconds", f.timeout_seconds,
                   "Longest wait for a webhook receiver's answer (default 15); an event is held twice as long, so "
                   "a deliverer killed mid-attempt leaves it to another after that")
        ->check(CLI::Range(0.1, 3600.0));
}

inline pipeline::WebhookDeliveryOptions webhook_delivery_options(const WebhookFlags& f, const std::string& catalog,
                                                                 const std::string& owner) {
    pipeline::WebhookDeliveryOptions d;
    d.catalog = catalog;
    d.secret = net::standard_webhooks::read_webhook_secret_file(f.secret_file);
    d.allow_private = f.allow_private;
    d.request_timeout = std::chrono::milliseconds(static_cast<long long>(f.timeout_seconds * 1000));
    d.lease = std::chrono::seconds(std::max<long long>(1, static_cast<long long>(f.timeout_seconds * 2 + 0.999)));
    d.owner = "webhooks " + owner;
    if (!f.retry_schedule.empty()) {
        d.retry_schedule = pipeline::parse_webhook_retry_schedule(f.retry_schedule);
        d.jitter = 0;  // a test's schedule is meant exactly
    }
    return d;
}

}  // namespace avpost::tool
