#pragma once
// A scene of layers in the shape of Akool's `elements` (image, video, colour, avatar; offset,
// size, scale), so an Akool scene can be recomposed locally. Layers stack in list order, the
// first at the bottom; exactly one is the avatar (the composited avatar+matte).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/placement.hpp"

namespace avpost::filters {

enum class LayerType { image, video, colour, avatar };

struct Layer {
    LayerType type = LayerType::image;
    std::string source;         // image/video path, or "#RRGGBB" for colour; empty for the avatar
    Point offset;               // top-left on the canvas (Akool offset_x/offset_y)
    std::optional<Size> size;   // Akool width/height; default: the source's own size (colour: canvas)
    double scale_x = 1.0;       // the drawn size is size * scale
    double scale_y = 1.0;
};

// Akool's elements array -> layers. `audio` elements are skipped (the audio comes from the
// avatar). An image element whose url is a hex colour is a colour layer. Throws Error(usage)
// naming the element index and field, e.g. "elements[2].offset_x: must be a number".
std::vector<Layer> layers_from_akool_elements(const nlohmann::json& elements);

void to_json(nlohmann::json& j, const Layer& layer);
void from_json(const nlohmann::json& j, Layer& layer);

}  // namespace avpost::filters
