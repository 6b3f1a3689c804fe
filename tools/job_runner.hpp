#pragma once
// One job file run through its stages: render (create at the vendor) -> wait -> fetch (video and
// matte, verified) -> compose (the composite and every delivery from one decode) -> archive (each
// file an asset of the job's catalog row, stored and read back). A finished stage is recorded in
// the catalog with a fingerprint of its inputs and the files it made; a re-run skips it while the
// fingerprint matches and those files are intact, so nothing is rendered, fetched or encoded twice.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/job/job_spec.hpp"
#include "vendor_common.hpp"
#include "webhook_listener.hpp"

namespace avpost::tool {

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
    int exit_code = 0;
    std::string vendor;         // a2v, akool, local
    std::string vendor_job_id;  // for local jobs the job name
    std::filesystem::path output_dir;
    std::filesystem::path archive_root;
    std::vector<StageReport> stages;
    std::vector<JobOutputFile> outputs;
};
nlohmann::json to_json(const JobReport& report);

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
    std::shared_ptr<OutputClaims> claims;  // shared by the jobs of one run; may be null
    job::ParseOptions parse;
    bool force = false;     // rerun every stage
    bool progress = false;  // progress lines (a terminal, one job at a time)
    // `run --webhook-listen`: Akool's callbacks wake the wait stage of the job they name (polls
    // become the fallback); null: polling only.
    std::shared_ptr<WebhookListener> webhooks;
};

// Never throws for a failure of the job: the report says what happened (interrupts included).
JobReport run_job_file(const std::filesystem::path& file, const RunOptions& options);

}  // namespace avpost::tool
