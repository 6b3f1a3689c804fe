#pragma once
// Internal: the JSON bodies of webhook events, made once when an event is written to the outbox
// (both backends), so every attempt sends the same bytes under the same webhook-id.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avpost/archive/job_queue.hpp"

namespace avpost::archive {

// {"type": "job.succeeded", "timestamp": ISO-8601, "data": {"job_id", "name", "state", "error",
// "attempts", "finished_at", "batch_id"}}; batch_id: the first batch holding the job, or null.
std::string job_event_payload(std::string_view type, const QueuedJob& job, std::optional<std::int64_t> batch_id,
                              std::int64_t now);

// {"type": "batch.finished", "timestamp", "data": {"batch_id", "name", "counts": {state: n},
// "job_ids": [...]}}; `jobs`: the batch's jobs in order.
std::string batch_event_payload(const BatchRecord& batch, const std::vector<QueuedJob>& jobs, std::int64_t now);

}  // namespace avpost::archive
