#include "avpost/archive/catalog_metrics.hpp"

#include <algorithm>

#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"

namespace avpost::archive {

namespace {
using metrics::GaugeSample;

prometheus::MetricFamily up(bool ok) {
    return metrics::gauge_family("avpost_catalog_up", "Whether the catalog answered this scrape (1) or not (0)",
                                 {{{}, ok ? 1.0 : 0.0}});
}
prometheus::MetricFamily delivery_attempts(std::int64_t delivered, std::int64_t failed) {
    prometheus::MetricFamily f;
    f.name = "avpost_webhook_delivery_attempts_total";
    f.help = "Webhook delivery attempts by outcome (delivered: a 2xx answer; failed: any other answer or none)";
    f.type = prometheus::MetricType::Counter;
    for (const auto& [outcome, count] : {std::pair{"delivered", delivered}, std::pair{"failed", failed}}) {
        prometheus::ClientMetric m;
        m.label = {{"outcome", outcome}};
        m.counter.value = double(count);
        f.metric.push_back(std::move(m));
    }
    return f;
}
}  // namespace

std::vector<prometheus::MetricFamily> catalog_metric_families(const CatalogStats& s, std::int64_t now) {
    std::vector<prometheus::MetricFamily> out;
    std::vector<GaugeSample> jobs;
    for (const auto& [state, count] : s.jobs) jobs.push_back({{{"state", std::string(to_string(state))}}, double(count)});
    out.push_back(metrics::gauge_family("avpost_queue_jobs", "Jobs in the queue by state", jobs));
    out.push_back(metrics::gauge_family("avpost_queue_depth",
                                        "Queued jobs that are due (not waiting out a retry backoff): waiting for a worker",
                                        {{{}, double(s.due_jobs)}}));
    const double oldest = s.oldest_due_since ? double(std::max<std::int64_t>(0, now - *s.oldest_due_since)) : 0.0;
    out.push_back(metrics::gauge_family("avpost_queue_oldest_due_age_seconds",
                                        "How long the longest-waiting due job has waited for a worker (0: none waits)",
                                        {{{}, oldest}}));
    std::vector<GaugeSample> assets;
    for (const auto& [state, count] : s.assets)
        assets.push_back({{{"state", std::string(to_string(state))}}, double(count)});
    out.push_back(metrics::gauge_family("avpost_archive_assets", "Archive assets by state", assets));
    out.push_back(metrics::gauge_family(
        "avpost_archive_backlog_assets",
        "Assets not archived yet: pending, downloading, or failed without a stored copy", {{{}, double(s.unarchived_assets)}}));
    if (s.soonest_link_expiry)
        out.push_back(metrics::gauge_family("avpost_archive_soonest_link_expiry_timestamp_seconds",
                                            "When the first vendor link of an unarchived asset expires (Unix time); "
                                            "absent when no unarchived asset has one",
                                            {{{}, double(*s.soonest_link_expiry)}}));
    out.push_back(metrics::gauge_family("avpost_archive_stored_bytes", "Bytes of the stored and verified assets",
                                        {{{}, double(s.stored_bytes)}}));
    std::vector<GaugeSample> webhooks;
    for (const auto& [state, count] : s.webhooks.events)
        webhooks.push_back({{{"state", std::string(to_string(state))}}, double(count)});
    out.push_back(metrics::gauge_family("avpost_webhook_events", "Webhook events in the outbox by state", webhooks));
    // Counted in the catalog, so the fleet's deliveries sum up whichever process made them. Only
    // recorded outcomes: an attempt cut off by a crash is in neither.
    const auto delivered = s.webhooks.events.find(WebhookState::delivered);
    out.push_back(delivery_attempts(delivered == s.webhooks.events.end() ? 0 : delivered->second,
                                    s.webhooks.failed_attempts));
    return out;
}

CatalogMetrics::CatalogMetrics(std::string location) : location_(std::move(location)) {}

std::vector<prometheus::MetricFamily> CatalogMetrics::Collect() const {
    std::lock_guard lock(mutex_);
    try {
        if (!catalog_) {
            CatalogOptions o;
            o.answer_timeout = std::chrono::milliseconds(5000);  // within a scrape's usual 10 s
            catalog_ = open_catalog(location_, o);
        }
        const std::int64_t now = unix_now();
        std::vector<prometheus::MetricFamily> out = catalog_metric_families(catalog_->stats(now), now);
        out.insert(out.begin(), up(true));
        return out;
    } catch (const Error& e) {
        catalog_.reset();  // connect again at the next scrape
        log::warning("metrics: " + net::redact_text(e.what()));
        return {up(false)};
    }
}

}  // namespace avpost::archive
