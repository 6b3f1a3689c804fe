#pragma once
// The webhook outbox kept in the catalog (webhook_outbox table): one row per completion event
// (job.succeeded, job.failed, batch.finished) for one notify URL, written in the same transaction
// as the state change it reports, so an event exists exactly when its change committed and
// survives any crash until it is delivered. Deliverers (pipeline/webhook_delivery.hpp) claim due
// events with a lease, POST the payload kept here (the same bytes at every attempt, under the same
// webhook-id) and record each attempt's outcome, fenced by their claim.
//
// pending -> (claimed: lease) -> delivered | pending again with a later next_attempt_at | dead.
// The operations are on Catalog (catalog.hpp), so both backends keep them and pass the same
// contract tests.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::archive {

enum class WebhookState { pending, delivered, dead };

std::string_view to_string(WebhookState state);
WebhookState webhook_state_from_string(std::string_view text);  // throws Error(usage) on unknown text

// The event types a `notify` may list; absent or empty `events` means all of them.
inline constexpr std::string_view webhook_event_types[] = {"job.succeeded", "job.failed", "batch.finished"};
bool is_webhook_event_type(std::string_view type);

struct WebhookEvent {
    std::int64_t id = 0;     // the row
    std::string event_id;    // "msg_..." : the webhook-id header, the same at every attempt
    std::string type;        // one of webhook_event_types
    std::optional<std::int64_t> job_id;    // queue job (job events)
    std::optional<std::int64_t> batch_id;  // batch (batch.finished)
    std::string url;         // as given in notify, query included: delivery needs it; never printed
    std::string payload;     // the JSON body, made when the event was written
    WebhookState state = WebhookState::pending;
    int attempts = 0;         // claims so far (an attempt cut off by a crash counts)
    int failed_attempts = 0;  // attempts recorded as failed
    std::int64_t next_attempt_at = 0;
    std::string claim_owner;  // holder of the delivery lease, empty when none
    std::optional<std::int64_t> claim_expires_at;
    std::optional<int> last_status;  // the receiver's last HTTP status, none for a transport error
    std::string last_error;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> delivered_at;
};
// The URL without its query, fragment and user info (archive::redact_url): listings never show
// a receiver's token.
nlohmann::json to_json(const WebhookEvent& event);

// Which events a listing wants; unset fields match every event. In event order (oldest first).
struct WebhookQuery {
    std::optional<std::int64_t> job_id;
    std::optional<std::int64_t> batch_id;
    std::optional<WebhookState> state;
};

// What a deliverer learnt from one attempt.
struct WebhookAttemptResult {
    enum class Outcome { delivered, failed, dead };
    Outcome outcome = Outcome::failed;
    std::optional<int> status;        // HTTP status, none for a transport error or timeout
    std::string error;                // redacted: no URL query, no secret
    std::int64_t next_attempt_at = 0;  // failed: when it is due again
};

// Counts for CatalogStats: events by state (every state present) and attempts recorded failed.
struct WebhookStats {
    std::map<WebhookState, std::int64_t> events;
    std::int64_t failed_attempts = 0;
};

// Whether a job's or batch's `notify` ({"url": ..., "events": [...]}, or null) asks for `type`.
bool notify_wants(const nlohmann::json& notify, std::string_view type);

// A fresh event id: "msg_" and 26 random characters from the URL-safe alphabet.
std::string new_webhook_event_id();

}  // namespace avpost::archive
