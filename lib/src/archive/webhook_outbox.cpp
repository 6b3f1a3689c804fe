// The outbox records' text and JSON forms and the rules that are not SQL.
#include "avpost/archive/webhook_outbox.hpp"

#include <algorithm>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"
#include "avpost/net/crypto.hpp"

namespace avpost::archive {

std::string_view to_string(WebhookState state) {
    switch (state) {
        case WebhookState::pending: return "pending";
        case WebhookState::delivered: return "delivered";
        case WebhookState::dead: return "dead";
    }
    return "unknown";
}

WebhookState webhook_state_from_string(std::string_view text) {
    for (auto s : {WebhookState::pending, WebhookState::delivered, WebhookState::dead})
        if (to_string(s) == text) return s;
    throw_usage("unknown webhook state '" + std::string(text) + "' (one of: pending, delivered, dead)");
}

bool is_webhook_event_type(std::string_view type) {
    return std::find(std::begin(webhook_event_types), std::end(webhook_event_types), type) !=
           std::end(webhook_event_types);
}

nlohmann::json to_json(const WebhookEvent& e) {
    nlohmann::json out = {{"id", e.event_id},
                          {"type", e.type},
                          {"job_id", nullptr},
                          {"batch_id", nullptr},
                          {"url", redact_url(e.url)},
                          {"state", std::string(to_string(e.state))},
                          {"attempts", e.attempts},
                          {"next_attempt_at", nullptr},
                          {"last_status", nullptr},
                          {"last_error", e.last_error.empty() ? nlohmann::json() : nlohmann::json(e.last_error)},
                          {"created_at", iso8601(e.created_at)},
                          {"delivered_at", nullptr}};
    if (e.job_id) out["job_id"] = *e.job_id;
    if (e.batch_id) out["batch_id"] = *e.batch_id;
    if (e.state == WebhookState::pending) out["next_attempt_at"] = iso8601(e.next_attempt_at);
    if (e.last_status) out["last_status"] = *e.last_status;
    if (e.delivered_at) out["delivered_at"] = iso8601(*e.delivered_at);
    return out;
}

bool notify_wants(const nlohmann::json& notify, std::string_view type) {
    if (!notify.is_object() || !notify.contains("url") || !notify["url"].is_string()) return false;
    auto events = notify.find("events");
    if (events == notify.end() || events->is_null() || (events->is_array() && events->empty())) return true;
    if (!events->is_array()) return false;
    return std::any_of(events->begin(), events->end(),
                       [&](const nlohmann::json& e) { return e.is_string() && e.get<std::string>() == type; });
}

std::string new_webhook_event_id() { return "msg_" + net::crypto::random_hex(16); }

}  // namespace avpost::archive
