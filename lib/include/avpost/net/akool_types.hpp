#pragma once
// Akool v3 request and response structs, converted to and from the vendor's JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::net::akool {

// Video status values of Akool.
enum class VideoStatus { queueing = 1, processing = 2, completed = 3, failed = 4 };

struct Avatar {
    std::string id;         // "_id" (avatar detail / upload), empty in the list
    std::string avatar_id;  // what create calls take
    std::string name;
    std::string url;
    std::string thumbnail_url;
    std::string gender;
    int from = 0;    // 2 official, 3 the user's own
    int type = 0;    // 1 talking avatar, 2 streaming avatar
    int status = 0;  // 1 queueing .. 4 failed (detail / upload)
};

struct AvatarListQuery {
    std::optional<int> from;  // 2 or 3
    std::optional<int> type;  // 1 or 2
    int page = 1;
    int size = 100;
};

struct AvatarUpload {
    std::string url;        // video of the person, about a minute
    std::string avatar_id;  // letters and digits only
    std::string name;
    int type = 1;
};

struct Voice {
    std::string voice_id;
    std::string name;
    std::string preview;
    nlohmann::json raw;
};

// One element of a talking-avatar request; unset optionals are not sent.
struct Element {
    std::string type;  // "avatar", "image" or "audio"
    std::optional<std::string> url;
    std::optional<std::string> avatar_id;
    std::optional<std::string> input_text;
    std::optional<std::string> voice_id;
    std::optional<double> scale_x, scale_y;
    std::optional<double> offset_x, offset_y;
    std::optional<double> width, height;
};

struct TalkingAvatarRequest {
    int width = 3840;
    int height = 2160;
    int avatar_from = 3;
    std::string webhook_url;  // "webhookUrl"; empty: none
    std::vector<Element> elements;
};

// What create and video info return.
struct VideoInfo {
    std::string id;        // "_id": the video_model_id to poll with
    std::string video_id;
    std::string task_id;
    int video_status = 0;  // VideoStatus
    std::string video;     // result URL once completed
    std::int64_t create_time = 0;
    std::int64_t uid = 0;
    double deduction_duration = 0;
    nlohmann::json raw;
};

void to_json(nlohmann::json& j, const Element& e);
void from_json(const nlohmann::json& j, Element& e);
void to_json(nlohmann::json& j, const TalkingAvatarRequest& r);
void from_json(const nlohmann::json& j, TalkingAvatarRequest& r);
void to_json(nlohmann::json& j, const Avatar& a);
void from_json(const nlohmann::json& j, Avatar& a);
void to_json(nlohmann::json& j, const VideoInfo& v);
void from_json(const nlohmann::json& j, VideoInfo& v);
void from_json(const nlohmann::json& j, Voice& v);
void to_json(nlohmann::json& j, const Voice& v);
void to_json(nlohmann::json& j, const AvatarUpload& u);

// Throws Error(usage) naming the first rule the request breaks: 3840x2160, avatar_from 2 or 3,
// exactly one avatar and one audio element, avatar_id with avatar_from 2 and an avatar URL with 3,
// http(s) URLs with the documented image/video extensions, a hex colour for image backgrounds,
// input_text only together with voice_id, the scale/offset fields of image and avatar elements.
void validate(const TalkingAvatarRequest& request);

}  // namespace avpost::net::akool
