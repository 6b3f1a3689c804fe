#include "avpost/filters/layers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {
namespace {

using nlohmann::json;

// Bounds that keep every later int computation (offset + size, size * scale) far from overflow.
constexpr double max_offset = 1 << 20;
constexpr double max_dimension = max_picture_side;

[[noreturn]] void fail(const std::string& where, const std::string& field, const std::string& problem) {
    throw_usage(where + "." + field + ": " + problem);
}

bool present(const json& object, const char* field) { return object.contains(field) && !object[field].is_null(); }

double number(const json& value, const std::string& where, const std::string& field) {
    if (!value.is_number()) fail(where, field, "must be a number");
    double v = value.get<double>();
    if (!std::isfinite(v)) fail(where, field, "must be a finite number");
    return v;
}

int offset_value(const json& value, const std::string& where, const std::string& field) {
    double v = number(value, where, field);
    if (std::abs(v) > max_offset) fail(where, field, "is out of range (at most 1048576 pixels either way)");
    return int(std::lround(v));
}

int dimension_value(const json& value, const std::string& where, const std::string& field) {
    double v = number(value, where, field);
    if (v <= 0) fail(where, field, "must be greater than 0");
    if (v > max_dimension) fail(where, field, "is too large (at most 16384 pixels)");
    return std::max(1, int(std::lround(v)));
}

double scale_value(const json& value, const std::string& where, const std::string& field) {
    double v = number(value, where, field);
    if (v <= 0) fail(where, field, "must be greater than 0");
    return v;
}

std::string string_value(const json& value, const std::string& where, const std::string& field) {
    if (!value.is_string()) fail(where, field, "must be a string");
    return value.get<std::string>();
}

// Image/video/colour sources must be given; a colour must be one.
void check_source(Layer& layer, const std::string& where, const std::string& field) {
    if (layer.type == LayerType::avatar || layer.type == LayerType::text) return;
    if (layer.source.empty()) fail(where, field, "is required for " + to_string(layer.type) + " layers");
    if (layer.type == LayerType::colour && !looks_like_hex_colour(layer.source))
        fail(where, field, "'" + layer.source + "' is not a colour (expected #RRGGBB)");
}

// A two-element array of numbers.
std::pair<const json*, const json*> pair_of(const json& j, const std::string& where, const std::string& field,
                                             const std::string& shape) {
    const json& value = j[field];
    if (!value.is_array() || value.size() != 2) fail(where, field, "must be " + shape);
    return {&value[0], &value[1]};
}

double seconds_value(const json& value, const std::string& where, const std::string& field) {
    double v = number(value, where, field);
    if (v < 0) fail(where, field, "must not be negative");
    if (v > 24 * 3600) fail(where, field, "is too large (at most 86400 seconds)");
    return v;
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", seconds);
    return text;
}

void read_timing(const json& j, const std::string& where, Layer& layer) {
    const bool timed = present(j, "start") || present(j, "end") || present(j, "fade_in") || present(j, "fade_out");
    if (timed && layer.type == LayerType::avatar)
        fail(where, present(j, "start") ? "start" : present(j, "end") ? "end" : present(j, "fade_in") ? "fade_in" : "fade_out",
             "the avatar layer lasts the whole programme (time the other layers)");
    if (present(j, "start")) layer.start = seconds_value(j["start"], where, "start");
    if (present(j, "end")) {
        layer.end = seconds_value(j["end"], where, "end");
        if (*layer.end <= layer.start)
            fail(where, "end", "must be after start (" + seconds_text(layer.start) + "), not " + seconds_text(*layer.end));
    }
    if (present(j, "fade_in")) layer.fade_in = seconds_value(j["fade_in"], where, "fade_in");
    if (present(j, "fade_out")) layer.fade_out = seconds_value(j["fade_out"], where, "fade_out");
    if (layer.end && layer.fade_in + layer.fade_out > *layer.end - layer.start + 1e-9)
        fail(where, layer.fade_out > 0 ? "fade_out" : "fade_in",
             "fade_in + fade_out (" + seconds_text(layer.fade_in + layer.fade_out) + ") are longer than the layer's span (" +
                 seconds_text(*layer.end - layer.start) + ")");
}

// `anchor` (instead of an offset or position) and `avoid`, for text, image and video layers;
// `default_anchor` is the style's (a lower third's) when no position is given.
void read_anchor(const json& j, const std::string& where, Layer& layer, std::optional<Anchor> default_anchor) {
    const bool positioned = present(j, "position") || present(j, "offset");
    if (present(j, "anchor")) {
        if (positioned) fail(where, "anchor", "give an anchor or a position, not both");
        try {
            layer.anchor = parse_anchor(string_value(j["anchor"], where, "anchor"));
        } catch (const Error& e) {
            fail(where, "anchor", e.what());
        }
    } else if (!positioned) {
        layer.anchor = default_anchor;
    }
    if (present(j, "avoid")) {
        const std::string avoid = string_value(j["avoid"], where, "avoid");
        if (avoid != "avatar" && avoid != "avatar!") fail(where, "avoid", "must be \"avatar\" or \"avatar!\", not '" + avoid + "'");
        if (!layer.anchor) fail(where, "avoid", "places the layer along its anchor's side: give an anchor");
        layer.avoid_avatar = true;
        layer.avoid_required = avoid == "avatar!";
    }
}

bool is_lower_third(const json& j) { return present(j, "style") && j["style"] == "lower-third"; }

// A text layer's own keys: the text and how it looks.
TextStyle read_text_style(const json& j, const std::string& where) {
    TextStyle style;
    // "lower-third": the speaker's name and title on a box at the bottom left of the safe area
    // (what the other keys do not say otherwise).
    const bool lower_third = present(j, "style") && string_value(j["style"], where, "style") == "lower-third";
    if (present(j, "style") && !lower_third) fail(where, "style", "unknown style (lower-third)");
    if (lower_third) {
        style.box = Rgba8{Rgb8{0, 0, 0}, 0xB0};
        style.padding = style.size / 2;
        if (present(j, "text")) fail(where, "text", "a lower third takes name and title instead");
        if (!present(j, "name")) fail(where, "name", "is required for a lower third");
        style.text = string_value(j["name"], where, "name");
        if (present(j, "title")) style.text += "\n" + string_value(j["title"], where, "title");
    } else {
        for (const char* field : {"name", "title"})
            if (present(j, field)) fail(where, field, "is for \"style\": \"lower-third\" (give text)");
        if (!present(j, "text")) fail(where, "text", "is required for text layers");
        style.text = string_value(j["text"], where, "text");
    }
    if (style.text.empty()) fail(where, "text", "must not be empty");
    if (present(j, "font")) style.font = string_value(j["font"], where, "font");
    if (present(j, "size")) {
        const double size = number(j["size"], where, "size");
        if (size < 4 || size > 2000) fail(where, "size", "must be from 4 to 2000 pixels");
        style.size = int(std::lround(size));
    }
    auto attempt = [&](const char* field, auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            fail(where, field, e.what());
        }
    };
    if (present(j, "colour") || present(j, "color")) {
        const char* field = present(j, "colour") ? "colour" : "color";
        attempt(field, [&] { style.colour = parse_colour(string_value(j[field], where, field)); });
    }
    if (present(j, "box")) {
        const std::string box = string_value(j["box"], where, "box");
        if (box == "none") style.box.reset();
        else attempt("box", [&] { style.box = parse_rgba(box); });
    }
    if (present(j, "padding")) {
        const double padding = number(j["padding"], where, "padding");
        if (padding < 0 || padding > 1000) fail(where, "padding", "must be from 0 to 1000 pixels");
        style.padding = int(std::lround(padding));
    }
    if (present(j, "max_width")) style.max_width = dimension_value(j["max_width"], where, "max_width");
    if (present(j, "align")) attempt("align", [&] { style.align = parse_text_align(string_value(j["align"], where, "align")); });
    if (lower_third && present(j, "size") && !present(j, "padding")) style.padding = style.size / 2;
    return style;
}

