#include "avpost/filters/delivery.hpp"

#include <algorithm>
#include <array>

#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"

namespace avpost::filters {
namespace {

constexpr std::array<std::pair<Preset, std::string_view>, 7> preset_names{{
    {Preset::web, "web"},
    {Preset::hevc, "hevc"},
    {Preset::webm_alpha, "webm-alpha"},
    {Preset::prores_alpha, "prores-alpha"},
    {Preset::preview, "preview"},
    {Preset::poster, "poster"},
    {Preset::hls, "hls"},
}};

std::string all_names() {
    std::string names;
    for (const auto& [preset, name] : preset_names) names += (names.empty() ? "" : ", ") + std::string(name);
    return names;
}

}  // namespace

Preset parse_preset(std::string_view name) {
    for (const auto& [preset, known] : preset_names)
        if (known == name) return preset;
    std::vector<std::string> known;
    for (const auto& [preset, known_name] : preset_names) known.emplace_back(known_name);
    auto near = closest_match(name, known);
    throw_usage("unknown preset '" + std::string(name) + "'" + (near ? " (did you mean " + *near + "?)" : "") + " (" +
                all_names() + ")");
}

std::string_view to_string(Preset preset) {
    for (const auto& [known, name] : preset_names)
        if (known == preset) return name;
    return "?";
}

std::vector<Preset> parse_preset_list(std::string_view list) {
    std::vector<Preset> presets;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) {
            Preset preset = parse_preset(item);
            if (std::find(presets.begin(), presets.end(), preset) == presets.end()) presets.push_back(preset);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (presets.empty()) throw_usage("no preset given (" + all_names() + ")");
    return presets;
}

bool preset_has_alpha(Preset preset) { return preset == Preset::webm_alpha || preset == Preset::prores_alpha; }

std::filesystem::path delivery_path(const DeliveryOptions& o, Preset preset) {
    switch (preset) {
        case Preset::web: return o.directory / (o.name + o.web_suffix + ".mp4");
        case Preset::hevc: return o.directory / (o.name + "-hevc.mp4");
        case Preset::webm_alpha: return o.directory / (o.name + ".webm");
        case Preset::prores_alpha: return o.directory / (o.name + ".mov");
        case Preset::preview: return o.directory / (o.name + "-preview.webp");
        case Preset::poster: return o.directory / (o.name + "-poster.jpg");
        case Preset::hls: return o.directory / (o.name + "-hls");
    }
    return o.directory / o.name;
}

void to_json(nlohmann::json& j, const DeliveryOptions& o) {
    nlohmann::json presets = nlohmann::json::array();
    for (Preset p : o.presets) presets.push_back(std::string(to_string(p)));
    j = {{"directory", o.directory.string()},
         {"name", o.name},
         {"presets", presets},
         {"max_size", std::to_string(o.max_size.width) + "x" + std::to_string(o.max_size.height)},
         {"preview_seconds", o.preview_seconds},
         {"preview_width", o.preview_width},
         {"preview_fps", o.preview_fps},
         {"hls_heights", o.hls_heights},
         {"hls_segment_seconds", o.hls_segment_seconds},
         {"loudness", std::string(to_string(o.loudness))},
         {"burn_captions", o.burn_captions}};
    if (!o.captions.empty()) j["captions"] = o.captions.string();
}

void from_json(const nlohmann::json& j, DeliveryOptions& o) {
    auto field = [&](const char* key) -> const nlohmann::json* {
        auto it = j.find(key);
        return it == j.end() ? nullptr : &*it;
    };
    auto number = [&](const char* key, double low, double high) -> std::optional<double> {
        const nlohmann::json* v = field(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) throw_usage(std::string(key) + ": must be a number");
        double d = v->get<double>();
        if (d < low || d > high)
            throw_usage(std::string(key) + ": must be between " + std::to_string(low) + " and " + std::to_string(high));
        return d;
    };
    if (!j.is_object()) throw_usage("delivery: must be an object");
    for (const auto& [key, value] : j.items()) {
        static const std::array<std::string_view, 12> known{
            "directory",   "name",        "presets",             "max_size", "preview_seconds", "preview_width",
            "preview_fps", "hls_heights", "hls_segment_seconds", "loudness", "captions",        "burn_captions"};
        if (std::find(known.begin(), known.end(), key) == known.end()) throw_usage(key + ": unknown field");
        (void)value;
    }
    if (const auto* v = field("directory")) {
        if (!v->is_string()) throw_usage("directory: must be a string");
        o.directory = v->get<std::string>();
    }
    if (const auto* v = field("name")) {
        if (!v->is_string() || v->get<std::string>().empty() ||
            v->get<std::string>().find('/') != std::string::npos)
            throw_usage("name: must be a non-empty file name without '/'");
        o.name = v->get<std::string>();
    }
    if (const auto* v = field("presets")) {
        o.presets.clear();
        if (v->is_string()) {
            o.presets = parse_preset_list(v->get<std::string>());
        } else if (v->is_array()) {
            for (std::size_t i = 0; i < v->size(); ++i) {
                if (!(*v)[i].is_string()) throw_usage("presets[" + std::to_string(i) + "]: must be a string");
                try {
                    Preset p = parse_preset((*v)[i].get<std::string>());
                    if (std::find(o.presets.begin(), o.presets.end(), p) == o.presets.end()) o.presets.push_back(p);
                } catch (const Error& e) {
                    throw_usage("presets[" + std::to_string(i) + "]: " + e.what());
                }
            }
            if (o.presets.empty()) throw_usage("presets: must name at least one preset");
        } else {
            throw_usage("presets: must be a list of preset names");
        }
    }
    if (const auto* v = field("max_size")) {
        if (!v->is_string()) throw_usage("max_size: must be a string like \"1920x1080\"");
        o.max_size = parse_size(v->get<std::string>(), false);
    }
    if (auto d = number("preview_seconds", 0.1, 60)) o.preview_seconds = *d;
    if (auto d = number("preview_width", 16, 3840)) o.preview_width = int(*d);
    if (auto d = number("preview_fps", 1, 60)) o.preview_fps = *d;
    if (auto d = number("hls_segment_seconds", 1, 60)) o.hls_segment_seconds = *d;
    if (const auto* v = field("loudness")) {
        if (!v->is_string()) throw_usage("loudness: must be one of web, podcast, broadcast, us-tv, off");
        try {
            o.loudness = parse_loudness_target(v->get<std::string>());
        } catch (const Error& e) {
            throw_usage(std::string("loudness: ") + e.what());
        }
    }
    if (const auto* v = field("captions")) {
        if (!v->is_string() || v->get<std::string>().empty()) throw_usage("captions: must be the path of a caption file");
        o.captions = v->get<std::string>();
    }
    if (const auto* v = field("burn_captions")) {
        if (!v->is_boolean()) throw_usage("burn_captions: must be true or false");
        o.burn_captions = v->get<bool>();
    }
    if (o.burn_captions && o.captions.empty()) throw_usage("burn_captions: needs captions (a caption file)");
    if (const auto* v = field("hls_heights")) {
        if (!v->is_array() || v->empty()) throw_usage("hls_heights: must be a non-empty list of heights");
        o.hls_heights.clear();
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& h = (*v)[i];
            if (!h.is_number_integer() || h.get<int>() < 16 || h.get<int>() > 4320)
                throw_usage("hls_heights[" + std::to_string(i) + "]: must be a whole number from 16 to 4320");
            o.hls_heights.push_back(h.get<int>());
        }
    }
}

void to_json(nlohmann::json& j, const DeliveredFile& f) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& p : f.files) files.push_back(p.string());
    j = {{"preset", std::string(to_string(f.preset))},
         {"path", f.path.string()},
         {"files", files},
         {"codec", f.codec},
         {"pixel_format", f.pixel_format},
         {"width", f.width},
         {"height", f.height},
         {"duration_seconds", f.duration_seconds},
         {"alpha", f.alpha},
         {"audio", f.audio},
         {"bytes", f.bytes}};
    if (f.loudness) j["loudness"] = *f.loudness;
    if (f.caption_cues > 0) j["caption_cues"] = f.caption_cues;
}

}  // namespace avpost::filters
