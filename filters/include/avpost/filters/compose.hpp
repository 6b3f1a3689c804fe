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
#include "avpost/filters/keyer.hpp"
#include "avpost/filters/matte.hpp"
#include "avpost/filters/music_bed.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/filters/transition.hpp"

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
    // Drawn over the composite, whatever is under the avatar (a background or a scene): titles,
    // logos, lower thirds. No avatar among them; timed like any layer.
    std::vector<Layer> overlays;
    // A programme around the composited segment: video files (with or without audio) shown before
    // and after it on the canvas (contained, on black), joined to it by `transition`. Layer and
    // caption times stay on the segment's clock (0: the avatar's first frame), so an intro never
    // moves a title off the words it goes with.
    std::string intro;
    std::string outro;
    Transition transition;
    // Music under the avatar's voice for the whole programme, ducked while it speaks (music_bed.hpp).
    std::optional<MusicParams> music;
    // File name, "null" to composite without encoding, or empty when only `delivery` is wanted.
    std::string output;
    // Delivery presets made from the same composited frames (one decode for all outputs).
    std::optional<DeliveryOptions> delivery;

    std::optional<Size> canvas;     // default: background size (avatar size for a colour)
    std::optional<Point> position;  // top-left of the avatar; default from `anchor`
    std::optional<Size> size;       // scaled avatar size; default from `fit`
    // How the avatar is scaled when no `size` is given. Default: contain, but none when a
    // `position` is given (a position places the avatar at its own size, as ffmpeg's overlay).
    std::optional<Fit> fit;
    Anchor anchor = Anchor::center;
    // visible: fit, size, anchor and position apply to the matte's bounding box over the clip
    // (visible_region.hpp), so `bottom-right` puts the person, not the frame, in the corner.
    FitTo fit_to = FitTo::frame;

    MatteParams matte;
    std::optional<Rgb8> despill;  // backdrop colour to remove from the edge
    // Instead of `mask`: pull the matte from the render's colour backdrop (keyer.hpp).
    std::optional<KeyParams> key;
    // With `key`: also write the pulled matte as a grey video (limited range, usable as a mask).
    std::string key_matte_output;

    BackgroundEnd background_end = BackgroundEnd::loop;
    // A mask whose duration differs from the avatar's by more than two frames belongs to another
    // render: an error (exit 3) unless this says the mismatch is intended.
    bool allow_mask_mismatch = false;

    std::string vcodec = "libx264";
    std::optional<int> crf;
    std::string preset;

    // Use an avatar or mask that decodes to well under the duration its header declares (a cut
    // download) with a warning, instead of failing as unusable input.
    bool allow_short = false;

    bool progress = true;  // on a terminal only
    std::string progress_label = "compose";  // what the progress line is called ("transcode", "promo compose")
};

// The fit that applies: the one given, else none with a position and contain without.
Fit effective_fit(const ComposeParams& p);

struct ComposeReport {
    std::string output;
    std::int64_t frames = 0;
    double duration_seconds = 0.0;  // of the output
    double elapsed_seconds = 0.0;
    Size canvas;
    Placement placement;
    std::optional<Box> visible;  // with fit_to visible: the visible region, in the avatar's pixels
    std::string vcodec;
    std::string audio_codec;    // the output's audio codec; empty: no audio
    bool audio_copied = false;  // the source's audio packets were copied, not re-encoded
    std::string matrix;
    std::string key;  // with a key: the backdrop colour keyed, "#RRGGBB"; else empty
    std::string key_matte_output;
    std::vector<DeliveredFile> deliveries;
    std::optional<LoudnessPlan> loudness;  // the deliveries' loudness stage: input, gain, limiter
    int caption_cues = 0;                  // cues delivered (after re-wrapping and splitting)
    bool captions_burned = false;
    std::optional<MusicReport> music;  // what the music bed did: its gain, its level in speech and in pauses
    std::vector<std::string> warnings;
};

// `avpost compose --json` (docs/json/compose.schema.json): the composite as "path" (null when
// none was written), "audio" a boolean as in every delivery, sizes in "bytes".
void to_json(nlohmann::json& j, const ComposeReport& r);

// Runs the whole job. Throws avpost::Error; never leaves a file under `output` unless complete.
ComposeReport run_compose(const ComposeParams& params);

}  // namespace avpost::filters