Layer parse_layer(const json& j, const std::string& where) {
    if (!j.is_object()) throw_usage(where + ": must be an object");
    if (present(j, "type") && j["type"] == "text") {
        static const std::vector<std::string_view> text_keys{"type",   "text",    "font",      "size",  "colour",
                                                             "color",  "box",     "padding",   "max_width", "align",
                                                             "anchor", "position", "offset",   "start", "end",
                                                             "fade_in", "fade_out", "style",   "name",  "title",
                                                             "avoid"};
        for (const auto& [key, value] : j.items())
            if (std::find(text_keys.begin(), text_keys.end(), key) == text_keys.end())
                fail(where, key, "unknown key for a text layer (text, font, size, colour, box, padding, max_width, align, "
                                 "anchor or position, start, end, fade_in, fade_out; style lower-third with name, title)");
        Layer layer;
        layer.type = LayerType::text;
        layer.text = read_text_style(j, where);
        read_anchor(j, where, layer, is_lower_third(j) ? std::optional(Anchor::bottom_left) : std::nullopt);
        for (const char* field : {"position", "offset"})
            if (present(j, field)) {
                auto [x, y] = pair_of(j, where, field, "[x, y]");
                layer.offset = {offset_value(*x, where, field), offset_value(*y, where, field)};
            }
        read_timing(j, where, layer);
        return layer;
    }
    for (const auto& [key, value] : j.items()) {
        static const std::vector<std::string_view> known{"type",  "source", "offset",  "size",     "scale", "anchor",
                                                         "avoid", "start",  "end",     "fade_in", "fade_out"};
        if (std::find(known.begin(), known.end(), key) == known.end())
            fail(where, key, "unknown key (type, source, offset or anchor, avoid, size, scale, start, end, fade_in, fade_out)");
    }
    Layer layer;
    if (!present(j, "type")) fail(where, "type", "is required");
    layer.type = parse_layer_type(string_value(j["type"], where, "type"), where + ".type");
    if (present(j, "source")) layer.source = string_value(j["source"], where, "source");
    check_source(layer, where, "source");
    if (present(j, "offset")) {
        auto [x, y] = pair_of(j, where, "offset", "[x, y]");
        layer.offset = {offset_value(*x, where, "offset"), offset_value(*y, where, "offset")};
    }
    if (present(j, "size")) {
        auto [w, h] = pair_of(j, where, "size", "[width, height]");
        layer.size = Size{dimension_value(*w, where, "size"), dimension_value(*h, where, "size")};
    }
    if (present(j, "scale")) {
        auto [sx, sy] = pair_of(j, where, "scale", "[scale_x, scale_y]");
        layer.scale_x = scale_value(*sx, where, "scale");
        layer.scale_y = scale_value(*sy, where, "scale");
    }
    if (present(j, "anchor") || present(j, "avoid")) {
        if (layer.type != LayerType::image && layer.type != LayerType::video)
            fail(where, present(j, "anchor") ? "anchor" : "avoid", "is for image, video and text layers");
        read_anchor(j, where, layer, std::nullopt);
    }
    read_timing(j, where, layer);
    return layer;
}

}  // namespace

