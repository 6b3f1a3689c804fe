#include "avpost/pipeline/compose_files.hpp"

namespace avpost::pipeline {

std::vector<NamedFile> compose_inputs(const filters::ComposeParams& p) {
    std::vector<NamedFile> inputs;
    auto add = [&](std::string role, const std::string& path) {
        // Colours, URLs and "transparent" are not files; file_identity() finds nothing for them.
        if (!path.empty()) inputs.push_back({std::move(role), path});
    };
    add("avatar", p.video);
    add("mask", p.mask);
    add("background", p.background);
    add("intro", p.intro);
    add("outro", p.outro);
    if (p.music) add("music", p.music->source.string());
    for (std::size_t i = 0; i < p.layers.size(); ++i) add("layer " + std::to_string(i), p.layers[i].source);
    for (std::size_t i = 0; i < p.overlays.size(); ++i) add("overlay " + std::to_string(i), p.overlays[i].source);
    return inputs;
}

std::vector<NamedFile> compose_outputs(const filters::ComposeParams& p) {
    std::vector<NamedFile> outputs;
    if (!p.output.empty() && p.output != "null") outputs.push_back({"output", p.output});
    if (p.delivery)
        for (filters::Preset preset : p.delivery->presets)
            outputs.push_back({std::string(filters::to_string(preset)) + " output", filters::delivery_path(*p.delivery, preset),
                               preset == filters::Preset::hls});
    return outputs;
}

void refuse_overwriting_compose_inputs(const filters::ComposeParams& params) {
    refuse_overwriting_inputs(compose_inputs(params), compose_outputs(params));
}

}  // namespace avpost::pipeline
