#include "avpost/net/akool_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include "avpost/core/error.hpp"
#include "json_fields.hpp"

namespace avpost::net::akool {

using detail::int_field;
using detail::text_field;

namespace {

template <class T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
template <class T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null()) v = it->get<T>();
}

// One of the request's int fields (width, height, avatar_from), `fallback` when absent. A number
// that is not a whole int (1.5, 1e300) is refused like a wrong type, rather than converted:
// converting a double outside the int range is undefined behaviour.
int int_value(const nlohmann::json& j, const char* key, int fallback) {
    auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_number()) return it->get<int>();  // the library's own type_error
    const double value = it->get<double>();
    if (!(value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max()) ||
        value != std::trunc(value))
        throw nlohmann::json::type_error::create(302, std::string(key) + " must be an integer, not " + it->dump(),
                                                 &*it);
    return static_cast<int>(value);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// The path of an http(s) URL, lower-cased, without query or fragment; empty if not http(s).
std::string url_path(const std::string& url) {
    std::string l = lower(url);
    std::size_t start;
    if (l.starts_with("https://")) start = 8;
    else if (l.starts_with("http://")) start = 7;
    else return {};
    std::size_t slash = l.find('/', start);
    std::size_t host_end = l.find_first_of("/?#", start);
    if (host_end == start) return {};  // no host
    if (slash == std::string::npos) return "/";
    std::string path = l.substr(slash);
    return path.substr(0, path.find_first_of("?#"));
}

template <std::size_t N>
bool has_extension(const std::string& path, const std::array<std::string_view, N>& exts) {
    return std::any_of(exts.begin(), exts.end(), [&](std::string_view e) { return path.ends_with(e); });
}

bool is_hex_colour(const std::string& s) {
    if (s.size() != 7 && s.size() != 4) return false;
    if (s[0] != '#') return false;
    return std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

[[noreturn]] void invalid(const std::string& what) { throw_usage("invalid Akool talking-avatar request: " + what); }

constexpr std::array<std::string_view, 4> kImageExts = {".png", ".jpg", ".jpeg", ".webp"};
constexpr std::array<std::string_view, 3> kVideoExts = {".mp4", ".mov", ".avi"};

}  // namespace

void to_json(nlohmann::json& j, const Element& e) {
    j = nlohmann::json::object();
    j["type"] = e.type;
    put(j, "url", e.url);
    put(j, "avatar_id", e.avatar_id);
    put(j, "input_text", e.input_text);
    put(j, "voice_id", e.voice_id);
    put(j, "scale_x", e.scale_x);
    put(j, "scale_y", e.scale_y);
    put(j, "offset_x", e.offset_x);
    put(j, "offset_y", e.offset_y);
    put(j, "width", e.width);
    put(j, "height", e.height);
}

void from_json(const nlohmann::json& j, Element& e) {
    e.type = j.at("type").get<std::string>();
    get(j, "url", e.url);
    get(j, "avatar_id", e.avatar_id);
    get(j, "input_text", e.input_text);
    get(j, "voice_id", e.voice_id);
    get(j, "scale_x", e.scale_x);
    get(j, "scale_y", e.scale_y);
    get(j, "offset_x", e.offset_x);
    get(j, "offset_y", e.offset_y);
    get(j, "width", e.width);
    get(j, "height", e.height);
}

void to_json(nlohmann::json& j, const TalkingAvatarRequest& r) {
    j = {{"width", r.width}, {"height", r.height}, {"avatar_from", r.avatar_from}, {"elements", r.elements}};
    if (!r.webhook_url.empty()) j["webhookUrl"] = r.webhook_url;
}

void from_json(const nlohmann::json& j, TalkingAvatarRequest& r) {
    r.width = int_value(j, "width", 0);
    r.height = int_value(j, "height", 0);
    r.avatar_from = int_value(j, "avatar_from", 0);
    r.webhook_url = j.value("webhookUrl", std::string());
    r.elements = j.value("elements", std::vector<Element>{});
}

void to_json(nlohmann::json& j, const Avatar& a) {
    j = {{"avatar_id", a.avatar_id}, {"name", a.name}, {"url", a.url},   {"thumbnailUrl", a.thumbnail_url},
         {"gender", a.gender},       {"from", a.from}, {"type", a.type}, {"status", a.status}};
    if (!a.id.empty()) j["_id"] = a.id;
}

void from_json(const nlohmann::json& j, Avatar& a) {
    a.id = text_field(j, "_id");
    a.avatar_id = text_field(j, "avatar_id");
    a.name = text_field(j, "name");
    a.url = text_field(j, "url");
    a.thumbnail_url = text_field(j, "thumbnailUrl");
    a.gender = text_field(j, "gender");
    a.from = static_cast<int>(int_field(j, "from"));
    a.type = static_cast<int>(int_field(j, "type"));
    a.status = static_cast<int>(int_field(j, "status"));
}

