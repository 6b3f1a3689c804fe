#pragma once
// The archive catalog: every vendor job and every asset derived from it, with where each asset is
// stored and whether it was verified, plus the finished stages of `avpost run` jobs. An interface
// with two backends: SQLite (sqlite_catalog.hpp, the default) and PostgreSQL (pg_catalog.cpp, for
// a fleet of machines). Times are Unix seconds (UTC).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/job_queue.hpp"
#include "avpost/archive/webhook_outbox.hpp"
#include "avpost/core/error.hpp"

namespace avpost::archive {

// pending -> downloading (claimed) -> stored -> verified. A download that keeps failing ends in
// failed with a backoff (retry_after): sync claims it again once that has passed, for as long as
// the vendor offers the file. Only the vendor's own answer (no such job, no live link) ends an
// asset in expired-before-archived. A failed verify moves stored/verified to failed with its hash
// kept (damaged: `avpost archive repair` restores it).
enum class AssetState { pending, downloading, stored, verified, failed, expired_before_archived };

std::string_view to_string(AssetState state);
AssetState asset_state_from_string(std::string_view text);  // throws Error(usage) on unknown text

// The kinds of file kept per job.
inline constexpr std::string_view asset_kinds[] = {"avatar", "mask", "composite", "delivery", "other"};

struct JobRecord {
    std::int64_t id = 0;
    std::string vendor;          // "akool", "a2v"
    std::string vendor_job_id;   // unique per vendor
    nlohmann::json request = nlohmann::json::object();  // the request as sent (no secrets)
    std::string status;          // the vendor's status word
    std::int64_t created_at = 0;
    std::optional<std::int64_t> link_expires_at;  // when the vendor's download link dies
    std::int64_t updated_at = 0;
};

struct MediaFacts {
    std::string codec;  // libavcodec name, e.g. "h264"
    int width = 0;
    int height = 0;
    double duration_seconds = 0.0;
    double frame_rate = 0.0;
};

struct AssetRecord {
    std::int64_t id = 0;
    std::int64_t job_id = 0;
    std::string kind;        // one of asset_kinds
    std::string name;        // file name within the job, e.g. "avatar.mp4"
    std::string source_url;  // redacted: no query string, no user info
    std::optional<std::int64_t> size;
    std::string sha256;      // lowercase hex, empty until known
    std::optional<MediaFacts> media;
    std::string store_uri;   // "file:///abs/root" or "s3://bucket/prefix"
    std::string store_key;   // key within the store, e.g. "akool/2026-11/JOB/avatar.mp4"
    AssetState state = AssetState::pending;
    std::string error;       // last error text, empty when none
    int attempts = 0;
    std::string claim_owner;
    std::optional<std::int64_t> claim_expires_at;
    // The queued job's lease a fenced claim was made under (Catalog::claim with a JobLease), so a
    // later attempt of the same job can recognise an earlier attempt's claim and take it over.
    std::optional<JobLease> claim_lease;
    std::optional<std::int64_t> verified_at;
    std::int64_t updated_at = 0;
    // A failed asset is claimed again from this time on; the backoff (seconds) that set it, doubled
    // at the next failure. Both cleared when the asset is verified or requeued.
    std::optional<std::int64_t> retry_after;
    std::optional<std::int64_t> retry_backoff;

