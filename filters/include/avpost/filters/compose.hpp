#pragma once
// The compose pipeline: decode avatar, mask and background -> matte -> (despill) -> composite ->
// encode + mux with the avatar's audio. The one place that wires the stages together.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/colour.hpp"
#include "avpost/filters/delivery.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/filters/matte.hpp"
#include "avpost/filters/placement.hpp"

namespace avpost::filters {

enum class BackgroundEnd { loop, hold, stop };
BackgroundEnd parse_background_end(std::string_view text);
std::string to_string(BackgroundEnd end);

struct ComposeParams {
    std::string video;       // the avatar
    std::string mask;        // its grayscale matte
    // Image, video or #RRGGBB; "transparent" keeps the avatar alone on its matte (the output
    // then carries alpha: .webm -> VP9 with alpha, .mov -> ProRes 4444).
    std::string background;
    // A scene instead of one background: layers bottom to top, one of them the avatar, whose
    // offset and size then place it (position/size/fit/anchor are ignored).
    std::vector<Layer> layers;
    // File name, "null" to composite without encoding, or empty when only `delivery` is wanted.
    std::string output;
    // Delivery presets made from the same composited frames (one decode for all outputs).
    std::optional<DeliveryOptions> delivery;

    std::optional<Size> canvas;     // default: background size (avatar size for a colour)
    std::optional<Point> position;  // top-left of the avatar; default from `anchor`
    std::optional<Size> size;       // scaled avatar size; default from `fit`
    Fit fit = Fit::contain;
    Anchor anchor = Anchor::center;

    MatteParams matte;
    std::optional<Rgb8> despill;  // backdrop colour to remove from the edge

    BackgroundEnd background_end = BackgroundEnd::loop;

    std::string vcodec = "libx264";
    std::optional<int> crf;
    std::string preset;

    // Use an avatar or mask that decodes to well under the duration its header declares (a cut
    // download) with a warning, instead of failing as unusable input.
    bool allow_short = false;

    bool progress = true;  // on a terminal only
};

void to_json(nlohmann::json& j, const ComposeParams& p);
void from_json(const nlohmann::json& j, ComposeParams& p);

struct ComposeReport {
    std::string output;
    std::int64_t frames = 0;
    double duration_seconds = 0.0;  // of the output
    double elapsed_seconds = 0.0;
    Size canvas;
    Placement placement;
    std::string vcodec;
    std::string audio;  // "copy", the encoder name, or "none"
    std::string matrix;
    std::vector<DeliveredFile> deliveries;
    std::vector<std::string> warnings;
};

void to_json(nlohmann::json& j, const ComposeReport& r);

// Runs the whole job. Throws avpost::Error; never leaves a file under `output` unless complete.
ComposeReport run_compose(const ComposeParams& params);

}  // namespace avpost::filters
