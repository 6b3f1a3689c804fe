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
    layout.add_to(sub);
    matte.add_to(sub);
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

void ComposeLayoutOptions::apply_to(filters::ComposeParams& p) const {
    using namespace filters;
    if (!scene.empty()) {
        std::ifstream in(scene);
        if (!in) throw_input("scene '" + scene + "'", "cannot be read");
        nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded()) throw_input("scene '" + scene + "'", "is not valid JSON");
        if (auto deep = json_nested_too_deep(j))
            throw_usage("scene '" + scene + "': " + *deep + ": nested deeper than " + std::to_string(max_json_depth) +
                        " levels");
        try {
            Scene parsed = scene_from_json(j);
            p.layers = std::move(parsed.layers);
            p.canvas = parsed.canvas;
        } catch (const Error& e) {
            throw_usage("scene '" + scene + "': " + e.what());
        }
        // Relative layer sources are relative to the scene file.
        const std::filesystem::path base = std::filesystem::path(scene).parent_path();
        for (Layer& layer : p.layers)
            if (!layer.source.empty() && layer.source[0] != '#' && std::filesystem::path(layer.source).is_relative())
                layer.source = (base / layer.source).string();
    }
    layout.apply_to(p);
    matte.apply_to(p.matte);
}

}  // namespace avpost::tool