    // Failed after it was stored: the catalog holds the hash of the good content (repairable).
    bool damaged() const { return state == AssetState::failed && !sha256.empty() && !store_key.empty(); }
};

// How long a failed asset waits before sync claims it again: `initial` after the first failure,
// doubled at each further one, at most `max`.
struct RetryBackoff {
    std::chrono::seconds initial{60};
    std::chrono::seconds max{3600};
};

// What a store confirmed about a stored file.
struct StoredFacts {
    std::int64_t size = 0;
    std::string sha256;
    std::optional<MediaFacts> media;
    std::string store_uri;
    std::string store_key;
};

// One migration: the SQL that takes the schema from version-1 to version. Each backend keeps
// its own append-only list.
struct Migration {
    int version;
    std::string_view sql;
};
const std::vector<Migration>& catalog_migrations();     // SQLite's
const std::vector<Migration>& pg_catalog_migrations();  // PostgreSQL's

struct CatalogOptions {
    std::chrono::milliseconds busy_timeout{10000};
    // Stop upgrading at this version (tests of the upgrade path); default: the latest.
    std::optional<int> target_version;
    // Replaces the backend's migrations (tests of a failing migration).
    const std::vector<Migration>* migrations = nullptr;
    // Opens an existing catalog with SQLITE_OPEN_READONLY: nothing is written, nothing created,
    // so it works on a full disk or a read-only medium (archive verify). Only a catalog of an
    // older schema is first upgraded through a writing connection.
    bool read_only = false;
    // PostgreSQL: the longest wait for the server, to connect (libpq's connect_timeout, in whole
    // seconds, at least 2) or for a statement's answer. A server that stops answering (a network
    // partition, a connection its far end forgot) would otherwise hang the caller for good: past
    // this the connection is closed, the statement fails (Error(postgres), a catalog error; it may
    // or may not have been applied) and the next one connects again.
    std::chrono::milliseconds answer_timeout{30000};
};

struct ListQuery {
    // Only assets not yet stored whose job link expires before now + this many seconds.
    std::optional<std::int64_t> expiring_within;
    std::optional<AssetState> state;
    std::int64_t now = 0;  // 0: the current time
};

struct ClaimFilter {
    std::string vendor;                       // empty: any vendor
    std::vector<std::string> vendor_job_ids;  // empty: any job
    std::vector<std::int64_t> exclude;        // asset ids not to claim
};

// A finished stage of an `avpost run` job: what it was computed from (a hash of its inputs) and
// what it produced (files with size and SHA-256, vendor job ids, ...).
struct StageRecord {
    std::string job_key;  // the job's name
    std::string stage;    // "render", "wait", "fetch", "compose", "archive"
    std::string fingerprint;
    nlohmann::json result = nlohmann::json::object();
    std::int64_t finished_at = 0;  // 0 when recording: now
};

struct ListRow {
    JobRecord job;
    AssetRecord asset;
};

// Counts the metrics endpoints show (archive/catalog_metrics.hpp), read when scraped.
struct CatalogStats {
    std::map<QueueState, std::int64_t> jobs;     // queue jobs by state; every state present
    std::int64_t due_jobs = 0;                   // queued and due (run_after <= now): waiting for a worker
    std::optional<std::int64_t> oldest_due_since;  // the earliest run_after among those
    std::map<AssetState, std::int64_t> assets;   // assets by state; every state present
    // Not archived yet: pending, downloading, or failed without a stored copy (AssetRecord::damaged
    // ones have one: they are counted in `assets` only).
    std::int64_t unarchived_assets = 0;
    // The earliest vendor link expiry among the jobs of unarchived assets (with one).
    std::optional<std::int64_t> soonest_link_expiry;
    std::int64_t stored_bytes = 0;  // the sizes of stored and verified assets, summed
    WebhookStats webhooks;          // the outbox's events by state (every state present)
};

std::int64_t unix_now();
std::string iso8601(std::int64_t unix_seconds);  // "2026-11-21T05:30:00Z"

// Strips the query string, fragment and user info of a URL, so signatures and tokens in
// vendor links are never stored or printed.
std::string redact_url(std::string_view url);

nlohmann::json to_json(const JobRecord& job);
nlohmann::json to_json(const AssetRecord& asset);

// A claim the caller no longer holds (its lease expired and another process took the asset
// over): typed, so callers branch on the type, never on the text.
class ClaimLost : public Error {
public:
    using Error::Error;
};

// True for failures of the catalog itself (SQLite or PostgreSQL), which stop a run instead of
// failing one file.
bool is_catalog_error(const Error& e);

// The operations the archive and `avpost run` need, whatever keeps them: SQLite (one file in the
// archive root, the default) or PostgreSQL (shared by many machines). Every backend passes the
// same contract tests (tests/archive/catalog_contract_test.cpp). One object is one connection:
// not to be shared between threads.
class Catalog {
public:
    virtual ~Catalog() = default;