void to_json(nlohmann::json& j, const VideoInfo& v) {
    j = {{"_id", v.id},
         {"video_id", v.video_id},
         {"video_status", v.video_status},
         {"video", v.video},
         {"create_time", v.create_time}};
    if (!v.task_id.empty()) j["task_id"] = v.task_id;
}

void from_json(const nlohmann::json& j, VideoInfo& v) {
    v.raw = j;
    v.id = text_field(j, "_id");
    v.video_id = text_field(j, "video_id");
    v.task_id = text_field(j, "task_id");
    v.video_status = static_cast<int>(int_field(j, "video_status"));
    v.video = text_field(j, "video");
    v.create_time = int_field(j, "create_time");
    v.uid = int_field(j, "uid");
    v.deduction_duration = detail::number_field(j, "deduction_duration");
}

void from_json(const nlohmann::json& j, Voice& v) {
    v.raw = j;
    v.voice_id = text_field(j, "voice_id");
    v.name = text_field(j, "name");
    v.preview = text_field(j, "preview");
}

void to_json(nlohmann::json& j, const Voice& v) {
    j = {{"voice_id", v.voice_id}, {"name", v.name}, {"preview", v.preview}};
}

void to_json(nlohmann::json& j, const AvatarUpload& u) {
    j = {{"url", u.url}, {"avatar_id", u.avatar_id}, {"name", u.name}, {"type", u.type}};
}

void validate(const TalkingAvatarRequest& r) {
    if (r.width != 3840 || r.height != 2160)
        invalid("width x height must be 3840x2160, got " + std::to_string(r.width) + "x" + std::to_string(r.height));
    if (r.avatar_from != 2 && r.avatar_from != 3)
        invalid("avatar_from must be 2 (Akool avatar) or 3 (your own), got " + std::to_string(r.avatar_from));
    if (!r.webhook_url.empty() && url_path(r.webhook_url).empty()) invalid("webhookUrl must be an http(s) URL");
    int avatars = 0, audios = 0;
    for (std::size_t i = 0; i < r.elements.size(); ++i) {
        const Element& e = r.elements[i];
        const std::string where = "elements[" + std::to_string(i) + "] (" + e.type + ")";
        if (e.type == "image" || e.type == "avatar") {
            if (!e.scale_x || !e.scale_y || !e.offset_x || !e.offset_y)
                invalid(where + ": scale_x, scale_y, offset_x and offset_y are required");
            if (*e.scale_x <= 0 || *e.scale_y <= 0) invalid(where + ": scale must be positive");
            if ((e.width && *e.width <= 0) || (e.height && *e.height <= 0)) invalid(where + ": size must be positive");
        }
        if (e.type == "image") {
            if (!e.url) invalid(where + ": url (a link or a hex colour) is required");
            if (!is_hex_colour(*e.url)) {
                std::string path = url_path(*e.url);
                if (path.empty()) invalid(where + ": url must be an http(s) URL or a hex colour like #1a2b3c");
                if (!has_extension(path, kImageExts)) invalid(where + ": image url must end in .png, .jpg, .jpeg or .webp");
            }
        } else if (e.type == "avatar") {
            ++avatars;
            if (r.avatar_from == 2) {
                if (!e.avatar_id || e.avatar_id->empty()) invalid(where + ": avatar_from 2 needs avatar_id");
                if (e.url) invalid(where + ": an avatar url of your own needs avatar_from 3");
            } else {
                if (!e.url && !e.avatar_id) invalid(where + ": avatar_from 3 needs the avatar url (or your avatar_id)");
            }
            if (e.url) {
                std::string path = url_path(*e.url);
                if (path.empty()) invalid(where + ": url must be an http(s) URL");
                if (!has_extension(path, kImageExts) && !has_extension(path, kVideoExts))
                    invalid(where + ": avatar url must be an image (.png .jpg .jpeg .webp) or a video (.mp4 .mov .avi)");
            }
        } else if (e.type == "audio") {
            ++audios;
            bool text = e.input_text.has_value() && !e.input_text->empty();
            bool voice = e.voice_id.has_value() && !e.voice_id->empty();
            if (text != voice) invalid(where + ": input_text and voice_id must be given together");
            if (!e.url && !text) invalid(where + ": needs url or input_text with voice_id");
            if (e.url && url_path(*e.url).empty()) invalid(where + ": url must be an http(s) URL");
        } else {
            invalid(where + ": type must be avatar, image or audio");
        }
    }
    if (avatars != 1) invalid("exactly one avatar element is required, got " + std::to_string(avatars));
    if (audios != 1) invalid("exactly one audio element is required, got " + std::to_string(audios));
}

}  // namespace avpost::net::akool
