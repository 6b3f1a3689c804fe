// Akool v3 as the sandbox plays it: business codes in HTTP 200 bodies, x-api-key or Bearer
// tokens from getToken, jobs moving 1 -> 2 -> 3 (or 4).
#include "avpost/net/akool_types.hpp"
#include "avpost/net/crypto.hpp"
#include "sandbox_state.hpp"

namespace avpost::sandbox {
namespace {

using nlohmann::json;

// Akool's own avatars (from 2) and one of the user's (from 3).
const json& builtin_avatars() {
    static const json avatars = json::array({
        {{"_id", "655ffeada6976ea317087193"}, {"name", "Yasmin in White shirt"},
         {"avatar_id", "Yasmin_in_White_shirt_20231121"}, {"gender", "female"}, {"from", 2}, {"type", 1}, {"status", 3}},
        {{"_id", "655ffeada6976ea317087194"}, {"name", "Noah in Blue suit"}, {"avatar_id", "Noah_in_Blue_suit_20231121"},
         {"gender", "male"}, {"from", 2}, {"type", 1}, {"status", 3}},
        {{"_id", "655ffeada6976ea317087195"}, {"name", "Streaming Mia"}, {"avatar_id", "Streaming_Mia_20240101"},
         {"gender", "female"}, {"from", 2}, {"type", 2}, {"status", 3}},
        {{"_id", "66a1a02d591ad336275eda62"}, {"name", "30870eb0"}, {"avatar_id", "user_avatar_30870eb0"},
         {"gender", ""}, {"from", 3}, {"type", 1}, {"status", 3}},
    });
    return avatars;
}

// Returns an error reply when the request is not authorised, else null.
std::optional<json> check_auth(SandboxServer::State& st, const httplib::Request& req) {
    std::string auth = req.get_header_value("Authorization");
    std::string key = req.get_header_value("x-api-key");
    // As documented: Authorization wins when both are present.
    if (!auth.empty()) {
        if (auth.starts_with("Bearer ")) {
            std::string token = auth.substr(7);
            std::lock_guard lock(st.mutex);
            for (const auto& t : st.akool_tokens)
                if (net::crypto::constant_time_equal(t, token)) return std::nullopt;
        }
        return akool_reply(1101, "Invalid authorization or The request token has expired");
    }
    if (key.empty()) return akool_reply(1102, "Authorization cannot be empty");
    if (!net::crypto::constant_time_equal(key, st.options.akool_client_secret))
        return akool_reply(1101, "Invalid authorization or The request token has expired");
    return std::nullopt;
}

json with_links(SandboxServer::State& st, json avatar) {
    std::string id = avatar["_id"];
    avatar["url"] = st.base_url + "/files/preview-" + id + ".png";
    avatar["thumbnailUrl"] = st.base_url + "/files/thumbnail-" + id + ".png";
    return avatar;
}

json video_info_json(SandboxServer::State& st, const Job& job, Clock::time_point now) {
    int status = st.akool_status(job, now);
    return {{"_id", job.id},
            {"create_time", job.create_time_ms},
            {"uid", job.uid},
            {"video_id", job.video_id},
            {"task_id", job.task_id},
            {"deduction_duration", 10},
            {"video_status", status},
            {"video", status == 3 ? st.sign_link(job.video_file, st.options.link_ttl_seconds) : std::string()}};
}

std::string query_int(const httplib::Request& req, const char* key) { return req.get_param_value(key); }

}  // namespace

void install_akool_routes(SandboxServer::State& st) {
    auto& svr = st.server;
    const std::string base = "/api/open/v3";

    svr.Post(base + "/getToken", guarded(st, Api::akool, [&st](const httplib::Request& req, httplib::Response& res,
                                                                  const std::optional<Fault>&) {
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) return set_json(res, akool_reply(1003, "Parameter error"));
        std::string id = body.value("clientId", ""), secret = body.value("clientSecret", "");
        if (id.empty() || secret.empty()) return set_json(res, akool_reply(1003, "Parameter can not be empty"));
        if (!net::crypto::constant_time_equal(id, st.options.akool_client_id) ||
            !net::crypto::constant_time_equal(secret, st.options.akool_client_secret))
            return set_json(res, akool_reply(1101, "Invalid authorization"));
        std::string token = "sbx." + net::crypto::random_hex(8);
        {
            std::lock_guard lock(st.mutex);
            st.akool_tokens.push_back(token);
        }
        set_json(res, {{"code", 1000}, {"token", token}});
    }));

