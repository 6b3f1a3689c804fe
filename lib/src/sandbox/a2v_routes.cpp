// The A2V API as the sandbox plays it: {"code","data","message"} envelopes, Bearer tokens,
// X-Ratelimit-* on every response and 429 {"code":1009} over the limit, pending ->
// in_progressing -> finished (or error inside code 0).
#include "avpost/net/crypto.hpp"
#include "sandbox_state.hpp"

namespace avpost::sandbox {
namespace {

using nlohmann::json;

struct A2vPose {
    const char* pose_id;
    const char* name;
};
struct A2vAvatar {
    int id;
    const char* type;
    const char* name;
    const char* gender;
    const char* display_name;
    std::vector<A2vPose> poses;
};

const std::vector<A2vAvatar>& builtin_avatars() {
    static const std::vector<A2vAvatar> avatars = {
        {101, "human", "lena", "female", "Lena", {{"pose-lena-standing", "standing"}, {"pose-lena-seated", "seated"}}},
        {102, "cg_human", "kai", "male", "Kai", {{"pose-kai-front", "front"}}},
    };
    return avatars;
}

json pose_json(SandboxServer::State& st, const A2vPose& p) {
    // Preview links are signed and expire, as A2V's are (the files themselves do not exist).
    return {{"pose_id", p.pose_id}, {"name", p.name},
            {"preview_url", st.sign_link(std::string("preview-") + p.pose_id + ".png", st.options.link_ttl_seconds)}};
}

json video_json(SandboxServer::State& st, const Job& job, Clock::time_point now) {
    std::string status = st.a2v_status(job, now);
    json j = {{"video_id", job.id}, {"status", status}};
    if (status == "finished") {
        j["video_url"] = st.sign_link(job.video_file, st.options.link_ttl_seconds);
        j["mask_video_url"] = st.sign_link(job.mask_file, st.options.link_ttl_seconds);
    }
    return j;
}

// Counts the request against the window and sets the headers; false when over the limit.
bool rate_limit(SandboxServer::State& st, httplib::Response& res) {
    std::lock_guard lock(st.mutex);
    auto now = Clock::now();
    auto window = std::chrono::seconds(std::max(1, st.options.a2v_window_seconds));
    if (now - st.a2v_window_start >= window) {
        st.a2v_window_start = now;
        st.a2v_window_count = 0;
    }
    int total = st.options.a2v_requests_per_window;
    bool allowed = st.a2v_window_count < total;
    if (allowed) ++st.a2v_window_count;
    auto reset = std::chrono::ceil<std::chrono::seconds>(st.a2v_window_start + window - now).count();
    res.set_header("X-Ratelimit-Total", std::to_string(total));
    res.set_header("X-Ratelimit-Left", std::to_string(std::max(0, total - st.a2v_window_count)));
    res.set_header("X-Ratelimit-Reset", std::to_string(std::max<long long>(1, reset)));
    return allowed;
}

// Rate limit and Bearer check shared by every /v1/a2v route; false when the reply is already set.
bool admit(SandboxServer::State& st, const httplib::Request& req, httplib::Response& res) {
    if (!rate_limit(st, res)) {
        set_json(res, a2v_reply(1009, "Too Many Request"), 429);
        return false;
    }
    std::string auth = req.get_header_value("Authorization");
    std::string token = auth.starts_with("Bearer ") ? auth.substr(7) : std::string();
    bool ok = !token.empty() && net::crypto::constant_time_equal(token, st.options.a2v_token);
    if (!ok && !token.empty()) {
        std::lock_guard lock(st.mutex);
        for (const auto& t : st.a2v_tokens) ok = ok || net::crypto::constant_time_equal(t, token);
    }
    if (!ok) {
        set_json(res, a2v_reply(1001, token.empty() ? "Authorization header is required" : "Invalid token"), 401);
        return false;
    }
    return true;
}

}  // namespace

void install_a2v_routes(SandboxServer::State& st) {
    auto& svr = st.server;

    svr.Post("/v1/auth/account.login", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                                     const std::optional<Fault>&) {
        if (!rate_limit(st, res)) return set_json(res, a2v_reply(1009, "Too Many Request"), 429);
        json body = json::parse(req.body, nullptr, false);
        std::string user = body.is_object() ? body.value("username", "") : "";
        std::string pass = body.is_object() ? body.value("password", "") : "";
        if (user != st.options.a2v_username || !net::crypto::constant_time_equal(pass, st.options.a2v_password))
            return set_json(res, a2v_reply(1002, "Invalid username or password"), 401);
        std::string token = "sbx-a2v." + net::crypto::random_hex(12);
        {
            std::lock_guard lock(st.mutex);
            st.a2v_tokens.push_back(token);
        }
        auto expires = std::chrono::system_clock::now() + std::chrono::hours(24);
        std::time_t t = std::chrono::system_clock::to_time_t(expires);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
        set_json(res, a2v_reply(0, "success",
                                {{"access_token", token}, {"refresh_token", "sbx-refresh." + net::crypto::random_hex(8)},
                                 {"expired_at", when}}));
    }));

    svr.Get("/v1/a2v/avatar.list", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                                 const std::optional<Fault>&) {
        if (!admit(st, req, res)) return;
        json list = json::array();
        for (const auto& a : builtin_avatars()) {
            json poses = json::array();
            for (const auto& p : a.poses) poses.push_back(pose_json(st, p));
            list.push_back({{"id", a.id}, {"avatar_type", a.type}, {"name", a.name}, {"gender", a.gender},
                            {"display_name", a.display_name},
                            {"preview_url", st.sign_link("preview-" + std::to_string(a.id) + ".png",
                                                         st.options.link_ttl_seconds)},
                            {"poses", poses}});
        }
        set_json(res, a2v_reply(0, "success", list));
    }));

    svr.Get("/v1/a2v/avatar-pose.list", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                                      const std::optional<Fault>&) {
        if (!admit(st, req, res)) return;
        std::string id = req.get_param_value("avatar_id");
        for (const auto& a : builtin_avatars()) {
            if (std::to_string(a.id) != id) continue;
            json poses = json::array();
            for (const auto& p : a.poses) poses.push_back(pose_json(st, p));
            return set_json(res, a2v_reply(0, "success", poses));
        }
        set_json(res, a2v_reply(1004, "avatar not found"), 404);
    }));

    svr.Post("/v1/a2v/video.generate", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                                     const std::optional<Fault>& fault) {
        if (!admit(st, req, res)) return;
        json body = json::parse(req.body, nullptr, false);
        std::string pose = body.is_object() ? body.value("pose_id", "") : "";
        std::string audio = body.is_object() ? body.value("audio_url", "") : "";
        bool pose_known = false;
        for (const auto& a : builtin_avatars())
            for (const auto& p : a.poses) pose_known = pose_known || pose == p.pose_id;
        if (!pose_known) return set_json(res, a2v_reply(1003, "invalid pose_id"), 400);
        if (!(audio.starts_with("http://") || audio.starts_with("https://")))
            return set_json(res, a2v_reply(1003, "invalid audio_url"), 400);
        Job job;
        job.vendor = net::Vendor::a2v;
        job.id = std::string("v").append(net::crypto::random_hex(10));  // not "v" + ...: gcc 12 -Wrestrict
        job.created = Clock::now();
        job.create_time_ms = epoch_ms();
        job.fail = fault && fault->fail_render;
        job.status_override = fault ? fault->status_override : std::string();
        job.audio_url = audio;
        {
            std::lock_guard lock(st.mutex);
            st.jobs[job.id] = job;
            st.job_order.push_back(job.id);
            st.render_queue.push_back(job.id);
        }
        st.wake.notify_all();
        set_json(res, a2v_reply(0, "success", {{"video_id", job.id}, {"status", "pending"}}));
    }));

    svr.Get("/v1/a2v/video.get", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                               const std::optional<Fault>& fault) {
        if (!admit(st, req, res)) return;
        std::string id = req.get_param_value("video_id");
        std::lock_guard lock(st.mutex);
        auto it = st.jobs.find(id);
        if (it == st.jobs.end() || it->second.vendor != net::Vendor::a2v)
            return set_json(res, a2v_reply(1004, "video not found"), 404);
        if (fault && !fault->status_override.empty()) it->second.status_override = fault->status_override;
        set_json(res, a2v_reply(0, "success", video_json(st, it->second, Clock::now())));
    }));

    svr.Get("/v1/a2v/video.list", guarded(st, Api::a2v, [&st](const httplib::Request& req, httplib::Response& res,
                                                                const std::optional<Fault>&) {
        if (!admit(st, req, res)) return;
        std::lock_guard lock(st.mutex);
        json list = json::array();
        auto now = Clock::now();
        for (const auto& id : st.job_order) {
            const Job& job = st.jobs.at(id);
            if (job.vendor == net::Vendor::a2v) list.push_back(video_json(st, job, now));
        }
        set_json(res, a2v_reply(0, "success", list));
    }));
}

}  // namespace avpost::sandbox
