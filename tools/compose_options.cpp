#include "compose_options.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "avpost/core/colour_names.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"
#include "avpost/core/json_depth.hpp"

namespace avpost::tool {

void ComposeLayoutOptions::add_to(CLI::App& sub) {
    sub.add_option("--scene", scene,
                   "Instead of --background: a JSON scene of layers, an Akool talking-avatar request "
                   "(width, height, elements) or {\"canvas\": \"WxH\", \"layers\": [...]}");
    sub.add_option("--overlays", overlays,
                   "A JSON file of layers drawn over the composite (text, images, colours; timed with start, end, "
                   "fade_in, fade_out), an array or {\"layers\": [...]}");
    layout.add_to(sub);
    matte.add_to(sub);
    music.add_to(sub);
}

std::string background_value(const std::string& value, const std::string& option) {
    const std::string quoting = "an unquoted '#' starts a shell comment, so write " + option + " '#ffffff'";
    if (value.empty())
        throw_usage(option + " is empty: give an image, a video, a colour or transparent (" + quoting + ")");
    std::error_code ignored;
    if (value == "transparent" || value.find("://") != std::string::npos || std::filesystem::exists(value, ignored))
        return value;
    if (auto colour = normalise_colour(value)) return *colour;
    if (looks_like_colour_attempt(value)) {
        auto name = closest_colour_name(value);
        throw_usage(option + " '" + value + "' is neither a file nor a colour" + (name ? " (did you mean " + *name + "?)" : "") +
                    ": a colour is #RRGGBB, 0xRRGGBB, RRGGBB or a CSS name like white; " + quoting);
    }
    return value;  // a missing file: opening it says so (exit 3)
}

namespace {

// Relative image and video sources are relative to the JSON file that names them.
void resolve_sources(std::vector<filters::Layer>& layers, const std::filesystem::path& file) {
    const std::filesystem::path base = file.parent_path();
    for (filters::Layer& layer : layers)
        if (!layer.source.empty() && layer.source[0] != '#' && layer.source.find("://") == std::string::npos &&
            std::filesystem::path(layer.source).is_relative())
            layer.source = (base / layer.source).string();
}

nlohmann::json read_json_file(const std::string& file, const std::string& what) {
    std::ifstream in(file);
    if (!in) throw_input(what + " '" + file + "'", "cannot be read");
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) throw_input(what + " '" + file + "'", "is not valid JSON");
    if (auto deep = json_nested_too_deep(j))
        throw_usage(what + " '" + file + "': " + *deep + ": nested deeper than " + std::to_string(max_json_depth) + " levels");
    return j;
}

std::vector<filters::Layer> read_overlays(const std::string& file) {
    const nlohmann::json j = read_json_file(file, "overlays");
    std::vector<filters::Layer> layers;
    try {
        layers = filters::layers_from_json(j.is_object() && j.contains("layers") ? j["layers"] : j);
    } catch (const Error& e) {
        throw_usage("overlays '" + file + "': " + e.what());
    }
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].type == filters::LayerType::avatar)
            throw_usage("overlays '" + file + "': layers[" + std::to_string(i) + "]: the avatar is not an overlay");
    resolve_sources(layers, file);
    return layers;
}

}  // namespace

void ComposeLayoutOptions::apply_to(filters::ComposeParams& p) const {
    using namespace filters;
    if (!scene.empty()) {
        const nlohmann::json j = read_json_file(scene, "scene");
        try {
            Scene parsed = scene_from_json(j);
            p.layers = std::move(parsed.layers);
            p.canvas = parsed.canvas;
        } catch (const Error& e) {
            throw_usage("scene '" + scene + "': " + e.what());
        }
        resolve_sources(p.layers, scene);
    }
    if (!overlays.empty()) p.overlays = read_overlays(overlays);
    layout.apply_to(p);
    matte.apply_to(p.matte);
    if (music.any_given()) {
        if (!music.given("source")) throw_usage("--music-level, --music-duck and the other music options need --music FILE");
        filters::MusicParams m;
        music.apply_to(m);
        p.music = std::move(m);
    }
}

}  // namespace avpost::tool
