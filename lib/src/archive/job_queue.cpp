// The job queue's rules that are not SQL: state names, the idempotency key, the backoff.
#include "avpost/archive/job_queue.hpp"

#include <algorithm>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/sha256.hpp"

namespace avpost::archive {

std::string_view to_string(QueueState state) {
    switch (state) {
        case QueueState::queued: return "queued";
        case QueueState::running: return "running";
        case QueueState::done: return "done";
        case QueueState::failed: return "failed";
        case QueueState::cancelled: return "cancelled";
    }
    return "unknown";
}

QueueState queue_state_from_string(std::string_view text) {
    for (auto s : {QueueState::queued, QueueState::running, QueueState::done, QueueState::failed, QueueState::cancelled})
        if (to_string(s) == text) return s;
    throw_usage("unknown job state '" + std::string(text) + "'");
}

nlohmann::json to_json(const QueuedJob& j) {
    nlohmann::json out = {{"id", j.id},
                          {"name", j.name},
                          {"state", std::string(to_string(j.state))},
                          {"attempts", j.attempts},
                          {"max_attempts", j.max_attempts},
                          {"worker", j.worker},
                          {"last_worker", j.last_worker},
                          {"stage", j.stage},
                          {"last_error", j.last_error},
                          {"submitted_at", iso8601(j.submitted_at)},
                          {"finished_at", nullptr}};
    if (j.finished_at) out["finished_at"] = iso8601(*j.finished_at);
    return out;
}

nlohmann::json to_json(const BatchRecord& b) {
    nlohmann::json out = {{"id", b.id},
                          {"name", b.name},
                          {"job_ids", b.job_ids},
                          {"created_at", iso8601(b.created_at)},
                          {"finished_at", nullptr}};
    if (b.finished_at) out["finished_at"] = iso8601(*b.finished_at);
    return out;
}

std::string job_idempotency_key(std::string_view name, const nlohmann::json& spec) {
    // nlohmann's object keeps keys sorted, so dump() is canonical for equal documents.
    return sha256_hex(std::string(name) + "\n" + spec.dump());
}

std::chrono::seconds queue_backoff(int attempts) {
    const int doublings = std::clamp(attempts - 1, 0, 6);
    return std::min(std::chrono::seconds(10 << doublings), std::chrono::seconds(600));
}

}  // namespace avpost::archive
