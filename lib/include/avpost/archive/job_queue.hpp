#pragma once
// The job queue kept in the catalog (queue_jobs table), for `avpost submit` and `avpost worker`:
// its records and the rules that are not SQL. The operations are on Catalog (catalog.hpp), so both
// backends keep them and pass the same contract tests.
//
// queued -> running (claimed with a lease) -> done | failed | cancelled; a transient failure goes
// back to queued with a later run_after until max_attempts; a lease that lapses (worker killed,
// machine gone) lets another worker claim the job again. Every claim bumps the job's lease token,
// and every change a worker makes names the token it holds: a worker that lost its lease (paused
// past it, cut off) changes nothing, whatever it believes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::archive {

enum class QueueState { queued, running, done, failed, cancelled };

std::string_view to_string(QueueState state);
QueueState queue_state_from_string(std::string_view text);  // throws Error(usage) on unknown text

// Attempts a submitted job gets unless told otherwise: with the queue's backoff (10 s doubling,
// at most 10 min) transient failures are retried for about 20 minutes (10+20+...+600 s) before the
// job counts as failed, so a vendor, store or database outage that long costs no job. (3 gave up
// after 30 s: a soak's one-minute vendor outage failed a job.)
inline constexpr int default_job_attempts = 8;

struct QueuedJob {
    std::int64_t id = 0;
    std::string name;             // the job's name
    std::string idempotency_key;  // job_idempotency_key(name, spec)
    nlohmann::json spec = nlohmann::json::object();  // the job file as submitted
    QueueState state = QueueState::queued;
    int attempts = 0;  // claims so far
    int max_attempts = default_job_attempts;
    std::int64_t lease_token = 0;  // bumped by every claim
    std::string worker;            // holder while running
    std::string last_worker;       // who ran it last (kept once it finishes); empty: never claimed
    std::optional<std::int64_t> lease_expires_at;
    std::int64_t run_after = 0;  // not claimed before (backoff)
    std::string stage;           // the stage running or last finished
    std::string last_error;
    std::int64_t submitted_at = 0;
    std::int64_t updated_at = 0;
    std::optional<std::int64_t> finished_at;  // set exactly in done, failed, cancelled
};
nlohmann::json to_json(const QueuedJob& job);

// What a worker holds: the job and the token of its claim.
struct JobLease {
    std::int64_t job_id = 0;
    std::int64_t token = 0;
};
inline JobLease lease_of(const QueuedJob& job) { return {job.id, job.lease_token}; }
// Finished under exactly this lease: no later claim bumped the token. A worker whose completion
// committed but whose reply was lost asks this before calling the job abandoned.
inline bool done_under(const QueuedJob& job, const JobLease& lease) {
    return job.id == lease.job_id && job.state == QueueState::done && job.lease_token == lease.token;
}

// A failure under `lease` that committed though its reply was lost: the job is failed, or queued
// again for a retry, with that error and still that lease's token (nobody claimed it since).
inline bool failed_under(const QueuedJob& job, const JobLease& lease, std::string_view error) {
    return job.id == lease.job_id && job.lease_token == lease.token && job.last_error == error &&
           (job.state == QueueState::failed || job.state == QueueState::queued);
}

struct SubmitResult {
    std::int64_t id = 0;
    bool created = false;  // false: the same job was already queued, running or done
    QueueState state = QueueState::queued;
};

struct QueuePage {
    std::vector<QueuedJob> jobs;
    std::int64_t total = 0;  // in the state asked for, all pages
};

// A batch: jobs submitted together (POST /api/v1/batches, `avpost batch --submit`). It is finished
// once every job of it is done, failed or cancelled; its `notify` target then gets batch.finished.
struct BatchJob {
    std::string name;
    nlohmann::json spec;
};
struct BatchRecord {
    std::int64_t id = 0;
    std::string name;
    nlohmann::json notify;  // {"url": ..., "events": [...]}, or null
    std::vector<std::int64_t> job_ids;  // in the order submitted
    std::int64_t created_at = 0;
    std::optional<std::int64_t> finished_at;
};
struct BatchSubmitResult {
    std::int64_t batch_id = 0;
    std::vector<SubmitResult> jobs;  // one per BatchJob, in order (created or the same job found)
};
nlohmann::json to_json(const BatchRecord& batch);

// The answer the HTTP job API gave to a request with an Idempotency-Key, kept per client scope and
// key: the same key and body gets this answer again; the same key with another body is refused.
struct ApiAnswer {
    std::string request_sha256;  // of the method, path and body
    int status = 0;
    std::string body;
};

// SHA-256 (hex) of the name and the job's canonical JSON (keys sorted): the same job file
// submitted twice has the same key, any change to it a different one.
std::string job_idempotency_key(std::string_view name, const nlohmann::json& spec);

// The wait before attempt `attempts` + 1 after a transient failure: 10 s doubling, at most 10 min.
std::chrono::seconds queue_backoff(int attempts);

}  // namespace avpost::archive
