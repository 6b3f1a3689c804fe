#include "avpost/net/render_job.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "avpost/core/error.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::net {

Vendor parse_vendor(std::string_view name) {
    if (name == "akool") return Vendor::akool;
    if (name == "a2v") return Vendor::a2v;
    throw_usage("unknown vendor \"" + std::string(name) + "\" (akool or a2v)");
}

std::string_view to_string(Vendor vendor) { return vendor == Vendor::akool ? "akool" : "a2v"; }

std::string_view to_string(JobState state) {
    switch (state) {
        case JobState::queued: return "queued";
        case JobState::running: return "running";
        case JobState::finished: return "finished";
        case JobState::failed: return "failed";
    }
    return "unknown";
}

JobState akool_job_state(int video_status) {
    switch (video_status) {
        case 1: return JobState::queued;
        case 3: return JobState::finished;
        case 4: return JobState::failed;
        default: return JobState::running;  // 2, and anything undocumented
    }
}

JobState job_state(Vendor vendor, std::string_view vendor_status) {
    if (vendor == Vendor::a2v) {
        switch (a2v::classify_status(std::string(vendor_status))) {
            case a2v::VideoState::finished: return JobState::finished;
            case a2v::VideoState::failed: return JobState::failed;
            case a2v::VideoState::running: return vendor_status == "pending" ? JobState::queued : JobState::running;
        }
    }
    int code = 0;
    auto [end, ec] = std::from_chars(vendor_status.data(), vendor_status.data() + vendor_status.size(), code);
    if (ec != std::errc() || end != vendor_status.data() + vendor_status.size()) return JobState::running;
    return akool_job_state(code);
}

JobStatus to_job_status(const akool::VideoInfo& info) {
    JobStatus s;
    s.vendor = Vendor::akool;
    s.id = info.id;
    s.vendor_status = std::to_string(info.video_status);
    s.state = akool_job_state(info.video_status);
    s.video_url = info.video;
    return s;
}

JobStatus to_job_status(const a2v::Video& video) {
    JobStatus s;
    s.vendor = Vendor::a2v;
    s.id = video.video_id;
    s.vendor_status = video.status;
    s.state = job_state(Vendor::a2v, video.status);
    s.video_url = video.video_url;
    s.mask_url = video.mask_video_url;
    return s;
}

void to_json(nlohmann::json& j, const JobStatus& s) {
    j = {{"vendor", to_string(s.vendor)},
         {"id", s.id},
         {"state", to_string(s.state)},
         {"vendor_status", s.vendor_status}};
    // docs/json/job-status.schema.json: the links are always there, null until the render has them.
    j["video_url"] = s.video_url.empty() ? nlohmann::json() : nlohmann::json(redact_url(s.video_url));
    j["mask_url"] = s.mask_url.empty() ? nlohmann::json() : nlohmann::json(redact_url(s.mask_url));
}

std::chrono::milliseconds poll_delay(std::chrono::milliseconds elapsed, const WaitOptions& options) {
    const auto share = std::chrono::milliseconds(static_cast<long long>(double(elapsed.count()) * options.elapsed_fraction));
    return std::clamp(share, options.initial_interval, std::max(options.initial_interval, options.max_interval));
}

JobStatus wait_for_job(const std::function<JobStatus()>& poll, const WaitOptions& options,
                       const std::function<void(const JobStatus&)>& on_update,
                       const std::function<void(std::chrono::milliseconds)>& sleep) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    const auto deadline = started + options.timeout;
    std::string last_status;
    while (true) {
        JobStatus status = poll();
        if (on_update && status.vendor_status != last_status) on_update(status);
        last_status = status.vendor_status;
        if (status.done()) return status;
        auto now = Clock::now();
        if (now >= deadline)
            throw_service(ServiceErrorKind::timeout, ErrorDomain::system, "waiting for " + std::string(to_string(status.vendor)) +
                          " job " + status.id, ETIMEDOUT, "still " + std::string(to_string(status.state)) +
                          " after " + std::to_string(options.timeout.count() / 1000) + " s");
        auto delay = std::min(poll_delay(std::chrono::duration_cast<std::chrono::milliseconds>(now - started), options),
                              std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
        if (sleep) sleep(delay);
        else std::this_thread::sleep_for(delay);
    }
}

}  // namespace avpost::net
