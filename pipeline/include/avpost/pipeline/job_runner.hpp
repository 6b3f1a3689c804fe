#pragma once
// One job run through its stages: render (create at the vendor) -> wait -> fetch (video and
// matte, verified) -> compose (the composite and every delivery from one decode) -> archive (each
// file an asset of the job's catalog row, stored and read back). A finished stage is recorded in
// the catalog with a fingerprint of its inputs and the files it made; a re-run skips it while the
// fingerprint matches and those files are intact, so nothing is rendered, fetched or encoded twice.
// Stage records are keyed by the job's name in the job's catalog: with a shared (PostgreSQL)
// catalog, a job taken over by another machine finds them, and its recorded render is reused.
//
// The library prints nothing: what happens goes to a JobObserver; failures are avpost::Error in
// the report, for the caller to turn into exit codes or retries.
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/job_queue.hpp"

#include "avpost/pipeline/job_spec.hpp"
#include "avpost/pipeline/vendor_session.hpp"
#include "avpost/pipeline/wait_observer.hpp"
#include "avpost/pipeline/webhook_listener.hpp"

namespace avpost::pipeline {

// The stages, in the order they run.
inline constexpr const char* job_stage_names[] = {"render", "wait", "fetch", "compose", "archive"};

struct StageReport {
    std::string name;    // render, wait, fetch, compose, archive
    // "ran", "skipped" (done before), "none" (nothing to do for this job), "failed", "not-run"
    // (an earlier stage failed).
    std::string status;
    double seconds = 0;
    std::string detail;  // one line for the summary
};

struct JobOutputFile {
    std::string kind;    // avatar, mask, composite, delivery, other
    std::string preset;  // deliveries: the preset name
    std::filesystem::path path;
    std::int64_t size = 0;
    std::string sha256;
};

struct JobReport {
    std::string name;  // empty when the file could not be parsed
    std::filesystem::path file;
    bool ok = false;
    std::string error;  // one line, secrets redacted
    std::vector<std::string> problems;  // a bad job file: each of its problems, one line each
    // The failure as thrown (an avpost::Error, or an exception the runner wrapped in one), so a
    // caller can branch on its type: exit codes, transient or permanent. Null when ok.
    std::exception_ptr failure;
    bool interrupted = false;   // stopped by Ctrl-C / SIGTERM
    std::string vendor;         // a2v, akool, local
    std::string vendor_job_id;  // for local jobs the job name
    std::filesystem::path output_dir;
    std::filesystem::path archive_root;
    std::vector<StageReport> stages;
    std::vector<JobOutputFile> outputs;
};
// docs/json/run.schema.json's job object, less "exit_code" (the program's to add).
nlohmann::json to_json(const JobReport& report);

// What a job's run tells its caller; called on the job's thread.
class JobObserver {
public:
    virtual ~JobObserver() = default;
    virtual void stage_started(const std::string& job, const std::string& stage) { (void)job, (void)stage; }
    virtual void stage_finished(const std::string& job, const StageReport& stage) { (void)job, (void)stage; }
    // The wait stage's own observer (a terminal line, a log); the default shows nothing.
    virtual std::unique_ptr<WaitObserver> wait_observer(const std::string& job) {
        (void)job;
        return std::make_unique<WaitObserver>();
    }
    // Runs before every change the job makes outside its output directory (a vendor render, a
    // catalog write, an archived file) and between polls: throws to stop the job there (a worker
    // that lost its lease must write nothing more).
    virtual void checkpoint() {}
};

// The output directories of the jobs of one `avpost run`: two jobs writing to one directory would
// share files and stage records, so the second is refused.
class OutputClaims {
public:
    // The job file already holding `directory`, or empty when `file` now holds it.
    std::filesystem::path claim(const std::filesystem::path& directory, const std::filesystem::path& file);

private:
    std::mutex mutex_;
    std::map<std::filesystem::path, std::filesystem::path> holders_;
};

struct RunOptions {
    VendorEnvironment env;
    // The catalog keeping stage records, jobs and assets: a path or postgresql:// URI; empty:
    // $AVPOST_CATALOG, else the job's ARCHIVE_ROOT/catalog.db.
    std::string catalog;
    std::shared_ptr<OutputClaims> claims;  // shared by the jobs of one run; may be null
    job::ParseOptions parse;
    bool force = false;     // rerun every stage
    bool progress = false;  // download and compose progress lines on stderr (a terminal, one job at a time)
    // Akool's callbacks wake the wait stage of the job they name (polls become the fallback);
    // null: polling only.
    std::shared_ptr<WebhookListener> webhooks;
    JobObserver* observer = nullptr;  // null: nobody watches
    // Who claims the job's files while archiving them; empty: this process (archive::claim_owner).
    // A worker names the queued job, its lease and itself, for people reading the catalog; the
    // takeover of an earlier attempt's claims goes by `lease`, not by this text.
    std::string asset_owner;
    // A queued job's lease (a worker's run): stage records are then written fenced by it, and a
    // refused write (the job was taken over or cancelled) ends the run without writing more.
    std::optional<archive::JobLease> lease;
};

// The checks a job file gets before anything runs (parse_job_file: its own and the compose value checks, one pass):
// throws job::JobFileError naming each bad field.
job::JobSpec read_job_file(const std::filesystem::path& file, const RunOptions& options);

// The same checks for a job document already read (a queued job's); `file` names it in errors
// and anchors its relative paths.
job::JobSpec read_job(const nlohmann::json& document, const std::filesystem::path& file, const RunOptions& options);

// Never throws for a failure of the job: the report says what happened (interrupts included).
JobReport run_job_file(const std::filesystem::path& file, const RunOptions& options);
// The same for a job already read (a queued job's spec).
JobReport run_job(const job::JobSpec& spec, const RunOptions& options);

}  // namespace avpost::pipeline
