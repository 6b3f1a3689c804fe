#pragma once
// A queue worker (`avpost worker`, or embedded in another program): claims queued jobs from the
// catalog's job queue (job_queue.hpp) and runs each through the pipeline (job_runner.hpp).
//
// - A claim is one committed statement (PostgreSQL: FOR UPDATE SKIP LOCKED); no transaction stays
//   open while a job runs.
// - A thread of its own, on its own connection, renews every held lease each lease/3. A job whose
//   renewal is refused (the lease lapsed and another worker took the job) is abandoned: its next
//   checkpoint stops it and the worker writes nothing more for it, whatever it believes.
// - Every queue change (stage, done, failed, released) names the lease token.
// - Transient failures (network, vendor timeouts, the catalog, the system) go back to the queue
//   with a backoff until the job's max attempts; permanent ones (bad input, a failed render,
//   missing credentials) fail the job at once.
// - A job taken over resumes from its recorded stages: the render recorded before waiting is
//   waited on again, never created twice.
// - A stop (SIGTERM/SIGINT, or `stop` returning true) ends claiming; running jobs stop at their
//   next checkpoint and are released to the queue, this attempt not counted.
// - Started before its database, it keeps trying to reach it with a backoff (exit_on_unreachable:
//   it throws instead).
// - Idle, it waits on the catalog (PostgreSQL: LISTEN/NOTIFY wakes it at once) with polling as
//   the fallback; with `drain` it returns once no job is queued or running.
#include <chrono>
#include <functional>
#include <string>

#include "avpost/archive/job_queue.hpp"
#include "avpost/pipeline/job_runner.hpp"

namespace avpost::pipeline {

struct WorkerOptions {
    std::string catalog;  // the queue's catalog: a postgresql:// URI or a SQLite path (required)
    std::string name;     // in the queue's worker column; empty: HOST:PID
    int concurrency = 1;  // jobs run at once
    std::chrono::seconds lease{60};
    bool drain = false;
    // A PostgreSQL catalog that cannot be reached at the start: throw at once, not wait for it.
    bool exit_on_unreachable = false;
    std::chrono::milliseconds poll_interval{2000};  // the fallback when no notification comes
    // Each job's run: vendors, parse defaults (output root), webhooks. Its catalog and observer
    // are the worker's own.
    RunOptions run;
    std::function<bool()> stop;  // checked often; null: only SIGTERM/SIGINT stop the worker
};

// What happened to one claimed job.
enum class JobOutcome {
    done,
    retrying,   // a transient failure: queued again after a backoff
    failed,     // permanent, or out of attempts
    released,   // the worker stopped: back to the queue unfinished
    abandoned,  // the lease was lost: nothing written
};
std::string_view to_string(JobOutcome outcome);

class WorkerObserver {
public:
    virtual ~WorkerObserver() = default;
    virtual void claimed(const archive::QueuedJob& job) { (void)job; }
    virtual void stage(const archive::QueuedJob& job, const std::string& stage) { (void)job, (void)stage; }
    // `report` is empty (no name) when the job's spec could not be read.
    virtual void finished(const archive::QueuedJob& job, JobOutcome outcome, const JobReport& report) {
        (void)job, (void)outcome, (void)report;
    }
    // The catalog failed (a restart, a network cut): the worker keeps trying.
    virtual void catalog_trouble(const std::string& what) { (void)what; }
};

struct WorkerSummary {
    int done = 0, retrying = 0, failed = 0, released = 0, abandoned = 0;
};

// "HOST:PID".
std::string default_worker_name();

// What `avpost submit` queues for a job file: {"file": its absolute path, "job": the job as
// parsed and checked (job::canonical_job_document)}. ${NAME} references stay unexpanded (each
// worker expands them from its own environment), so no secret is stored; paths are absolute, and
// a fleet's machines must share them (or the job uses URLs).
// `notify` (JobSpec::notify, expanded), when not null, is kept beside them as "notify": the
// catalog writes the job's webhook events to it (Catalog::submit_job).
nlohmann::json queued_job_spec(const std::filesystem::path& file, const nlohmann::json& document,
                               const nlohmann::json& notify = nullptr);
// The job a queued spec names, checked as `run` checks a job file (job::JobFileError).
job::JobSpec read_queued_job(const archive::QueuedJob& job, const RunOptions& options);

// Runs until stopped or (drain) until the queue has nothing queued or running. A PostgreSQL
// catalog not reachable at the start is waited for (WorkerObserver::catalog_trouble each try).
// Throws Error only when the catalog cannot be opened at the start and waiting would not help:
// a SQLite file that does not open, or exit_on_unreachable.
WorkerSummary run_worker(const WorkerOptions& options, WorkerObserver* observer = nullptr);

}  // namespace avpost::pipeline
