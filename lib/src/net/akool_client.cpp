#include "avpost/net/akool_client.hpp"

#include "avpost/core/json_depth.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "json_fields.hpp"

namespace avpost::net::akool {

nlohmann::json parse_response(std::string_view body, const std::string& context) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded() || !j.is_object() || !j.contains("code"))
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, context, 0,
                      "response is not Akool JSON: " + redact_text(body.substr(0, 120)));
    // Checked before anything copies or walks it: a hostile depth would overflow the stack.
    if (auto deep = json_nested_too_deep(j))
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, context, 0,
                      "response nests deeper than " + std::to_string(max_json_depth) + " levels (at " + *deep + ")");
    std::int64_t code = detail::int_field(j, "code", -1);
    if (code != 1000) {
        std::string msg = detail::text_field(j, "msg", detail::text_field(j, "message"));
        throw_service(ServiceErrorKind::vendor, ErrorDomain::vendor, context, code,
                      "Akool code " + std::to_string(code) + (msg.empty() ? "" : ": " + redact_text(msg)));
    }
    return j;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
    while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
    const Credentials& c = options_.credentials;
    for (const std::string* s : {&c.api_key, &c.token, &c.client_secret}) register_secret(*s);
    if (options_.http.metrics_vendor.empty()) options_.http.metrics_vendor = "akool";
    http_ = std::make_unique<HttpClient>(options_.http);
}

std::vector<std::pair<std::string, std::string>> Client::auth_headers() {
    Credentials& c = options_.credentials;
    if (!c.token.empty()) return {{"Authorization", "Bearer " + c.token}};
    if (!c.api_key.empty()) return {{"x-api-key", c.api_key}};
    if (!c.client_id.empty() && !c.client_secret.empty()) {
        c.token = get_token();
        token_from_credentials_ = true;
        return {{"Authorization", "Bearer " + c.token}};
    }
    throw_service(ServiceErrorKind::missing_credentials, ErrorDomain::usage, "akool", 0,
                  "no credentials: set AKOOL_API_KEY, or AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET");
}

std::string Client::get_token() {
    const Credentials& c = options_.credentials;
    if (c.client_id.empty() || c.client_secret.empty())
        throw_service(ServiceErrorKind::missing_credentials, ErrorDomain::usage, "akool getToken", 0,
                      "AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET are required");
    HttpRequest req;
    req.method = "POST";
    req.url = options_.base_url + "/api/open/v3/getToken";
    req.context = "akool getToken";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = nlohmann::json{{"clientId", c.client_id}, {"clientSecret", c.client_secret}}.dump();
    req.idempotent = true;  // getting a token has no side effect worth protecting
    HttpResponse res = http_->send(req);
    if (res.status != 200)
        throw_service(is_transient_status(res.status) ? ServiceErrorKind::network : ServiceErrorKind::vendor,
                      ErrorDomain::http, req.context, res.status, "HTTP " + std::to_string(res.status));
    nlohmann::json j = parse_response(res.body, req.context);
    std::string token = detail::text_field(j, "token");
    if (token.empty()) throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, req.context, 0, "no token");
    register_secret(token);
    return token;
}

nlohmann::json Client::call(const std::string& method, const std::string& path_and_query, const nlohmann::json* body,
                            const std::string& context) {
    for (int round = 0;; ++round) {
        HttpRequest req;
        req.method = method;
        req.url = options_.base_url + path_and_query;
        req.context = context;
        req.headers = auth_headers();
        if (body) {
            req.headers.emplace_back("Content-Type", "application/json");
            req.body = body->dump();
        }
        HttpResponse res = http_->send(req);
        log::debug(context + ": HTTP " + std::to_string(res.status) + " after " + std::to_string(res.attempts) +
                   " attempt(s)");
        try {
            if (res.status != 200) {
                // Akool answers 200 even for most errors; a body with a business code still says more.
                bool transient = is_transient_status(res.status);  // the statuses HttpClient retries
                nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false, true);
                if (!transient && !j.is_discarded() && j.is_object() && j.contains("code"))
                    parse_response(res.body, context);
                throw_service(transient ? ServiceErrorKind::network : ServiceErrorKind::vendor, ErrorDomain::http,
                              context, res.status, "HTTP " + std::to_string(res.status));
            }
            return parse_response(res.body, context);
        } catch (const ServiceError& e) {
            // A token we obtained ourselves was refused (expired or revoked): get a fresh one once.
            // 1101 means the request was turned away unprocessed, so repeating a create is safe.
            if (round == 0 && e.code() == 1101 && token_from_credentials_) {
                options_.credentials.token.clear();
                continue;
            }
            throw;
        }
    }
}

