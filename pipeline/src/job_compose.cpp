#include "avpost/pipeline/job_compose.hpp"

#include <algorithm>
#include <optional>

#include "avpost/core/error.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/filters/captions.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/media/media_writer.hpp"
#include "avpost/pipeline/compose_files.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_local_file_reference(const std::string& text) {
    return !text.empty() && text != "transparent" && text.find("://") == std::string::npos && !text.starts_with('#');
}

bool delivers_alpha(const job::JobSpec& job) {
    return job.deliver && std::any_of(job.deliver->presets.begin(), job.deliver->presets.end(), filters::preset_has_alpha);
}

}  // namespace

filters::ComposeParams compose_params_for(const job::JobSpec& job, const fs::path& avatar, const fs::path& mask,
                                          bool progress) {
    filters::ComposeParams p = job.composite.value_or(filters::ComposeParams{});
    p.video = avatar.string();
    p.mask = mask.string();
    p.progress = progress;
    p.progress_label = job.name + " compose";
    p.delivery = job.deliver;
    if (!job.composite) {
        // No composite: the deliveries are the render as it is (as `avpost transcode` makes them);
        // its matte is read only for the alpha presets.
        if (!delivers_alpha(job)) p.mask.clear();
        return p;
    }
    if (!job.composite_file.empty()) p.output = (job.output / job.composite_file).string();
    if (!p.key_matte_output.empty()) p.key_matte_output = (job.output / p.key_matte_output).string();
    if (p.key) p.mask.clear();  // the key replaces the matte
    return p;
}

fs::path fetched_avatar_path(const job::JobSpec& job) { return job.output / (job.name + "-avatar.mp4"); }
fs::path fetched_mask_path(const job::JobSpec& job) { return job.output / (job.name + "-mask.mp4"); }

bool job_uses_matte(const job::JobSpec& job) {
    if (job.composite) return !job.composite->key;
    return delivers_alpha(job);
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
    if (!job.composite && !job.deliver) return problems;
    // Alpha presets of the render as it is need its matte; a composite's key would give one.
    if (parts.source && parts.composite && !job.composite && job_uses_matte(job) && !job::source_has_matte(job.source)) {
        const auto& presets = job.deliver->presets;
        for (std::size_t i = 0; i < presets.size(); ++i) {
            if (!filters::preset_has_alpha(presets[i])) continue;
            const std::string name(filters::to_string(presets[i]));
            problems.push_back(job.file.string() + ": deliver.presets[" + std::to_string(i) + "]: " + name +
                               " needs the render's matte, and " +
                               (local ? "source.local has no mask" : "an Akool render comes without one") +
                               ": key it in a composite (composite.key), or leave " + name + " out");
        }
    }
    const fs::path avatar = local ? local->video : fetched_avatar_path(job);
    const fs::path mask = local ? local->mask : fetched_mask_path(job);
    const filters::ComposeParams params = compose_params_for(job, avatar, mask, false);
    if (!parts.files) return problems;
    auto problem = [&](const std::string& path, const std::string& why) {
        problems.push_back(job.file.string() + ": " + path + ": " + why);
    };
    // A caption file is read whole now, so a bad line fails the check, not the render.
    if (params.delivery && !params.delivery->captions.empty()) {
        try {
            filters::read_captions(params.delivery->captions);
        } catch (const Error& e) {
            problem("deliver.captions", e.what());
        }
    }

    // Local files must be there before anything is paid for.
    if (is_local_file_reference(params.background) && !fs::exists(params.background))
        problem("composite.background", "no such file '" + params.background + "'");
    for (const auto& [field, clip] : {std::pair{"composite.intro", &params.intro}, {"composite.outro", &params.outro}})
        if (!clip->empty() && !fs::exists(*clip)) problem(field, "no such file '" + *clip + "'");
    if (params.music && !fs::exists(params.music->source))
        problem("composite.music.source", "no such file '" + params.music->source.string() + "'");
    for (const auto& [list, layers] : {std::pair{"layers", &params.layers}, {"overlays", &params.overlays}})
        for (std::size_t i = 0; i < layers->size(); ++i) {
            const filters::Layer& layer = (*layers)[i];
            const std::string path = std::string("composite.") + list + "[" + std::to_string(i) + "]";
            if (layer.text) {
                // Its font and every character it needs, before a render is paid for.
                try {
                    filters::check_text(*layer.text, "text");
                } catch (const Error& e) {
                    problem(path, std::string(e.what()).substr(6));
                }
                continue;
            }
            if (layer.type != filters::LayerType::colour && is_local_file_reference(layer.source) && !fs::exists(layer.source))
                problem(path + ".source", "no such file '" + layer.source + "'");
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
        problem("output", e.what());
    }
    return problems;
}

json compose_fingerprint_inputs(const job::JobSpec& job) {
    // A local file is known by its content: where it lies and how its path was written do not
    // change the picture (colours and URLs stay as written).
    auto by_content = [](const std::string& value) -> json {
        const fs::path path = value;
        std::error_code ignored;
        if (!value.empty() && fs::is_regular_file(path, ignored)) return "sha256:" + sha256_file(path).sha256;
        return value;
    };
    json composite = nullptr;
    if (job.composite) {
        composite = job::composite_document(*job.composite, job.composite_file);
        for (const char* file : {"background", "intro", "outro"})
            if (composite.contains(file)) composite[file] = by_content(composite[file].get<std::string>());
        if (composite.contains("music")) composite["music"]["source"] = by_content(composite["music"]["source"].get<std::string>());
        for (const char* list : {"layers", "overlays"})
            if (composite.contains(list))
                for (json& layer : composite[list])
                    if (layer.contains("source")) layer["source"] = by_content(layer["source"].get<std::string>());
    }
    json deliver = nullptr;
    if (job.deliver) {
        deliver = filters::write_options(filters::delivery_options(), *job.deliver);
        if (!job.deliver->captions.empty()) deliver["captions"] = by_content(job.deliver->captions.string());
    }
    return {{"composite", composite},
            {"composite_file", job.composite_file},
            {"deliver", deliver},
            {"output", fs::weakly_canonical(job.output).string()}};
}

}  // namespace avpost::pipeline