std::string to_string(LayerType type) {
    switch (type) {
        case LayerType::image: return "image";
        case LayerType::video: return "video";
        case LayerType::colour: return "colour";
        case LayerType::avatar: return "avatar";
        case LayerType::text: return "text";
    }
    return "image";
}

LayerType parse_layer_type(const std::string& text, const std::string& where) {
    if (text == "image") return LayerType::image;
    if (text == "video") return LayerType::video;
    if (text == "colour" || text == "color") return LayerType::colour;
    if (text == "avatar") return LayerType::avatar;
    if (text == "text") return LayerType::text;
    throw_usage(where + ": unknown layer type '" + text + "' (image, video, colour, text or avatar)");
}

double layer_opacity(const Layer& layer, double t, double programme_end) {
    const double end = layer.end.value_or(programme_end);
    if (t < layer.start || t >= end) return 0.0;
    double opacity = 1.0;
    if (layer.fade_in > 0) opacity = std::min(opacity, (t - layer.start) / layer.fade_in);
    if (layer.fade_out > 0) opacity = std::min(opacity, (end - t) / layer.fade_out);
    return std::clamp(opacity, 0.0, 1.0);
}

void check_layer_timing(const Layer& layer, AvatarPart part, const std::string& where) {
    if (part.end <= 0) return;
    const std::string programme_end = part.whole_programme ? "when the programme has ended (" + seconds_text(part.end) + ")"
                                                           : "after the avatar's part of the programme (" +
                                                                 seconds_text(part.start) + " to " + seconds_text(part.end) +
                                                                 "), the only part layers are drawn over";
    if (layer.start >= part.end) throw_usage(where + ": starts at " + seconds_text(layer.start) + ", " + programme_end);
    if (layer.end && *layer.end <= part.start)
        throw_usage(where + ": ends at " + seconds_text(*layer.end) + ", before the avatar's part of the programme (" +
                    seconds_text(part.start) + " to " + seconds_text(part.end) + "), the only part layers are drawn over");
    const double end = std::min(layer.end.value_or(part.end), part.end);
    if (!layer.end && layer.fade_in + layer.fade_out > end - layer.start + 1e-9)
        throw_usage(where + ": fade_in + fade_out (" + seconds_text(layer.fade_in + layer.fade_out) +
                    ") are longer than the layer's span (" + seconds_text(end - layer.start) + " to the " +
                    (part.whole_programme ? "programme's end" : "avatar's end") + ")");
}

