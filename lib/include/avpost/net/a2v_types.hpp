#pragma once
// A2V API (Surreal Engine) structs and their JSON.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::net::a2v {

struct Pose {
    std::string pose_id;
    std::string name;
    std::string preview_url;
};

struct Avatar {
    std::string id;           // an integer in the API, kept as text
    std::string avatar_type;  // "cg_human" | "human"
    std::string name;
    std::string gender;
    std::string display_name;
    std::string preview_url;
    std::vector<Pose> poses;
};

// How a video status string is to be treated. The docs list pending, in_progressing, finished,
// error "etc.": anything else is taken as still running.
enum class VideoState { running, finished, failed };
VideoState classify_status(const std::string& status);

struct Video {
    std::string video_id;
    std::string status;
    std::string video_url;
    std::string mask_video_url;
    nlohmann::json raw;
    VideoState state() const { return classify_status(status); }
};

struct LoginResult {
    std::string access_token;
    std::string refresh_token;
    std::string expired_at;  // RFC 3339
};

void to_json(nlohmann::json& j, const Pose& p);
void from_json(const nlohmann::json& j, Pose& p);
void to_json(nlohmann::json& j, const Avatar& a);
void from_json(const nlohmann::json& j, Avatar& a);
void to_json(nlohmann::json& j, const Video& v);
void from_json(const nlohmann::json& j, Video& v);

}  // namespace avpost::net::a2v
