#pragma once
// A2V API client (https://openapi.surreal-ai.com/v1/a2v/...). Envelope {"code","data","message"}
// with code 0 for success; other codes throw ServiceError(vendor). A failed render is code 0 with
// data.status "error": get() returns it, callers branch on Video::state().
#include <memory>
#include <string>
#include <vector>

#include "avpost/net/a2v_types.hpp"
#include "avpost/net/http_client.hpp"

namespace avpost::net::a2v {

struct ClientOptions {
    std::string base_url = "https://openapi.surreal-ai.com";
    std::string token;     // Bearer
    std::string username;  // with password: account.login once, lazily, when token is empty
    std::string password;
    HttpClientOptions http;  // 30 requests a minute by default, as A2V allows
};

class Client {
public:
    explicit Client(ClientOptions options);

    LoginResult login();
    std::vector<Avatar> list_avatars();
    std::vector<Pose> list_poses(const std::string& avatar_id);
    Video generate(const std::string& pose_id, const std::string& audio_url);
    // Throws ServiceError(unknown_id) when A2V has no such video.
    Video get(const std::string& video_id);
    std::vector<Video> list_videos();

    HttpClient& http() { return *http_; }

private:
    nlohmann::json call(const std::string& method, const std::string& path_and_query, const nlohmann::json* body,
                        const std::string& context, bool authenticated = true);
    nlohmann::json call_once(const std::string& method, const std::string& path_and_query, const nlohmann::json* body,
                             const std::string& context, bool authenticated);

    ClientOptions options_;
    std::unique_ptr<HttpClient> http_;
};

// Parses an A2V envelope and checks its code; returns "data". Throws ServiceError.
nlohmann::json parse_response(std::string_view body, const std::string& context);

}  // namespace avpost::net::a2v
