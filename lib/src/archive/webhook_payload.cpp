#include "webhook_payload.hpp"

#include <nlohmann/json.hpp>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

std::string job_event_payload(std::string_view type, const QueuedJob& job, std::optional<std::int64_t> batch_id,
                              std::int64_t now) {
    nlohmann::json data = {{"job_id", job.id},
                           {"name", job.name},
                           {"state", std::string(to_string(job.state))},
                           {"error", job.last_error.empty() ? nlohmann::json() : nlohmann::json(job.last_error)},
                           {"attempts", job.attempts},
                           {"finished_at", job.finished_at ? nlohmann::json(iso8601(*job.finished_at)) : nlohmann::json()},
                           {"batch_id", batch_id ? nlohmann::json(*batch_id) : nlohmann::json()}};
    return nlohmann::json{{"type", type}, {"timestamp", iso8601(now)}, {"data", data}}.dump();
}

std::string batch_event_payload(const BatchRecord& batch, const std::vector<QueuedJob>& jobs, std::int64_t now) {
    nlohmann::json counts = {{"done", 0}, {"failed", 0}, {"cancelled", 0}};
    std::vector<std::int64_t> ids;
    for (const QueuedJob& j : jobs) {
        ids.push_back(j.id);
        auto& n = counts[std::string(to_string(j.state))];
        n = (n.is_number() ? n.get<std::int64_t>() : 0) + 1;
    }
    nlohmann::json data = {{"batch_id", batch.id},
                           {"name", batch.name},
                           {"counts", counts},
                           {"job_ids", ids},
                           {"finished_at", iso8601(batch.finished_at.value_or(now))}};
    return nlohmann::json{{"type", "batch.finished"}, {"timestamp", iso8601(now)}, {"data", data}}.dump();
}

}  // namespace avpost::archive