    svr.Get(base + "/avatar/list", guarded(st, Api::akool, [&st](const httplib::Request& req, httplib::Response& res,
                                                                    const std::optional<Fault>&) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        auto number = [&](const char* key, int fallback) {
            std::string v = query_int(req, key);
            try {
                return v.empty() ? fallback : std::stoi(v);
            } catch (...) {
                return -1;
            }
        };
        int from = number("from", 0), type = number("type", 0), page = number("page", 1), size = number("size", 100);
        if (from < 0 || type < 0 || page < 1 || size < 1) return set_json(res, akool_reply(1003, "Parameter error"));
        json all = json::array();
        for (const json& a : builtin_avatars()) {
            if (from && a["from"] != from) continue;
            if (type && a["type"] != type) continue;
            json item = with_links(st, a);
            item.erase("_id");
            item.erase("status");
            all.push_back(item);
        }
        json page_items = json::array();
        for (std::size_t i = static_cast<std::size_t>((page - 1) * size); i < all.size() && page_items.size() < static_cast<std::size_t>(size); ++i)
            page_items.push_back(all[i]);
        set_json(res, akool_reply(1000, "ok", page_items));
    }));

    svr.Get(base + "/avatar/detail", guarded(st, Api::akool, [&st](const httplib::Request& req, httplib::Response& res,
                                                                      const std::optional<Fault>&) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        std::string id = req.get_param_value("id");
        if (id.empty()) return set_json(res, akool_reply(1003, "Parameter can not be empty"));
        json found = json::array();
        for (const json& a : builtin_avatars())
            if (a["_id"] == id) found.push_back(with_links(st, a));
        set_json(res, akool_reply(1000, "ok", found));
    }));

    svr.Post(base + "/avatar/create", guarded(st, Api::akool, [&st](const httplib::Request& req, httplib::Response& res,
                                                                       const std::optional<Fault>&) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) return set_json(res, akool_reply(1003, "Parameter error"));
        std::string url = body.value("url", ""), avatar_id = body.value("avatar_id", ""), name = body.value("name", "");
        bool id_ok = !avatar_id.empty() &&
                     std::all_of(avatar_id.begin(), avatar_id.end(), [](unsigned char c) { return std::isalnum(c); });
        if (!(url.starts_with("http://") || url.starts_with("https://")) || !id_ok)
            return set_json(res, akool_reply(1003, "Parameter error: url and avatar_id (letters and digits) are required"));
        json item = {{"_id", net::crypto::random_hex(12)}, {"disabled", false}, {"uid", 100001}, {"type", 1},
                     {"from", 3}, {"status", 1}, {"create_time", epoch_ms()}, {"name", name},
                     {"avatar_id", avatar_id}, {"url", url}, {"crop_arr", json::array()}};
        set_json(res, akool_reply(1000, "ok", json::array({item})));
    }));

    svr.Post(base + "/talkingavatar/create", guarded(st, Api::akool, [&st](const httplib::Request& req,
                                                                              httplib::Response& res,
                                                                              const std::optional<Fault>& fault) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) return set_json(res, akool_reply(1003, "Parameter error"));
        net::akool::TalkingAvatarRequest request;
        try {
            request = body.get<net::akool::TalkingAvatarRequest>();
            net::akool::validate(request);
        } catch (const std::exception& e) {
            return set_json(res, akool_reply(1003, std::string("Parameter error: ") + e.what()));
        }
        Job job;
        job.vendor = net::Vendor::akool;
        job.id = net::crypto::random_hex(12);
        job.video_id = net::crypto::random_hex(16);
        job.task_id = net::crypto::random_hex(12);
        job.created = Clock::now();
        job.create_time_ms = epoch_ms();
        job.fail = fault && fault->fail_render;
        job.webhook_url = request.webhook_url;
        job.akool_request = request;
        for (const auto& e : request.elements)
            if (e.type == "audio" && e.url) job.audio_url = *e.url;
        json reply;
        {
            std::lock_guard lock(st.mutex);
            st.jobs[job.id] = job;
            st.job_order.push_back(job.id);
            st.render_queue.push_back(job.id);
            reply = video_info_json(st, st.jobs[job.id], Clock::now());
        }
        st.wake.notify_all();
        set_json(res, akool_reply(1000, "OK", reply));
    }));

    svr.Get(base + "/content/video/infobymodelid", guarded(st, Api::akool, [&st](const httplib::Request& req,
                                                                                    httplib::Response& res,
                                                                                    const std::optional<Fault>&) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        std::string id = req.get_param_value("video_model_id");
        if (id.empty()) return set_json(res, akool_reply(1003, "Parameter can not be empty"));
        std::lock_guard lock(st.mutex);
        auto it = st.jobs.find(id);
        if (it == st.jobs.end() || it->second.vendor != net::Vendor::akool)
            return set_json(res, akool_reply(1000, "OK"));  // no data: the sandbox's "unknown id"
        set_json(res, akool_reply(1000, "OK", video_info_json(st, it->second, Clock::now())));
    }));

    svr.Get(base + "/voice/list", guarded(st, Api::akool, [&st](const httplib::Request& req, httplib::Response& res,
                                                                   const std::optional<Fault>&) {
        if (auto err = check_auth(st, req)) return set_json(res, *err);
        std::string from = req.get_param_value("from");
        if (from.empty()) from = "3";
        if (from != "3" && from != "4") return set_json(res, akool_reply(1003, "Parameter error: from must be 3 or 4"));
        json voices = json::array();
        if (from == "3") {
            voices.push_back({{"voice_id", "6889b628662160e2caad5dbc"}, {"name", "Sandbox Ava"},
                              {"preview", st.base_url + "/files/voice-ava.mp3"}, {"from", 3}});
            voices.push_back({{"voice_id", "6889b628662160e2caad5dbd"}, {"name", "Sandbox Ben"},
                              {"preview", st.base_url + "/files/voice-ben.mp3"}, {"from", 3}});
        }
        set_json(res, akool_reply(1000, "OK", voices));
    }));
}

}  // namespace avpost::sandbox
