#include "avpost/pipeline/job_compose.hpp"

#include <algorithm>
#include <optional>

#include "avpost/core/error.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/filters/captions.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/media/media_writer.hpp"
#include "avpost/pipeline/compose_files.hpp"
#include "avpost/pipeline/encoder_preset.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Turns the job's parts into compose parameters, either stopping at the first bad value (when
// running) or noting every one and going on (when checking).
class ParamsReader {
public:
    ParamsReader(const job::JobSpec& job, std::vector<std::string>* problems) : job_(job), problems_(problems) {}

    // Runs `convert`, an error of which names the job file and `path`.
    template <class F>
    auto at_path(const std::string& path, F&& convert) -> std::optional<decltype(convert())> {
        try {
            return convert();
        } catch (const Error& e) {
            problem(job_.file.string() + ": " + path + ": " + e.what());
        } catch (const json::exception& e) {
            std::string what = e.what();
            auto tag_end = what.find("] ");
            problem(job_.file.string() + ": " + path + ": " + (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
        }
        return std::nullopt;
    }

    // Runs `convert`, whose errors name a field inside `part` ("layers[1].offset: ..."): the job
    // file and the part go in front ("job.json: composite.layers[1].offset: ...").
    template <class F>
    auto within(const std::string& part, F&& convert) -> std::optional<decltype(convert())> {
        try {
            return convert();
        } catch (const Error& e) {
            problem(job_.file.string() + ": " + part + "." + e.what());
        }
        return std::nullopt;
    }

    void problem(std::string line) {
        if (!problems_) throw_usage(std::move(line));
        problems_->push_back(std::move(line));
    }

private:
    const job::JobSpec& job_;
    std::vector<std::string>* problems_;
};

std::string text(const json& c, const char* key) { return c.at(key).get<std::string>(); }

// The deliver part as filters' DeliveryOptions (which checks the values), into the output directory.
// DeliveryOptions stops at its first bad value, so each key is read on its own first (every bad
// one is reported), then the good ones together (for what keys say about each other).
std::optional<filters::DeliveryOptions> delivery_options(const job::JobSpec& job, ParamsReader& reader) {
    json d = job.deliver;
    d["directory"] = job.output.string();
    if (!d.contains("name")) d["name"] = job.name;
    for (const auto& [key, value] : job.deliver.items()) {
        if (key == "name" || key == "burn_captions") continue;  // the name is in each; burn_captions needs captions
        json one = {{"directory", d["directory"]}, {"name", d["name"]}, {key, value}};
        if (!reader.within("deliver", [&] { return one.get<filters::DeliveryOptions>(); })) d.erase(key);
    }
    return reader.within("deliver", [&] { return d.get<filters::DeliveryOptions>(); });
}

filters::ComposeParams read_params(const job::JobSpec& job, const fs::path& avatar, const fs::path& mask, bool progress,
                                   std::vector<std::string>* problems) {
    ParamsReader r(job, problems);
    const json& c = job.composite;
    filters::ComposeParams p;
    p.video = avatar.string();
    p.mask = mask.string();
    p.progress = progress;
    p.progress_label = job.name + " compose";
    p.output = job.composite_file.empty() ? std::string() : (job.output / job.composite_file).string();
    auto set = [](auto& field, auto&& value) {
        if (value) field = std::move(*value);
    };
    if (c.contains("background")) p.background = text(c, "background");
    if (c.contains("layers")) set(p.layers, r.within("composite", [&] { return filters::layers_from_json(c["layers"]); }));
    if (c.contains("elements")) {
        set(p.layers, r.within("composite", [&] { return filters::layers_from_akool_elements(c["elements"]); }));
        p.canvas = filters::Size{3840, 2160};  // Akool's canvas, unless the job gives one
    }
    if (c.contains("canvas"))
        set(p.canvas, r.at_path("composite.canvas", [&] { return filters::parse_size(text(c, "canvas"), false); }));
    if (c.contains("size")) set(p.size, r.at_path("composite.size", [&] { return filters::parse_size(text(c, "size"), true); }));
    if (c.contains("position"))
        set(p.position, r.at_path("composite.position", [&] { return filters::parse_point(text(c, "position")); }));
    if (c.contains("fit")) set(p.fit, r.at_path("composite.fit", [&] { return filters::parse_fit(text(c, "fit")); }));
    if (c.contains("anchor"))
        set(p.anchor, r.at_path("composite.anchor", [&] { return filters::parse_anchor(text(c, "anchor")); }));
    if (c.contains("fit_to"))
        set(p.fit_to, r.at_path("composite.fit_to", [&] { return filters::parse_fit_to(text(c, "fit_to")); }));
    if (c.contains("matte"))
        set(p.matte, r.at_path("composite.matte", [&] { return c["matte"].get<filters::MatteParams>(); }));
    if (c.contains("despill"))
        set(p.despill, r.at_path("composite.despill", [&] { return filters::parse_colour(text(c, "despill")); }));
    if (c.contains("background_end"))
        set(p.background_end, r.at_path("composite.background_end",
                                        [&] { return filters::parse_background_end(text(c, "background_end")); }));
    if (c.contains("vcodec")) {
        p.vcodec = text(c, "vcodec");
        r.at_path("composite.vcodec", [&] {
            if (!media::video_encoder_exists(p.vcodec))
                throw_usage("unknown video encoder '" + p.vcodec + "' (see `ffmpeg -encoders`)");
            return true;
        });
    }
    if (c.contains("crf")) {
        p.crf = c["crf"].get<int>();
        r.at_path("composite.crf", [&] {
            if (*p.crf < 0 || *p.crf > 63) throw_usage("must be from 0 to 63");
            return true;
        });
    }
    for (const char* key : {"encoder_preset", "preset"})
        if (c.contains(key)) {
            p.preset = text(c, key);
            try {
                check_encoder_preset(p.preset, p.vcodec, std::string("composite.") + key, "list it in deliver.presets",
                                     "composite.encoder_preset");
            } catch (const Error& e) {
                r.problem(job.file.string() + ": " + e.what());
            }
        }
    if (c.contains("allow_mask_mismatch")) p.allow_mask_mismatch = c["allow_mask_mismatch"].get<bool>();
    if (c.contains("allow_short")) p.allow_short = c["allow_short"].get<bool>();
    if (c.contains("key")) {
        // The colour may be written as people write colours, like background and despill (parse_key).
        set(p.key, r.at_path("composite.key", [&] { return c["key"].get<filters::KeyParams>(); }));
        p.mask.clear();  // the key replaces the matte
    }
    if (c.contains("key_matte_output")) p.key_matte_output = (job.output / text(c, "key_matte_output")).string();
    if (!job.deliver.is_null()) set(p.delivery, delivery_options(job, r));
    if (c.empty()) {
        // No composite: the deliveries are the render as it is (as `avpost transcode` makes them);
        // its matte is read only for the alpha presets.
        p.output.clear();
        if (!p.delivery || std::none_of(p.delivery->presets.begin(), p.delivery->presets.end(), filters::preset_has_alpha))
            p.mask.clear();
    }
    return p;
}

bool is_local_file_reference(const std::string& text) {
    return !text.empty() && text != "transparent" && text.find("://") == std::string::npos && !text.starts_with('#');
}

}  // namespace

filters::ComposeParams compose_params_for(const job::JobSpec& job, const fs::path& avatar, const fs::path& mask,
                                          bool progress) {
    return read_params(job, avatar, mask, progress, nullptr);
}

fs::path fetched_avatar_path(const job::JobSpec& job) { return job.output / (job.name + "-avatar.mp4"); }
fs::path fetched_mask_path(const job::JobSpec& job) { return job.output / (job.name + "-mask.mp4"); }

bool job_uses_matte(const job::JobSpec& job) {
    if (!job.composite.empty()) return !job.composite.contains("key");
    if (job.deliver.is_null() || !job.deliver.contains("presets")) return false;
    for (const json& preset : job.deliver["presets"]) {
        try {
            if (preset.is_string() && filters::preset_has_alpha(filters::parse_preset(preset.get<std::string>())))
                return true;
        } catch (const Error&) {
            // an unknown preset is reported by the value check
        }
    }
    return false;
}

std::vector<std::string> job_value_problems(const job::JobSpec& job, const ReadParts& parts) {
    std::vector<std::string> problems;
    const auto* local = parts.source ? std::get_if<job::LocalSource>(&job.source) : nullptr;
    if (local && parts.files)
        for (const auto& [field, path] : {std::pair{"video", local->video}, {"mask", local->mask}}) {
            std::error_code ignored;
            if (!path.empty() && !fs::is_regular_file(path, ignored))
                problems.push_back(job.file.string() + ": source.local." + field + ": no such file '" + path.string() + "'");
        }
    if (job.composite.empty() && job.deliver.is_null()) return problems;
    // Alpha presets of the render as it is need its matte; a composite's key would give one.
    if (parts.source && parts.composite && job.composite.empty() && job_uses_matte(job) &&
        !job::source_has_matte(job.source)) {
        const json& presets = job.deliver["presets"];
        for (std::size_t i = 0; i < presets.size(); ++i) {
            std::string name = presets[i].is_string() ? presets[i].get<std::string>() : std::string();
            if (name != "webm-alpha" && name != "prores-alpha") continue;
            problems.push_back(job.file.string() + ": deliver.presets[" + std::to_string(i) + "]: " + name +
                               " needs the render's matte, and " +
                               (local ? "source.local has no mask" : "an Akool render comes without one") +
                               ": key it in a composite (composite.key), or leave " + name + " out");
        }
    }
    const fs::path avatar = local ? local->video : fetched_avatar_path(job);
    const fs::path mask = local ? local->mask : fetched_mask_path(job);
    filters::ComposeParams params = read_params(job, avatar, mask, false, &problems);
    if (!parts.files) return problems;
    ParamsReader r(job, &problems);
    // A caption file is read whole now, so a bad line fails the check, not the render.
    if (params.delivery && !params.delivery->captions.empty())
        r.at_path("deliver.captions", [&] { return filters::read_captions(params.delivery->captions).cues.size(); });

    // Local files must be there before anything is paid for.
    const json& c = job.composite;
    if (c.contains("background") && is_local_file_reference(params.background) && !fs::exists(params.background))
        r.problem(job.file.string() + ": composite.background: no such file '" + params.background + "'");
    for (const char* list : {"layers", "elements"}) {
        if (!c.contains(list)) continue;
        for (std::size_t i = 0; i < c[list].size(); ++i) {
            const json& layer = c[list][i];
            const char* field = std::string_view(list) == "layers" ? "source" : "url";
            if (!layer.contains(field) || !layer[field].is_string()) continue;
            const std::string source = layer[field].get<std::string>();
            if (is_local_file_reference(source) && !fs::exists(source))
                r.problem(job.file.string() + ": composite." + list + "[" + std::to_string(i) + "]." + field +
                          ": no such file '" + source + "'");
        }
    }

    // No output may replace an input: the fetched files and everything compose makes, against
    // the local source, the background and the layers.
    std::vector<NamedFile> outputs = compose_outputs(params);
    if (!local) {
        outputs.push_back({"fetched avatar", avatar});
        outputs.push_back({"fetched mask", mask});
    }
    std::vector<NamedFile> inputs = compose_inputs(params);
    if (!local)  // the fetched files are outputs here
        std::erase_if(inputs, [](const NamedFile& f) { return f.role == "avatar" || f.role == "mask"; });
    try {
        refuse_overwriting_inputs(inputs, outputs);
    } catch (const Error& e) {
        r.problem(job.file.string() + ": output: " + e.what());
    }
    return problems;
}

json compose_fingerprint_inputs(const job::JobSpec& job) {
    json composite = job.composite;
    // A local file is known by its content: where it lies and how its path was written do not
    // change the picture (colours and URLs stay as written).
    auto by_content = [](json& value) {
        if (!value.is_string()) return;
        const fs::path path = value.get<std::string>();
        std::error_code ignored;
        if (fs::is_regular_file(path, ignored)) value = "sha256:" + sha256_file(path).sha256;
    };
    if (composite.contains("background")) by_content(composite["background"]);
    for (const char* list : {"layers", "elements"})
        if (composite.contains(list) && composite[list].is_array())
            for (json& layer : composite[list])
                for (const char* field : {"source", "url"})
                    if (layer.is_object() && layer.contains(field)) by_content(layer[field]);
    return {{"composite", composite},
            {"composite_file", job.composite_file},
            {"deliver", job.deliver},
            {"output", fs::weakly_canonical(job.output).string()}};
}

}  // namespace avpost::pipeline
