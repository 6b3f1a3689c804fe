#include "avpost/net/a2v_client.hpp"

#include "avpost/core/json_depth.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "json_fields.hpp"

namespace avpost::net::a2v {

namespace {
std::string url_encode(const std::string& s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}
}  // namespace

nlohmann::json parse_response(std::string_view body, const std::string& context) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded() || !j.is_object() || !j.contains("code"))
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, context, 0,
                      "response is not A2V JSON: " + redact_text(body.substr(0, 120)));
    // Checked before anything copies or walks it: a hostile depth would overflow the stack.
    if (auto deep = json_nested_too_deep(j))
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, context, 0,
                      "response nests deeper than " + std::to_string(max_json_depth) + " levels (at " + *deep + ")");
    std::int64_t code = detail::int_field(j, "code", -1);
    if (code != 0) {
        std::string msg = detail::text_field(j, "message", detail::text_field(j, "msg"));
        throw_service(ServiceErrorKind::vendor, ErrorDomain::vendor, context, code,
                      "A2V code " + std::to_string(code) + (msg.empty() ? "" : ": " + redact_text(msg)));
    }
    return j.contains("data") ? j["data"] : nlohmann::json();
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
    while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
    register_secret(options_.token);
    register_secret(options_.password);
    if (options_.http.metrics_vendor.empty()) options_.http.metrics_vendor = "a2v";
    http_ = std::make_unique<HttpClient>(options_.http);
}

LoginResult Client::login() {
    if (options_.username.empty() || options_.password.empty())
        throw_service(ServiceErrorKind::missing_credentials, ErrorDomain::usage, "a2v account.login", 0,
                      "username and password are required");
    nlohmann::json body = {{"username", options_.username}, {"password", options_.password}};
    nlohmann::json j = call("POST", "/v1/auth/account.login", &body, "a2v account.login", false);
    // The docs show the token fields at the top level of the reply; accept them inside data too.
    LoginResult r;
    r.access_token = detail::text_field(j, "access_token");
    r.refresh_token = detail::text_field(j, "refresh_token");
    r.expired_at = detail::text_field(j, "expired_at");
    if (r.access_token.empty())
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, "a2v account.login", 0, "no access_token");
    register_secret(r.access_token);
    register_secret(r.refresh_token);
    options_.token = r.access_token;
    return r;
}

nlohmann::json Client::call(const std::string& method, const std::string& path_and_query, const nlohmann::json* body,
                            const std::string& context, bool authenticated) {
    try {
        return call_once(method, path_and_query, body, context, authenticated);
    } catch (const ServiceError& e) {
        // A token from account.login was refused (expired): log in again, once. A 401 means the
        // request was turned away, so repeating a generate call is safe.
        if (!(authenticated && e.code() == 401 && e.domain() == ErrorDomain::http && !options_.username.empty() &&
              !options_.password.empty()))
            throw;
        options_.token.clear();
        return call_once(method, path_and_query, body, context, authenticated);
    }
}

nlohmann::json Client::call_once(const std::string& method, const std::string& path_and_query,
                                 const nlohmann::json* body, const std::string& context, bool authenticated) {
    HttpRequest req;
    req.method = method;
    req.url = options_.base_url + path_and_query;
    req.context = context;
    if (authenticated) {
        if (options_.token.empty() && !options_.username.empty()) login();
        if (options_.token.empty())
            throw_service(ServiceErrorKind::missing_credentials, ErrorDomain::usage, "a2v", 0,
                          "no credentials: set A2V_TOKEN");
        req.headers.emplace_back("Authorization", "Bearer " + options_.token);
    }
    if (body) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = body->dump();
    }
    HttpResponse res = http_->send(req);
    log::debug(context + ": HTTP " + std::to_string(res.status) + " after " + std::to_string(res.attempts) +
               " attempt(s)");
    if (res.status != 200) {
        nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false, true);
        std::string msg = j.is_object() ? detail::text_field(j, "message") : std::string();
        std::int64_t code = j.is_object() ? detail::int_field(j, "code", 0) : 0;
        std::string detail_text = "HTTP " + std::to_string(res.status) +
                                  (code ? ", A2V code " + std::to_string(code) : "") +
                                  (msg.empty() ? "" : ": " + redact_text(msg));
        if (res.status == 404)
            throw_service(ServiceErrorKind::unknown_id, ErrorDomain::http, context, res.status, detail_text);
        bool transient = is_transient_status(res.status);  // the statuses HttpClient retries
        throw_service(transient ? ServiceErrorKind::network : ServiceErrorKind::vendor, ErrorDomain::http, context,
                      res.status, detail_text);
    }
    if (!authenticated) {
        // account.login answers the token object itself, possibly without the envelope.
        nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false, true);
        if (j.is_object() && j.contains("access_token") && !json_nested_too_deep(j)) return j;
    }
    return parse_response(res.body, context);
}

std::vector<Avatar> Client::list_avatars() {
    nlohmann::json data = call("GET", "/v1/a2v/avatar.list", nullptr, "a2v avatar.list");
    std::vector<Avatar> out;
    if (data.is_array())
        for (const auto& item : data) out.push_back(item.get<Avatar>());
    return out;
}

std::vector<Pose> Client::list_poses(const std::string& avatar_id) {
    const std::string context = "a2v avatar-pose.list " + avatar_id;
    nlohmann::json data = call("GET", "/v1/a2v/avatar-pose.list?avatar_id=" + url_encode(avatar_id), nullptr, context);
    if (data.is_null()) throw_service(ServiceErrorKind::unknown_id, ErrorDomain::vendor, context, 0, "no such avatar");
    std::vector<Pose> out;
    if (data.is_array())
        for (const auto& item : data) out.push_back(item.get<Pose>());
    return out;
}

Video Client::generate(const std::string& pose_id, const std::string& audio_url) {
    nlohmann::json body = {{"pose_id", pose_id}, {"audio_url", audio_url}};
    nlohmann::json data = call("POST", "/v1/a2v/video.generate", &body, "a2v video.generate");
    Video v = data.is_object() ? data.get<Video>() : Video{};
    if (v.video_id.empty())
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, "a2v video.generate", 0, "no video_id");
    return v;
}

Video Client::get(const std::string& video_id) {
    const std::string context = "a2v video.get " + video_id;
    nlohmann::json data = call("GET", "/v1/a2v/video.get?video_id=" + url_encode(video_id), nullptr, context);
    if (!data.is_object() || detail::text_field(data, "video_id").empty())
        throw_service(ServiceErrorKind::unknown_id, ErrorDomain::vendor, context, 0, "A2V knows no such video");
    Video v = data.get<Video>();
    if (v.state() == VideoState::running && v.status != "pending" && v.status != "in_progressing")
        log::info("a2v video " + video_id + ": unknown status \"" + v.status + "\", taken as still running");
    return v;
}

std::vector<Video> Client::list_videos() {
    nlohmann::json data = call("GET", "/v1/a2v/video.list", nullptr, "a2v video.list");
    std::vector<Video> out;
    if (data.is_array())
        for (const auto& item : data) out.push_back(item.get<Video>());
    return out;
}

}  // namespace avpost::net::a2v
