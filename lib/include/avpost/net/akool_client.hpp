#pragma once
// Akool v3 client (https://openapi.akool.com/api/open/v3/...). Every response is checked for
// the business code: anything but 1000 throws ServiceError(vendor) with the code and message.
#include <memory>
#include <string>
#include <vector>

#include "avpost/net/akool_types.hpp"
#include "avpost/net/http_client.hpp"

namespace avpost::net::akool {

struct Credentials {
    std::string api_key;        // x-api-key (the same value as the clientSecret)
    std::string token;          // a token from getToken, sent as Bearer
    std::string client_id;      // with client_secret: getToken is called once, lazily
    std::string client_secret;
    bool empty() const { return api_key.empty() && token.empty() && (client_id.empty() || client_secret.empty()); }
};

struct ClientOptions {
    std::string base_url = "https://openapi.akool.com";
    Credentials credentials;
    HttpClientOptions http = [] {
        HttpClientOptions o;
        o.rate_limit.enabled = false;  // Akool documents no limit; 429 is still honoured
        return o;
    }();
};

class Client {
public:
    explicit Client(ClientOptions options);

    std::string get_token();  // POST getToken with clientId/clientSecret
    std::vector<Avatar> list_avatars(const AvatarListQuery& query);
    // Every page, until a page comes back shorter than query.size.
    std::vector<Avatar> list_all_avatars(AvatarListQuery query);
    std::vector<Avatar> avatar_detail(const std::string& id);
    std::vector<Avatar> upload_avatar(const AvatarUpload& upload);
    // Validated before sending; never repeated once it may have reached the server.
    VideoInfo create_talking_avatar(const TalkingAvatarRequest& request);
    // Throws ServiceError(unknown_id) when Akool has no such video.
    VideoInfo video_info(const std::string& video_model_id);
    std::vector<Voice> list_voices(int from = 3);

    HttpClient& http() { return *http_; }

private:
    nlohmann::json call(const std::string& method, const std::string& path_and_query, const nlohmann::json* body,
                        const std::string& context);
    std::vector<std::pair<std::string, std::string>> auth_headers();

    ClientOptions options_;
    std::unique_ptr<HttpClient> http_;
    bool token_from_credentials_ = false;  // the token came from getToken: renewable
};

// Parses an Akool response body (the docs' examples carry // comments, so they are allowed) and
// checks its business code. Throws ServiceError(bad_response / vendor).
nlohmann::json parse_response(std::string_view body, const std::string& context);

}  // namespace avpost::net::akool
