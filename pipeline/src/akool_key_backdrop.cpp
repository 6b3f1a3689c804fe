#include "avpost/pipeline/akool_key_backdrop.hpp"

#include <algorithm>
#include <cctype>

#include "avpost/core/colour_names.hpp"
#include "avpost/core/error.hpp"

namespace avpost::job {
namespace {

using nlohmann::json;

double number_or(const json& element, const char* key, double fallback) {
    auto it = element.find(key);
    return it != element.end() && it->is_number() ? it->get<double>() : fallback;
}

// An Akool colour url ("#RGB" or "#RRGGBB", any case) as "#RRGGBB"; nullopt when not a colour.
std::optional<std::string> akool_colour(const json& url) {
    if (!url.is_string()) return std::nullopt;
    std::string text = url.get<std::string>();
    if (text.size() == 4 && text[0] == '#') text = std::string("#") + text[1] + text[1] + text[2] + text[2] + text[3] + text[3];
    if (text.size() != 7 || text[0] != '#' ||
        !std::all_of(text.begin() + 1, text.end(), [](unsigned char c) { return std::isxdigit(c); }))
        return std::nullopt;
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

}  // namespace

std::optional<std::size_t> akool_backdrop_element(const json& request) {
    const json& elements = request.at("elements");
    const double canvas_w = number_or(request, "width", 0), canvas_h = number_or(request, "height", 0);
    std::optional<std::size_t> backdrop;
    for (std::size_t i = 0; i < elements.size(); ++i) {
        const json& e = elements[i];
        const std::string type = e.value("type", std::string());
        if (type == "avatar") break;  // only what lies below the avatar shows around it
        if (type != "image" || !e.contains("url")) continue;
        const bool colour = akool_colour(e["url"]).has_value();
        const bool sized = e.contains("width") && e.contains("height");
        if (!sized && !colour) continue;
        const double w = number_or(e, "width", canvas_w) * number_or(e, "scale_x", 1);
        const double h = number_or(e, "height", canvas_h) * number_or(e, "scale_y", 1);
        const double x = number_or(e, "offset_x", 0), y = number_or(e, "offset_y", 0);
        if (x <= 0 && y <= 0 && x + w >= canvas_w && y + h >= canvas_h) backdrop = i;
    }
    return backdrop;
}

std::string add_key_backdrop(json& request, const filters::KeyParams& key) {
    const std::optional<std::string> wanted =
        key.colour ? std::optional<std::string>(filters::key_colour_text(key)) : std::nullopt;
    if (auto index = akool_backdrop_element(request)) {
        const json& backdrop = request["elements"][*index];
        const std::optional<std::string> has = akool_colour(backdrop["url"]);
        if (wanted && has && *wanted != *has)
            throw_usage("the key colour " + *wanted + " is not the colour of the request's backdrop, source.akool.elements[" +
                        std::to_string(*index) + "] (" + *has + "): key that colour, or \"auto\"");
        return {};
    }
    const std::string colour = wanted.value_or(std::string(default_key_colour));
    json element = {{"type", "image"},
                    {"url", colour},
                    {"offset_x", 0},
                    {"offset_y", 0},
                    {"width", request.value("width", 0)},
                    {"height", request.value("height", 0)},
                    {"scale_x", 1},
                    {"scale_y", 1}};
    request["elements"].insert(request["elements"].begin(), element);
    return colour;
}

}  // namespace avpost::job
