#include "avpost/pipeline/webhook_delivery.hpp"

#include <unistd.h>

#include <charconv>
#include <random>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/standard_webhooks.hpp"
#include "avpost/net/webhook_sender.hpp"
#include "avpost/pipeline/worker.hpp"

namespace avpost::pipeline {

namespace sw = net::standard_webhooks;
using archive::WebhookAttemptResult;
using archive::WebhookEvent;

std::vector<std::chrono::seconds> default_webhook_retry_schedule() {
    using std::chrono::seconds;
    return {seconds(0), seconds(5), seconds(5 * 60), seconds(30 * 60), seconds(2 * 3600), seconds(5 * 3600),
            seconds(10 * 3600), seconds(10 * 3600)};
}

std::vector<std::chrono::seconds> parse_webhook_retry_schedule(std::string_view text) {
    std::vector<std::chrono::seconds> out;
    std::size_t start = 0;
    for (;;) {  // every piece between commas, empty ones included (and refused)
        const std::size_t comma = text.find(',', start);
        const std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        long long seconds = -1;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), seconds);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || seconds < 0)
            throw_usage("webhook retry schedule '" + std::string(text) +
                        "': expected seconds separated by commas, e.g. 0,5,300");
        out.push_back(std::chrono::seconds(seconds));
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

std::optional<std::int64_t> next_webhook_attempt(const std::vector<std::chrono::seconds>& schedule, int attempts,
                                                 std::int64_t now, double jitter_fraction) {
    if (attempts < 0 || std::size_t(attempts) >= schedule.size()) return std::nullopt;
    const std::int64_t wait = schedule[std::size_t(attempts)].count();
    std::int64_t jitter = 0;
    if (jitter_fraction > 0 && wait > 0) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        jitter = std::uniform_int_distribution<std::int64_t>(0, std::int64_t(double(wait) * jitter_fraction))(rng);
    }
    return now + wait + jitter;
}

struct WebhookDelivery::Secret {
    sw::WebhookSecret value;
};

WebhookDelivery::WebhookDelivery(WebhookDeliveryOptions options) : options_(std::move(options)) {
    if (options_.catalog.empty()) throw_usage("webhook delivery needs a catalog");
    if (options_.retry_schedule.empty()) throw_usage("webhook delivery needs a retry schedule of at least one attempt");
    if (options_.lease.count() * 1000 <= options_.request_timeout.count())
        throw_usage("the webhook lease must be longer than the request timeout");
    secret_ = std::make_unique<Secret>(Secret{sw::WebhookSecret::parse(options_.secret)});
    options_.secret.clear();  // kept parsed only
    if (options_.owner.empty()) options_.owner = "webhooks " + default_worker_name();
}

WebhookDelivery::~WebhookDelivery() { stop(); }

void WebhookDelivery::start() {
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void WebhookDelivery::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

int WebhookDelivery::deliver_due(archive::Catalog& catalog) {
    int attempted = 0;
    while (!stopping()) {
        std::optional<WebhookEvent> event = catalog.claim_webhook_event(options_.owner, options_.lease);
        if (!event) break;
        ++attempted;
        net::WebhookMessage message;
        message.url = event->url;
        message.id = event->event_id;
        message.timestamp = archive::unix_now();  // of this attempt, as the spec asks; the id stays
        message.body = event->payload;
        message.signature = sw::sign(secret_->value, message.id, message.timestamp, message.body);
        net::WebhookSendOptions send;
        send.allow_private = options_.allow_private;
        send.timeout = options_.request_timeout;
        send.cancelled = [this] { return stopping(); };
        net::WebhookSendResult sent = net::send_webhook(message, send);
        // Abandoned by stop(): nothing recorded, the lease lapses and the event is sent again
        // (same id) by whoever claims it next.
        if (sent.abandoned) break;
        WebhookAttemptResult result;
        result.status = sent.status;
        result.error = net::redact_text(sent.error);
        const std::int64_t now = archive::unix_now();
        if (sent.delivered()) {
            result.outcome = WebhookAttemptResult::Outcome::delivered;
        } else if (auto next = next_webhook_attempt(options_.retry_schedule, event->attempts, now, options_.jitter)) {
            result.outcome = WebhookAttemptResult::Outcome::failed;
            result.next_attempt_at = *next;
        } else {
            result.outcome = WebhookAttemptResult::Outcome::dead;
        }
        if (!catalog.record_webhook_attempt(*event, result, now))
            log::debug("webhook " + event->event_id + ": the claim lapsed before its outcome was recorded");
        if (options_.observer) options_.observer->attempted(*event, result);
    }
    return attempted;
}

void WebhookDelivery::run() {
    std::unique_ptr<archive::Catalog> catalog;
    while (!stopping()) {
        try {
            if (!catalog) catalog = archive::open_catalog(options_.catalog);
            deliver_due(*catalog);
        } catch (const std::exception& e) {  // the thread must not end the process
            catalog.reset();  // open again at the next round
            const std::string what = net::redact_text(e.what());
            if (options_.observer) options_.observer->catalog_trouble(what);
            else log::warning("webhooks: " + what + " (trying again)");
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, options_.poll_interval, [this] { return stopping(); });
    }
}

}  // namespace avpost::pipeline