std::vector<Layer> on_avatar_clock(std::vector<Layer> layers, double avatar_start) {
    if (avatar_start == 0) return layers;
    for (Layer& layer : layers) {
        if (!layer.timed()) continue;  // the whole avatar's part, on any clock
        layer.start -= avatar_start;   // may fall before the avatar's first frame: fades stay in step
        if (layer.end) *layer.end -= avatar_start;
    }
    return layers;
}

Size scaled_size(Size size, double scale_x, double scale_y) {
    return {std::max(1, int(std::lround(size.width * scale_x))), std::max(1, int(std::lround(size.height * scale_y)))};
}

std::size_t avatar_layer_index(const std::vector<Layer>& layers) {
    auto is_avatar = [](const Layer& l) { return l.type == LayerType::avatar; };
    auto count = std::count_if(layers.begin(), layers.end(), is_avatar);
    if (count != 1)
        throw_usage("layers: exactly one avatar layer is needed (found " + std::to_string(count) + ")");
    return std::size_t(std::find_if(layers.begin(), layers.end(), is_avatar) - layers.begin());
}

std::vector<Layer> layers_from_akool_elements(const json& elements) {
    if (!elements.is_array()) throw_usage("elements: must be an array");
    std::vector<Layer> layers;
    int avatars = 0;
    for (std::size_t i = 0; i < elements.size(); ++i) {
        const json& e = elements[i];
        const std::string where = "elements[" + std::to_string(i) + "]";
        if (!e.is_object()) throw_usage(where + ": must be an object");
        if (!present(e, "type")) fail(where, "type", "is required");
        const std::string type = string_value(e["type"], where, "type");
        if (type == "audio") continue;  // the audio comes from the avatar render
        if (type != "image" && type != "video" && type != "colour" && type != "color" && type != "avatar")
            fail(where, "type", "unknown element type '" + type + "' (avatar, image, video, colour or audio)");

        Layer layer;
        layer.type = parse_layer_type(type, where + ".type");
        if (layer.type != LayerType::avatar) {  // the avatar's url is the render we composite anyway
            if (!present(e, "url")) fail(where, "url", "is required for " + type + " elements");
            layer.source = string_value(e["url"], where, "url");
            // Akool: "When type is equal to image, url can be either a link or a Hexadecimal Color Code".
            if (layer.type == LayerType::image && looks_like_hex_colour(layer.source)) layer.type = LayerType::colour;
            check_source(layer, where, "url");
        } else {
            ++avatars;
        }
        // Akool requires the offsets for image and avatar elements; a missing one is taken as 0.
        if (present(e, "offset_x")) layer.offset.x = offset_value(e["offset_x"], where, "offset_x");
        if (present(e, "offset_y")) layer.offset.y = offset_value(e["offset_y"], where, "offset_y");
        const bool has_width = present(e, "width"), has_height = present(e, "height");
        if (has_width != has_height)
            fail(where, has_width ? "height" : "width", std::string("is required with ") + (has_width ? "width" : "height"));
        if (has_width)
            layer.size = Size{dimension_value(e["width"], where, "width"), dimension_value(e["height"], where, "height")};
        if (present(e, "scale_x")) layer.scale_x = scale_value(e["scale_x"], where, "scale_x");
        if (present(e, "scale_y")) layer.scale_y = scale_value(e["scale_y"], where, "scale_y");
        layers.push_back(std::move(layer));
    }
    if (avatars != 1)
        throw_usage("elements: exactly one avatar element is needed (found " + std::to_string(avatars) + ")");
    return layers;
}

