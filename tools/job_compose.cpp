#include "job_compose.hpp"

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::tool {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Runs `convert`, turning its Error into one that names the job file and `path`.
template <class F>
auto at_path(const job::JobSpec& job, const std::string& path, F&& convert) {
    try {
        return convert();
    } catch (const Error& e) {
        job::throw_job_error(job, path, e.what());
    } catch (const json::exception& e) {
        std::string what = e.what();
        auto tag_end = what.find("] ");
        job::throw_job_error(job, path, tag_end == std::string::npos ? what : what.substr(tag_end + 2));
    }
}

// The delivery presets by their job-file names (delivery.hpp lists them).
constexpr std::pair<const char*, filters::Preset> preset_names[] = {
    {"web", filters::Preset::web},         {"hevc", filters::Preset::hevc},     {"webm-alpha", filters::Preset::webm_alpha},
    {"prores-alpha", filters::Preset::prores_alpha}, {"preview", filters::Preset::preview},
    {"poster", filters::Preset::poster},   {"hls", filters::Preset::hls},
};

filters::Preset preset_named(const job::JobSpec& job, const std::string& path, const std::string& name) {
    std::string known;
    for (const auto& [text, preset] : preset_names) {
        if (name == text) return preset;
        known += (known.empty() ? "" : ", ") + std::string(text);
    }
    job::throw_job_error(job, path, "unknown preset \"" + name + "\" (known: " + known + ")");
}

filters::DeliveryOptions delivery_options(const job::JobSpec& job) {
    const json& d = job.deliver;
    filters::DeliveryOptions o;
    o.directory = job.output;
    o.name = d.value("name", job.name);
    const json& presets = d.at("presets");
    for (std::size_t i = 0; i < presets.size(); ++i) {
        filters::Preset p = preset_named(job, "deliver.presets[" + std::to_string(i) + "]", presets[i].get<std::string>());
        if (std::find(o.presets.begin(), o.presets.end(), p) == o.presets.end()) o.presets.push_back(p);
    }
    if (d.contains("max_size"))
        o.max_size = at_path(job, "deliver.max_size", [&] { return filters::parse_size(d["max_size"].get<std::string>(), false); });
    o.preview_seconds = d.value("preview_seconds", o.preview_seconds);
    o.preview_width = d.value("preview_width", o.preview_width);
    o.preview_fps = d.value("preview_fps", o.preview_fps);
    if (d.contains("hls_heights")) o.hls_heights = d["hls_heights"].get<std::vector<int>>();
    o.hls_segment_seconds = d.value("hls_segment_seconds", o.hls_segment_seconds);
    return o;
}

std::string text(const json& c, const char* key) { return c.at(key).get<std::string>(); }

}  // namespace

filters::ComposeParams compose_params_for(const job::JobSpec& job, const fs::path& avatar, const fs::path& mask,
                                          bool progress) {
    const json& c = job.composite;
    filters::ComposeParams p;
    p.video = avatar.string();
    p.mask = mask.string();
    p.progress = progress;
    p.output = job.composite_file.empty() ? std::string() : (job.output / job.composite_file).string();
    if (c.contains("background")) p.background = text(c, "background");
    if (c.contains("layers") || c.contains("elements"))
        job::throw_job_error(job, c.contains("layers") ? "composite.layers" : "composite.elements",
                             "scenes of layers are not supported by this build yet (use background)");
    if (c.contains("canvas"))
        p.canvas = at_path(job, "composite.canvas", [&] { return filters::parse_size(text(c, "canvas"), false); });
    if (c.contains("size"))
        p.size = at_path(job, "composite.size", [&] { return filters::parse_size(text(c, "size"), true); });
    if (c.contains("position"))
        p.position = at_path(job, "composite.position", [&] { return filters::parse_point(text(c, "position")); });
    if (c.contains("fit")) p.fit = at_path(job, "composite.fit", [&] { return filters::parse_fit(text(c, "fit")); });
    if (c.contains("anchor"))
        p.anchor = at_path(job, "composite.anchor", [&] { return filters::parse_anchor(text(c, "anchor")); });
    if (c.contains("matte"))
        p.matte = at_path(job, "composite.matte", [&] { return c["matte"].get<filters::MatteParams>(); });
    if (c.contains("despill"))
        p.despill = at_path(job, "composite.despill", [&] { return filters::parse_hex_colour(text(c, "despill")); });
    if (c.contains("background_end"))
        p.background_end = at_path(job, "composite.background_end",
                                   [&] { return filters::parse_background_end(text(c, "background_end")); });
    if (c.contains("vcodec")) p.vcodec = text(c, "vcodec");
    if (c.contains("crf")) p.crf = c["crf"].get<int>();
    if (c.contains("preset")) p.preset = text(c, "preset");
    if (!job.deliver.is_null()) p.delivery = delivery_options(job);
    return p;
}

std::string preset_name(filters::Preset preset) {
    for (const auto& [text, p] : preset_names)
        if (p == preset) return text;
    return "unknown";
}

std::vector<fs::path> compose_input_files(const job::JobSpec& job) {
    std::vector<fs::path> files;
    const json& c = job.composite;
    if (c.contains("background")) {
        fs::path background = text(c, "background");
        if (background.is_absolute() && fs::is_regular_file(background)) files.push_back(background);
    }
    return files;
}

}  // namespace avpost::tool
