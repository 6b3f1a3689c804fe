#include "job_compose.hpp"

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/layers.hpp"

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

// Runs `convert`, whose errors name a field inside `part` ("layers[1].offset: ..."): the job
// file and the part go in front ("job.json: composite.layers[1].offset: ...").
template <class F>
auto within(const job::JobSpec& job, const std::string& part, F&& convert) {
    try {
        return convert();
    } catch (const Error& e) {
        throw_usage(job.file.string() + ": " + part + "." + e.what());
    }
}

// The deliver part as filters' DeliveryOptions (which checks the values), into the output directory.
filters::DeliveryOptions delivery_options(const job::JobSpec& job) {
    json d = job.deliver;
    d["directory"] = job.output.string();
    if (!d.contains("name")) d["name"] = job.name;
    return within(job, "deliver", [&] { return d.get<filters::DeliveryOptions>(); });
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
    if (c.contains("layers")) p.layers = within(job, "composite", [&] { return filters::layers_from_json(c["layers"]); });
    if (c.contains("elements")) {
        p.layers = within(job, "composite", [&] { return filters::layers_from_akool_elements(c["elements"]); });
        p.canvas = filters::Size{3840, 2160};  // Akool's canvas, unless the job gives one
    }
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
    if (c.contains("allow_short")) p.allow_short = c["allow_short"].get<bool>();
    if (!job.deliver.is_null()) p.delivery = delivery_options(job);
    return p;
}

std::vector<fs::path> compose_input_files(const job::JobSpec& job) {
    std::vector<fs::path> files;
    auto add = [&](const json& value) {
        if (!value.is_string()) return;
        fs::path path = value.get<std::string>();
        std::error_code ignored;
        if (fs::is_regular_file(path, ignored)) files.push_back(path);  // not a colour
    };
    const json& c = job.composite;
    if (c.contains("background")) add(c["background"]);
    for (const char* list : {"layers", "elements"})
        if (c.contains(list) && c[list].is_array())
            for (const json& layer : c[list]) {
                if (layer.contains("source")) add(layer["source"]);
                if (layer.contains("url")) add(layer["url"]);
            }
    return files;
}

}  // namespace avpost::tool
