#include "avpost/net/a2v_types.hpp"

#include "json_fields.hpp"

namespace avpost::net::a2v {

using detail::text_field;

VideoState classify_status(const std::string& status) {
    if (status == "finished") return VideoState::finished;
    if (status == "error") return VideoState::failed;
    return VideoState::running;  // pending, in_progressing and whatever else the API adds
}

void to_json(nlohmann::json& j, const Pose& p) {
    j = {{"pose_id", p.pose_id}, {"name", p.name}, {"preview_url", p.preview_url}};
}
void from_json(const nlohmann::json& j, Pose& p) {
    p.pose_id = text_field(j, "pose_id", text_field(j, "id"));
    p.name = text_field(j, "name");
    p.preview_url = text_field(j, "preview_url");
}

void to_json(nlohmann::json& j, const Avatar& a) {
    j = {{"id", a.id},
         {"avatar_type", a.avatar_type},
         {"name", a.name},
         {"gender", a.gender},
         {"display_name", a.display_name},
         {"preview_url", a.preview_url},
         {"poses", a.poses}};
}
void from_json(const nlohmann::json& j, Avatar& a) {
    a.id = text_field(j, "id");
    a.avatar_type = text_field(j, "avatar_type");
    a.name = text_field(j, "name");
    a.gender = text_field(j, "gender");
    a.display_name = text_field(j, "display_name");
    a.preview_url = text_field(j, "preview_url");
    a.poses.clear();
    if (j.contains("poses") && j["poses"].is_array())
        for (const auto& p : j["poses"]) a.poses.push_back(p.get<Pose>());
}

void to_json(nlohmann::json& j, const Video& v) {
    j = {{"video_id", v.video_id}, {"status", v.status}};
    if (!v.video_url.empty()) j["video_url"] = v.video_url;
    if (!v.mask_video_url.empty()) j["mask_video_url"] = v.mask_video_url;
}
void from_json(const nlohmann::json& j, Video& v) {
    v.raw = j;
    v.video_id = text_field(j, "video_id");
    v.status = text_field(j, "status");
    v.video_url = text_field(j, "video_url");
    v.mask_video_url = text_field(j, "mask_video_url");
}

}  // namespace avpost::net::a2v
