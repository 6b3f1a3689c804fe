#pragma once
// The statements of Catalog::stats, one text for both backends (?1 in SQLite is $1 in
// PostgreSQL: the callers substitute), and the record they fill.
#include <string>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive::stats_sql {

inline constexpr const char* jobs_by_state = "SELECT state, COUNT(*) FROM queue_jobs GROUP BY state";
// NOW: the parameter holding the current time.
inline std::string due_jobs(const char* now) {
    return std::string("SELECT COUNT(*), MIN(run_after) FROM queue_jobs WHERE state = 'queued' AND run_after <= ") + now;
}
inline constexpr const char* assets_by_state = "SELECT state, COUNT(*), COALESCE(SUM(size), 0) FROM assets GROUP BY state";
// Unarchived: pending, downloading, or failed without a stored copy (not AssetRecord::damaged).
inline constexpr const char* unarchived =
    "SELECT COUNT(*), MIN(j.link_expires_at) FROM assets a JOIN jobs j ON j.id = a.job_id "
    "WHERE a.state IN ('pending','downloading') OR (a.state = 'failed' AND "
    "(a.sha256 IS NULL OR a.sha256 = '' OR a.store_key IS NULL OR a.store_key = ''))";

inline constexpr const char* webhooks_by_state =
    "SELECT state, COUNT(*), COALESCE(SUM(failed_attempts), 0) FROM webhook_outbox GROUP BY state";

// Every state present, at zero.
inline CatalogStats zero_stats() {
    CatalogStats s;
    for (QueueState q : {QueueState::queued, QueueState::running, QueueState::done, QueueState::failed,
                         QueueState::cancelled})
        s.jobs[q] = 0;
    for (AssetState a : {AssetState::pending, AssetState::downloading, AssetState::stored, AssetState::verified,
                         AssetState::failed, AssetState::expired_before_archived})
        s.assets[a] = 0;
    for (WebhookState w : {WebhookState::pending, WebhookState::delivered, WebhookState::dead}) s.webhooks.events[w] = 0;
    return s;
}

inline void add_asset_row(CatalogStats& s, AssetState state, std::int64_t count, std::int64_t bytes) {
    s.assets[state] = count;
    if (state == AssetState::stored || state == AssetState::verified) s.stored_bytes += bytes;
}

inline void add_webhook_row(CatalogStats& s, WebhookState state, std::int64_t count, std::int64_t failed_attempts) {
    s.webhooks.events[state] = count;
    s.webhooks.failed_attempts += failed_attempts;
}

}  // namespace avpost::archive::stats_sql