    // ROOT/catalog.db: where the default (SQLite) catalog of an archive root lives.
    static std::filesystem::path file_in(const std::filesystem::path& archive_root);

    virtual int schema_version() = 0;
    // "archive catalog '/a/catalog.db'", "archive catalog postgresql://host/db" (no secrets).
    virtual std::string describe() const = 0;
    // A second connection to the same catalog (for a thread of its own, e.g. lease renewals);
    // safe to call from another thread than this connection's.
    virtual std::unique_ptr<Catalog> open_another() const = 0;

    // Inserts the job, or updates status, request and link expiry of the existing
    // (vendor, vendor_job_id). Returns its id.
    virtual std::int64_t upsert_job(const JobRecord& job) = 0;
    virtual std::optional<JobRecord> find_job(std::string_view vendor, std::string_view vendor_job_id) = 0;
    virtual JobRecord job(std::int64_t id) = 0;  // throws Error(input) when there is none
    // Jobs of a vendor with no asset yet (still rendering when last seen, or failed).
    virtual std::vector<JobRecord> jobs_without_assets(std::string_view vendor) = 0;

    // Adds a pending asset (or returns the id of the existing one with this job and name).
    // The source URL is redacted before it is stored.
    virtual std::int64_t add_asset(std::int64_t job_id, std::string_view kind, std::string_view name,
                                   std::string_view source_url) = 0;
    virtual AssetRecord asset(std::int64_t id) = 0;  // throws Error(input) when there is none

