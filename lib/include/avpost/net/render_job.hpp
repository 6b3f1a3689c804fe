#pragma once
// A render job seen the same way for both vendors, and waiting for one to finish.
#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "avpost/net/a2v_types.hpp"
#include "avpost/net/akool_types.hpp"

namespace avpost::net {

enum class Vendor { akool, a2v };
Vendor parse_vendor(std::string_view name);  // throws Error(usage)
std::string_view to_string(Vendor vendor);

enum class JobState { queued, running, finished, failed };
std::string_view to_string(JobState state);

struct JobStatus {
    Vendor vendor = Vendor::akool;
    std::string id;
    JobState state = JobState::queued;
    std::string vendor_status;  // "3" for Akool, "finished" for A2V
    std::string video_url;      // signed: never print it unredacted
    std::string mask_url;       // A2V only
    bool done() const { return state == JobState::finished || state == JobState::failed; }
};

JobStatus to_job_status(const akool::VideoInfo& info);
JobStatus to_job_status(const a2v::Video& video);

// For output: URLs are redacted (no signature query strings).
void to_json(nlohmann::json& j, const JobStatus& status);

struct WaitOptions {
    std::chrono::milliseconds timeout{std::chrono::hours(1)};
    std::chrono::milliseconds initial_interval{2000};
    std::chrono::milliseconds max_interval{60000};
    double multiplier = 1.5;
};

// Polls until the job is finished or failed and returns its last status (failed included).
// Throws ServiceError(timeout) when `timeout` passes first. The sleep is replaceable for tests.
JobStatus wait_for_job(const std::function<JobStatus()>& poll, const WaitOptions& options,
                       const std::function<void(const JobStatus&)>& on_update = {},
                       const std::function<void(std::chrono::milliseconds)>& sleep = {});

}  // namespace avpost::net
