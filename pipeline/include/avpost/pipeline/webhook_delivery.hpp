#pragma once
// Delivers the catalog's webhook outbox (archive/webhook_outbox.hpp), signed per Standard Webhooks
// (net/standard_webhooks.hpp): a thread that claims due events under a lease, POSTs each event's
// kept payload with webhook-id (the event's id, the same at every attempt), webhook-timestamp and
// webhook-signature, and records the outcome. 2xx is delivered; any other answer, no answer or a
// timeout is a failed attempt, tried again after the next delay of the retry schedule; after its
// last entry the event is dead (`avpost jobs` shows it). At least once: a deliverer killed (or
// stopped) mid-attempt leaves its lease to lapse, and the event is sent again, same id and bytes.
// Many deliverers (workers, serve) may share one catalog; no two send an event at once.
//
// Used by `avpost worker` (--webhook-secret-file) and `avpost serve`.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "avpost/archive/webhook_outbox.hpp"

namespace avpost::archive {
class Catalog;
}

namespace avpost::pipeline {

// The Standard Webhooks recommendation: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
// and 10 h (about 27.6 h of attempts). Entry i: the wait before attempt i + 1.
std::vector<std::chrono::seconds> default_webhook_retry_schedule();
// "0,5,300" (seconds, comma separated, the first usually 0): a schedule for tests and setups that
// want their own. Throws Error(usage) on anything else.
std::vector<std::chrono::seconds> parse_webhook_retry_schedule(std::string_view text);
// When an event whose attempt `attempts` (1-based) failed is due again, from `now`: the schedule's
// next wait plus up to 10 % jitter (so deliverers of many failed events do not come back at once),
// or nothing when the schedule is spent (dead).
std::optional<std::int64_t> next_webhook_attempt(const std::vector<std::chrono::seconds>& schedule, int attempts,
                                                 std::int64_t now, double jitter_fraction);

// What the deliverer reports (the worker prints one line each; tests wait on them).
class WebhookObserver {
public:
    virtual ~WebhookObserver() = default;
    virtual void attempted(const archive::WebhookEvent& event, const archive::WebhookAttemptResult& result) {
        (void)event, (void)result;
    }
    // The catalog failed; the deliverer keeps trying.
    virtual void catalog_trouble(const std::string& what) { (void)what; }
};

struct WebhookDeliveryOptions {
    std::string catalog;  // a postgresql:// URI or a SQLite path (required)
    std::string secret;   // "whsec_..." (required); registered as a secret, never printed
    bool allow_private = false;  // loopback/private receivers (tests, one machine)
    std::string owner;    // the claims' owner; empty: "webhooks HOST:PID"
    std::vector<std::chrono::seconds> retry_schedule = default_webhook_retry_schedule();
    double jitter = 0.1;  // a fraction of each wait added at random (0: none, tests)
    // How long a claimed event is held: longer than the request timeout, so a live attempt never
    // loses its event; a killed deliverer's event is sent again this long after.
    std::chrono::seconds lease{60};
    std::chrono::milliseconds request_timeout{15000};
    std::chrono::milliseconds poll_interval{1000};  // looks for due events this often when idle
    WebhookObserver* observer = nullptr;
};

class WebhookDelivery {
public:
    // Checks the options and the secret (Error(usage) without printing it); opens nothing yet.
    explicit WebhookDelivery(WebhookDeliveryOptions options);
    ~WebhookDelivery();  // stops
    WebhookDelivery(const WebhookDelivery&) = delete;
    WebhookDelivery& operator=(const WebhookDelivery&) = delete;

    void start();  // the delivering thread; once
    // Returns promptly (about a second at most): an attempt in flight is abandoned, its lease left
    // to lapse, so the event is delivered again later with the same webhook-id.
    void stop();

    // Claims and attempts due events until none is due (or stopping): how many were attempted. The
    // thread's loop, callable directly (tests, a process without a thread of its own).
    int deliver_due(archive::Catalog& catalog);

    const std::string& owner() const { return options_.owner; }

private:
    void run();
    bool stopping() const { return stop_.load(); }

    WebhookDeliveryOptions options_;
    struct Secret;
    std::unique_ptr<Secret> secret_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace avpost::pipeline