    // Claims one asset for `owner`, committed at once: pending, downloading with an expired lease,
    // or failed with its backoff passed (retry_after). No two owners get the same asset while a
    // lease is live.
    virtual std::optional<AssetRecord> claim_next(std::string_view owner, std::chrono::seconds lease,
                                                  std::int64_t now = 0) = 0;
    virtual bool claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                       std::int64_t now = 0) = 0;
    // As claim_next, limited to one vendor (and, when given, to some of its jobs), skipping
    // `exclude` (assets this run already tried), nearest link expiry first (no expiry last).
    virtual std::optional<AssetRecord> claim_next_for(std::string_view owner, std::chrono::seconds lease,
                                                      const ClaimFilter& filter, std::int64_t now = 0) = 0;
    // Extends a claim `owner` still holds (long downloads). False when the claim was lost.
    virtual bool renew_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                             std::int64_t now = 0) = 0;
    // The vendor link died and no fresh one could be had: the claim ends in expired-before-archived.
    virtual void mark_expired(std::int64_t asset_id, std::string_view owner, std::string_view error) = 0;

    // Records a confirmed store; only the current claim owner may do this (else ClaimLost). The
    // claim is kept until mark_verified or mark_verify_failed (the owner reads the file back
    // first), so no other process verifies it meanwhile.
    virtual void mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts) = 0;
    // claim and mark_stored for a worker running a queued job, fenced by its lease in the same
    // statement, as record_stage below: false (claim) or ClaimLost (mark_stored), and nothing
    // written, unless `fence` is the job's current claim and the job is running. A worker paused
    // past its lease can neither claim a file of the job nor record one as stored.
    virtual bool claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                       const JobLease& fence, std::int64_t now = 0) = 0;
    virtual void mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts,
                             const JobLease& fence) = 0;
    // Gives up a claim: back to pending (retryable) or to failed, with the error text.
    virtual void release(std::int64_t asset_id, std::string_view owner, std::string_view error, bool retryable) = 0;
    // Gives up a claim for now: failed with the error, and claimable again (claim_next, claim_next_for)
    // from now + its backoff, which the catalog keeps and doubles at each failure (RetryBackoff).
    virtual void release_with_backoff(std::int64_t asset_id, std::string_view owner, std::string_view error,
                                      const RetryBackoff& backoff, std::int64_t now = 0) = 0;

    // A stored, verified or damaged asset (its store holds the catalog's hash again) is verified.
    virtual void mark_verified(std::int64_t asset_id, std::int64_t now = 0) = 0;
    virtual void mark_verify_failed(std::int64_t asset_id, std::string_view error) = 0;

    virtual std::vector<ListRow> list(const ListQuery& query = {}) = 0;
    // Stored, verified and damaged (AssetRecord::damaged) assets to re-check: all, or `sample` of
    // them; damaged ones first, then the least recently verified (never verified first), so
    // repeated sampling covers the whole archive and never passes over known damage.
    virtual std::vector<ListRow> verify_candidates(std::optional<int> sample) = 0;

    // The asset of a job with this file name.
    virtual std::optional<AssetRecord> find_asset(std::int64_t job_id, std::string_view name) = 0;

    // A failed asset goes back to pending, so a new attempt (a re-run job) may claim it.
    virtual void requeue_failed(std::int64_t asset_id) = 0;
    // An expired-before-archived asset goes back to pending (the vendor offers it again), with
    // `reason` as its error text. Returns whether it did.
    virtual bool requeue_expired(std::int64_t asset_id, std::string_view reason) = 0;

    // Finished stages of `avpost run` jobs.
    virtual std::optional<StageRecord> find_stage(std::string_view job_key, std::string_view stage) = 0;
    // Every job's record of one stage (repair looks up where `archive` stages kept their files).
    virtual std::vector<StageRecord> stages_named(std::string_view stage) = 0;
    virtual void record_stage(const StageRecord& record) = 0;  // inserts or replaces
    virtual void forget_stage(std::string_view job_key, std::string_view stage) = 0;
    // The same for a worker running a queued job, fenced by its lease in the same statement (the
    // queue row locked while checked): false, and nothing written, unless `lease` is the job's
    // current claim and the job is running. A worker that lost its job can never overwrite the
    // stages of the worker that took it over, however long it was paused between check and write.
    virtual bool record_stage(const StageRecord& record, const JobLease& lease) = 0;
    virtual bool forget_stage(std::string_view job_key, std::string_view stage, const JobLease& lease) = 0;

    // The job queue (job_queue.hpp). Submits `spec` under `name`, unless the same job (same
    // idempotency key) is already queued, running or done: then that one is returned, unchanged.
    virtual SubmitResult submit_job(std::string_view name, const nlohmann::json& spec, int max_attempts = default_job_attempts,
                                    std::int64_t now = 0) = 0;
    // Claims the next runnable job for `worker`, committed at once: queued and due (oldest due
    // first), or running with a lapsed lease. The claim bumps the job's lease token and attempts.
    virtual std::optional<QueuedJob> claim_job(std::string_view worker, std::chrono::seconds lease,
                                               std::int64_t now = 0) = 0;
    // Fenced by the lease token: each returns false, and changes nothing, unless `lease` is the
    // job's current claim and the job is running.
    virtual bool heartbeat_job(const JobLease& lease, std::chrono::seconds duration, std::int64_t now = 0) = 0;
    virtual bool set_job_stage(const JobLease& lease, std::string_view stage) = 0;
    virtual bool complete_job(const JobLease& lease, std::int64_t now = 0) = 0;
    // A transient failure with attempts left: queued again after queue_backoff(attempts); else
    // (permanent, or the last attempt) failed. The error is kept either way.
    virtual bool fail_job(const JobLease& lease, std::string_view error, bool transient, std::int64_t now = 0) = 0;
    // Gives the job back unfinished (the worker stops): queued at once, this attempt not counted.
    virtual bool release_job(const JobLease& lease, std::int64_t now = 0) = 0;
    // A person's decisions: queued or running -> cancelled (a running worker's next fenced change
    // then fails); failed or cancelled -> queued with its attempts reset. False when not in such a state.
    virtual bool cancel_job(std::int64_t id, std::int64_t now = 0) = 0;
    virtual bool retry_job(std::int64_t id, std::int64_t now = 0) = 0;
    virtual QueuedJob queued_job(std::int64_t id) = 0;  // throws Error(input) when there is none
    virtual std::vector<QueuedJob> queued_jobs() = 0;   // in submission order
    // One page of the queue for the HTTP job API, newest first: `limit` jobs after the first
    // `offset`, in `state` when given, and how many there are in all.
    virtual QueuePage queued_jobs_page(std::optional<QueueState> state, std::int64_t offset, int limit);
    // Submits every job of a batch and the batch itself in one transaction (each job as submit_job
    // would: an unchanged job already queued, running or done is returned, not queued again).
    virtual BatchSubmitResult submit_batch(std::string_view name, const nlohmann::json& notify,
                                           const std::vector<BatchJob>& jobs, int max_attempts = default_job_attempts,
                                           std::int64_t now = 0);
    virtual BatchRecord batch(std::int64_t id);  // throws Error(input) when there is none
    // The HTTP job API's Idempotency-Key answers (ApiAnswer). remember_api_answer keeps `answer`
    // unless one is kept for (scope, key) already, and returns the kept one either way.
    virtual std::optional<ApiAnswer> api_answer(std::string_view scope, std::string_view key);
    virtual ApiAnswer remember_api_answer(std::string_view scope, std::string_view key, const ApiAnswer& answer,
                                          std::int64_t now = 0);
    // The webhook outbox (webhook_outbox.hpp). Its events are written by complete_job (job.succeeded),
    // fail_job when the job ends failed (job.failed; not when it is queued again), and by
    // complete_job, fail_job, cancel_job and submit_batch when the last unfinished job of a batch
    // finishes (batch.finished, once), each in the transaction of the change, for the notify of the
    // job (job events) or of the batch (batch.finished) when it asks for that event.
    //
    // Claims for `owner` the pending event due longest (next_attempt_at <= now) that no live lease
    // holds, committed at once: its attempts bumped, leased until now + lease. No two owners get the
    // same event while a lease is live; a lapsed lease (a deliverer killed mid-attempt) makes it
    // claimable again, with the same event id and payload.
    virtual std::optional<WebhookEvent> claim_webhook_event(std::string_view owner, std::chrono::seconds lease,
                                                            std::int64_t now = 0) = 0;
    // Records the outcome of the attempt `claimed` (as claim_webhook_event returned it) and ends its
    // lease: false, and nothing written, unless that claim is still the event's current one (same
    // owner and attempt, still pending).
    virtual bool record_webhook_attempt(const WebhookEvent& claimed, const WebhookAttemptResult& result,
                                        std::int64_t now = 0) = 0;
    virtual std::vector<WebhookEvent> webhook_events(const WebhookQuery& query = {}) = 0;
    // Whether any job is queued (due or not) or running (a lapsed lease included): one indexed
    // read, however many finished jobs the queue keeps. A draining worker asks this when idle.
    virtual bool queue_has_work() = 0;
    // The queue and archive counts of CatalogStats at `now` (0: the current time); reads only.
    virtual CatalogStats stats(std::int64_t now = 0) = 0;
    // Waits up to `timeout` for a job to become claimable (a submit, a release, a retry), on this
    // connection: true when told of one early. PostgreSQL listens (LISTEN/NOTIFY), so idle workers
    // wake at once; the default only sleeps (SQLite: workers poll).
    virtual bool wait_for_queued_job(std::chrono::milliseconds timeout);
};

// Whether `location` names a PostgreSQL catalog ("postgresql://..." or "postgres://...").
bool is_postgres_location(std::string_view location);

// Opens the catalog at `location`: a libpq connection URI ("postgresql://user@host/db",
// "postgresql:///db?host=/run/postgresql" for a unix socket) or else a SQLite file path. The
// options' read_only and migration overrides apply to SQLite only.
std::unique_ptr<Catalog> open_catalog(std::string_view location, const CatalogOptions& options = {});

// Where an archive's catalog is: `location` when given (--catalog), else $AVPOST_CATALOG, else
// ROOT/catalog.db.
std::string catalog_location(std::string_view location, const std::filesystem::path& archive_root);

// A location fit for messages: a URI without its password and query, a path as it is.
std::string describe_catalog_location(std::string_view location);

}  // namespace avpost::archive