namespace {
std::vector<Avatar> avatars_of(const nlohmann::json& j) {
    std::vector<Avatar> out;
    const nlohmann::json& data = j.contains("data") ? j["data"] : nlohmann::json();
    if (data.is_array()) {
        for (const auto& item : data) out.push_back(item.get<Avatar>());
    } else if (data.is_object()) {
        // Newer pages wrap lists as {"result": [...]}.
        for (const char* key : {"result", "list"})
            if (data.contains(key) && data[key].is_array())
                for (const auto& item : data[key]) out.push_back(item.get<Avatar>());
    }
    return out;
}
}  // namespace

std::vector<Avatar> Client::list_avatars(const AvatarListQuery& q) {
    std::string query = "?page=" + std::to_string(q.page) + "&size=" + std::to_string(q.size);
    if (q.from) query += "&from=" + std::to_string(*q.from);
    if (q.type) query += "&type=" + std::to_string(*q.type);
    return avatars_of(call("GET", "/api/open/v3/avatar/list" + query, nullptr, "akool avatar list"));
}

std::vector<Avatar> Client::list_all_avatars(AvatarListQuery q) {
    std::vector<Avatar> all;
    for (int guard = 0; guard < 1000; ++guard) {
        std::vector<Avatar> page = list_avatars(q);
        all.insert(all.end(), page.begin(), page.end());
        if (static_cast<int>(page.size()) < q.size || page.empty()) break;
        ++q.page;
    }
    return all;
}

std::vector<Avatar> Client::avatar_detail(const std::string& id) {
    auto avatars = avatars_of(call("GET", "/api/open/v3/avatar/detail?id=" + id, nullptr, "akool avatar detail"));
    if (avatars.empty())
        throw_service(ServiceErrorKind::unknown_id, ErrorDomain::vendor, "akool avatar detail", 0, "no avatar " + id);
    return avatars;
}

std::vector<Avatar> Client::upload_avatar(const AvatarUpload& upload) {
    nlohmann::json body = upload;
    return avatars_of(call("POST", "/api/open/v3/avatar/create", &body, "akool avatar create"));
}

VideoInfo Client::create_talking_avatar(const TalkingAvatarRequest& request) {
    validate(request);
    nlohmann::json body = request;
    nlohmann::json j = call("POST", "/api/open/v3/talkingavatar/create", &body, "akool talking avatar create");
    if (!j.contains("data") || !j["data"].is_object())
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::vendor, "akool talking avatar create", 0, "no data");
    return j["data"].get<VideoInfo>();
}

VideoInfo Client::video_info(const std::string& video_model_id) {
    const std::string context = "akool video info " + video_model_id;
    nlohmann::json j = call("GET", "/api/open/v3/content/video/infobymodelid?video_model_id=" + video_model_id,
                            nullptr, context);
    // Akool answers an unknown id with code 1000 and no data.
    if (!j.contains("data") || !j["data"].is_object() || detail::text_field(j["data"], "_id").empty())
        throw_service(ServiceErrorKind::unknown_id, ErrorDomain::vendor, context, 0, "Akool knows no such video");
    return j["data"].get<VideoInfo>();
}

std::vector<Voice> Client::list_voices(int from) {
    nlohmann::json j = call("GET", "/api/open/v3/voice/list?from=" + std::to_string(from), nullptr, "akool voice list");
    std::vector<Voice> out;
    const nlohmann::json& data = j.contains("data") ? j["data"] : nlohmann::json();
    const nlohmann::json* list = data.is_array() ? &data : nullptr;
    if (data.is_object())
        for (const char* key : {"result", "list"})
            if (data.contains(key) && data[key].is_array()) list = &data[key];
    if (list)
        for (const auto& item : *list) out.push_back(item.get<Voice>());
    return out;
}

}  // namespace avpost::net::akool
