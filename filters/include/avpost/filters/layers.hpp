#pragma once
// A scene of layers in the shape of Akool's `elements` (image, video, colour, avatar; offset,
// size, scale), so an Akool scene can be recomposed locally. Layers stack in list order, the
// first at the bottom; exactly one is the avatar (the composited avatar+matte).
//
// Our own job-file shape of one layer (to_json/from_json):
//   {"type": "image", "source": "logo.png", "offset": [x, y], "size": [w, h], "scale": [sx, sy]}
//   type:   "image" | "video" | "colour" (also "color") | "avatar"
//   source: the image/video path, or "#RRGGBB" for a colour; required except for the avatar
//   offset: top-left on the canvas in pixels, may be negative; default [0, 0]
//   size:   positive integers; default the source's own size (colour: the canvas; avatar: its video)
//   scale:  positive numbers; default [1, 1]; the drawn size is round(size * scale)
//   anchor: instead of offset (image, video, text): a corner, side or the centre of the safe area;
//           "avoid": "avatar" or "avatar!" keeps it off the avatar (see Layer::anchor)
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/placement.hpp"
#include "avpost/filters/text_picture.hpp"

namespace avpost::filters {

enum class LayerType { image, video, colour, avatar, text };

struct Layer {
    LayerType type = LayerType::image;
    std::string source;         // image/video path, or "#RRGGBB" for colour; empty for the avatar and text
    Point offset;               // top-left on the canvas (Akool offset_x/offset_y)
    std::optional<Size> size;   // Akool width/height; default: the source's own size (colour: canvas)
    double scale_x = 1.0;       // the drawn size is size * scale
    double scale_y = 1.0;
    // A text layer's text and style (its offset is its `position`, unless it is anchored).
    std::optional<TextStyle> text;
    // Text, image and video layers: placed inside the canvas's safe area (5% of each side) at this
    // anchor instead of at `offset`. "avoid": "avatar" slides it along its anchor's side to where
    // the avatar's matte is empty over the clip (a warning when there is no such place);
    // "avatar!": no such place is an error (exit 3).
    std::optional<Anchor> anchor;
    bool avoid_avatar = false;
    bool avoid_required = false;
    // When the layer shows, in seconds on the programme's clock (the output's: 0 is its first
    // frame, the intro's when there is one): from `start` until `end` (default: the avatar's
    // part, from its first frame to its last), fading in over `fade_in` and out over `fade_out`.
    // Layers are drawn over the avatar's part only. Outside its span a layer draws nothing and
    // costs nothing.
    double start = 0.0;
    std::optional<double> end;
    double fade_in = 0.0;
    double fade_out = 0.0;
    bool timed() const { return start > 0 || end || fade_in > 0 || fade_out > 0; }
};

// The layer's opacity at time `t` (0..1): 0 outside [start, end), ramping linearly over the
// fades; `programme_end` stands in for an end the layer does not give.
double layer_opacity(const Layer& layer, double t, double programme_end);
// Where the avatar's part lies on the programme's clock: [start, end) seconds. Without an intro
// or outro it is the whole programme.
struct AvatarPart {
    double start = 0.0;
    double end = 0.0;  // 0: unknown (the avatar's duration was not probed), judged when known
    bool whole_programme = true;
};
// Throws Error(usage) naming `where` ("layer 2 (colour)") when the layer's span misses the
// avatar's part, or its fades do not fit in what it shows of it.
void check_layer_timing(const Layer& layer, AvatarPart part, const std::string& where);
// The same layers with their times moved from the programme's clock onto the avatar's, which
// starts `avatar_start` seconds into the programme (the compositor's clock).
std::vector<Layer> on_avatar_clock(std::vector<Layer> layers, double avatar_start);

// Akool's elements array -> layers. `audio` elements are skipped (the audio comes from the
// avatar). An image element whose url is a hex colour is a colour layer. Throws Error(usage)
// naming the element index and field, e.g. "elements[2].offset_x: must be a number".
std::vector<Layer> layers_from_akool_elements(const nlohmann::json& elements);

// Where the one avatar layer is; throws Error(usage)
// "layers: exactly one avatar layer is needed (found N)" otherwise.
std::size_t avatar_layer_index(const std::vector<Layer>& layers);

// Drawn size = round(size * scale), at least 1 pixel each way.
Size scaled_size(Size size, double scale_x, double scale_y);

std::string to_string(LayerType type);
// "image", "video", "colour"/"color", "avatar", "text"; throws Error(usage) naming `where` otherwise.
LayerType parse_layer_type(const std::string& text, const std::string& where);

// Errors name the field as "layer.size: ...".
void to_json(nlohmann::json& j, const Layer& layer);
void from_json(const nlohmann::json& j, Layer& layer);
// A job file's layer array; errors name the index, e.g. "layers[1].offset: ...". Does not check
// the avatar count (LayerStack does, as for any list of layers).
std::vector<Layer> layers_from_json(const nlohmann::json& layers);

// A whole scene: the canvas and its layers.
struct Scene {
    std::optional<Size> canvas;
    std::vector<Layer> layers;
};
// Either an Akool talking-avatar request ({"width", "height", "elements": [...]}, other fields
// ignored) or our own {"canvas": "WxH", "layers": [...]}. Throws Error(usage) naming the field.
Scene scene_from_json(const nlohmann::json& scene);

}  // namespace avpost::filters
