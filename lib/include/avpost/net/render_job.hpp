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

// Akool's video_status, as the poll and the webhook both carry it: 1 queued, 2 processing,
// 3 completed, 4 failed; an undocumented code counts as still processing (never as done).
JobState akool_job_state(int video_status);
// The state of a vendor status word as JobStatus::vendor_status keeps it (and the catalog stores
// it): Akool's video_status number as text, A2V's status word. The one decoder of each vendor's
// statuses; an unknown word or number is running, as the vendors may add states.
JobState job_state(Vendor vendor, std::string_view vendor_status);
JobStatus to_job_status(const akool::VideoInfo& info);
JobStatus to_job_status(const a2v::Video& video);

// For output: URLs are redacted (no signature query strings).
void to_json(nlohmann::json& j, const JobStatus& status);

// The poll schedule: every `initial_interval` at first, then a fixed share of the time waited so
// far, up to `max_interval`. A render is so noticed within about a quarter of its age (a 3 s
// sandbox render within a second, a 20-minute A2V render within a minute), and a long wait costs
// few requests: about 15 in the first minute (A2V allows 30 a minute), then one a minute. Neither
// vendor documents a poll interval; A2V suggests looking after 10 minutes.
struct WaitOptions {
    std::chrono::milliseconds timeout{std::chrono::hours(1)};
    std::chrono::milliseconds initial_interval{1000};
    std::chrono::milliseconds max_interval{60000};
    double elapsed_fraction = 0.25;
};

// The delay before the next poll, `elapsed` after waiting began (without the timeout's cut).
std::chrono::milliseconds poll_delay(std::chrono::milliseconds elapsed, const WaitOptions& options);

// Polls until the job is finished or failed and returns its last status (failed included).
// Throws ServiceError(timeout) when `timeout` passes first. The sleep is replaceable (tests, a
// display that counts down, a webhook that ends it early: the next poll follows at once).
JobStatus wait_for_job(const std::function<JobStatus()>& poll, const WaitOptions& options,
                       const std::function<void(const JobStatus&)>& on_update = {},
                       const std::function<void(std::chrono::milliseconds)>& sleep = {});

}  // namespace avpost::net