void to_json(json& j, const Layer& layer) {
    j = {{"type", to_string(layer.type)},
         {"offset", {layer.offset.x, layer.offset.y}},
         {"scale", {layer.scale_x, layer.scale_y}}};
    if (!layer.source.empty()) j["source"] = layer.source;
    if (layer.size) j["size"] = {layer.size->width, layer.size->height};
    if (layer.text) {
        const TextStyle& t = *layer.text;
        j.erase("scale");
        j["text"] = t.text;
        j["font"] = t.font;
        j["size"] = t.size;
        j["colour"] = rgba_text({t.colour, 255}).substr(0, 7);
        j["box"] = t.box ? rgba_text(*t.box) : "none";
        j["padding"] = t.padding;
        if (t.max_width) j["max_width"] = *t.max_width;
        j["align"] = to_string(t.align);
        if (!layer.anchor) {
            j["position"] = j["offset"];
            j.erase("offset");
        }
    }
    if (layer.anchor) {
        j.erase("offset");
        j["anchor"] = to_string(*layer.anchor);
        if (layer.avoid_avatar) j["avoid"] = layer.avoid_required ? "avatar!" : "avatar";
    }
    if (layer.start > 0) j["start"] = layer.start;
    if (layer.end) j["end"] = *layer.end;
    if (layer.fade_in > 0) j["fade_in"] = layer.fade_in;
    if (layer.fade_out > 0) j["fade_out"] = layer.fade_out;
}

void from_json(const json& j, Layer& layer) { layer = parse_layer(j, "layer"); }

std::vector<Layer> layers_from_json(const json& layers) {
    if (!layers.is_array()) throw_usage("layers: must be an array");
    std::vector<Layer> result;
    result.reserve(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i)
        result.push_back(parse_layer(layers[i], "layers[" + std::to_string(i) + "]"));
    return result;
}

Scene scene_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw_usage("scene: must be an object");
    Scene scene;
    const bool akool = j.contains("elements");
    if (akool == j.contains("layers")) throw_usage("scene: give either \"elements\" (Akool) or \"layers\"");
    if (akool) {
        scene.layers = layers_from_akool_elements(j["elements"]);
        if (j.contains("width") || j.contains("height")) {
            for (const char* key : {"width", "height"})
                if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<std::int64_t>() <= 0 ||
                    j[key].get<std::int64_t>() > max_picture_side)
                    throw_usage(std::string(key) + ": must be a whole number from 1 to " + std::to_string(max_picture_side));
            scene.canvas = Size{j["width"].get<int>(), j["height"].get<int>()};
        }
    } else {
        scene.layers = layers_from_json(j["layers"]);
    }
    if (j.contains("canvas")) {
        if (!j["canvas"].is_string()) throw_usage("canvas: must be a string like \"3840x2160\"");
        scene.canvas = parse_size(j["canvas"].get<std::string>(), false);
    }
    return scene;
}

}  // namespace avpost::filters
