#pragma once
// What a compose will do, decided from its parameters and from what opening its inputs told
// (sizes, rates, alpha, audio) before any frame decodes: the inputs and their clocks, the
// geometry, where the avatar's alpha comes from, the picture each frame gives the outputs, and
// the outputs. A plain value: run_compose builds its stages from it, `avpost compose --dry-run`
// prints it (docs/json/compose-plan.schema.json), tests assert on it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/compose.hpp"
#include "avpost/filters/decode_plan.hpp"
#include "avpost/filters/transition.hpp"
#include "avpost/media/media_probe.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

// Where a warning goes: the log, and the report's list.
using Warn = std::function<void(std::string)>;

// What opening the inputs told, no frame decoded: all plan_compose needs besides the parameters.
struct ComposeProbe {
    media::VideoStreamInfo avatar;
    bool avatar_audio = false;                         // the avatar's file has an audio stream
    std::optional<media::VideoStreamInfo> mask;        // with --mask
    std::optional<media::VideoStreamInfo> background;  // an image or video background (not a colour)
    std::optional<media::ProbedMedia> intro, outro;    // a programme's
    int cores = 1;                                     // for the decoders' threads
};

// Where the avatar's alpha comes from: one AlphaSource each (alpha_source.hpp).
enum class AlphaKind {
    mask,          // the vendor's matte video (--mask)
    key,           // pulled from the render's colour backdrop (--key)
    source_alpha,  // the avatar carries its own (VP9 alpha WebM, ProRes 4444)
    none,          // opaque: the avatar as rendered
};

// The opaque picture each frame gives the outputs.
enum class PictureKind {
    avatar,           // no backdrop and the avatar fills the canvas: its own frames, handed on
    avatar_on_black,  // no backdrop: the avatar on a black canvas, opaque whatever its matte
    composite,        // the avatar over the background or the scene's layers
};

// What -o names.
enum class CompositeKind {
    none,         // no -o: deliveries only
    null,         // -o null: composites, encodes nothing
    encoded,      // an opaque video through --vcodec
    transparent,  // --background transparent: the avatar alone with alpha, through an alpha preset's sink
};

std::string to_string(AlphaKind kind);
std::string to_string(PictureKind kind);
std::string to_string(CompositeKind kind);

struct ComposePlan {
    // A programme: an intro and/or an outro around the composited segment. Everything counts in
    // output frames (the avatar's rate), so the parts meet on frame boundaries.
    struct ProgrammeClip {
        std::string path;
        Size size;
        double duration_seconds = 0.0;     // its video's
        double first_video_seconds = 0.0;  // its first presented frame, on its own clock
        bool audio = false;
        std::int64_t frames = 0;           // output frames it spans
    };
    struct Programme {
        std::optional<ProgrammeClip> intro, outro;
        Transition transition;
        std::optional<MusicParams> music;  // under the whole programme
        std::int64_t overlap_frames = 0;       // of each transition (0: a cut)
        std::int64_t segment_start_frame = 0;  // where the avatar's first frame goes
        std::int64_t segment_frames = 0;       // as probed
        std::int64_t outro_start_frame = 0;    // as probed: moved when the avatar ends sooner
        std::int64_t total_frames = 0;         // as probed
    };
    struct Avatar {
        std::string path;
        Size size;
        AVRational frame_rate{0, 1};  // 0/1: unknown
        AVRational time_base{1, 1};
        double duration_seconds = 0.0;  // 0: unknown
        std::int64_t frame_count = 0;   // estimate; 0: unknown
        bool alpha = false;             // decodes with an alpha plane
        bool audio = false;
        AVColorSpace matrix = AVCOL_SPC_BT709;  // of its colour, as tagged or by its height
    };
    struct Mask {
        std::string path;
        Size size;
        AVRational frame_rate{0, 1};
        double duration_seconds = 0.0;
        bool limited = true;         // its luma holds limited-range codes (16..235)
        bool at_avatar_rate = true;  // frame N goes with the avatar's frame N; else the latest at or before
        double tolerance_seconds = 0.0;  // how early a mask frame still counts as the avatar frame's
    };
    enum class BackgroundKind { colour, image, video };
    struct Background {
        BackgroundKind kind = BackgroundKind::colour;
        std::string source;                      // the file, or "#RRGGBB"
        std::optional<Size> size;                // an image's or video's own
        std::optional<double> duration_seconds;  // a video's, when known
        BackgroundEnd end = BackgroundEnd::loop;
    };
    struct Alpha {
        AlphaKind kind = AlphaKind::none;
        MatteParams matte;  // range, choke, feather: of a mask, the avatar's alpha or a key
        // Mask: the compositor reads the matte's codes straight from the decoded frame (nothing
        // else reads the alpha, so no full-frame alpha pass per frame).
        bool codes_to_compositor = false;
        std::optional<Rgb8> despill;      // mask or source alpha
        std::optional<KeyParams> key;     // key
        std::string key_matte_output;     // key: the pulled matte's file, or empty
    };
    struct Composite {
        CompositeKind kind = CompositeKind::none;
        std::string path;                    // encoded, transparent
        std::string vcodec;                  // encoded: --vcodec; transparent: the alpha sink's encoder
        std::optional<int> crf;              // encoded
        std::string preset;                  // encoded: the encoder's speed preset
        std::optional<Preset> alpha_preset;  // transparent: webm-alpha (.webm) or prores-alpha (.mov)
    };

    // Inputs.
    Avatar avatar;
    std::optional<Mask> mask;
    std::optional<Background> background;
    std::vector<Layer> layers;  // the scene, bottom to top; empty without one
    std::vector<Layer> overlays;  // over the composite, bottom to top
    std::optional<Programme> programme;  // with an intro or an outro

    // Geometry. `placement` is empty only while fit_to is visible and the pass over the matte has
    // not run (place_visible); so is `picture`, which depends on it.
    Size canvas;
    AVColorSpace matrix = AVCOL_SPC_BT709;  // the outputs': BT.709 from 720 lines up, else BT.601
    Fit fit = Fit::contain;
    Anchor anchor = Anchor::center;
    FitTo fit_to = FitTo::frame;
    std::optional<Size> size;       // the scaled size asked for
    std::optional<Point> position;  // the position asked for
    std::optional<Placement> placement;
    std::optional<Box> visible;  // fit_to visible: the matte's bounding box, once found
    std::optional<PictureKind> picture;

    Alpha alpha;

    // Outputs, all fed the same frames.
    Composite composite;
    std::optional<DeliveryOptions> delivery;
    bool alpha_layer = false;  // some output takes the avatar alone on transparency (yuva420p)
    bool audio = false;        // the avatar's audio goes to the outputs
    std::optional<double> audio_end_seconds;  // --bg-end stop: the audio ends with the background

    // Clock and decoding.
    AVRational frame_rate{25, 1};  // the outputs' (25 when the avatar's is unknown)
    double frame_seconds = 0.04;
    DecodePlan decoding;
    bool allow_short = false;  // inputs cut short are used with a warning

    std::vector<std::string> warnings;  // found before any frame (run_compose logs them)

    // Where the avatar's first frame falls on the programme's clock (0 without an intro). Layer
    // times are given on the programme's clock; the compositor runs on the avatar's.
    double avatar_start_seconds() const {
        return programme ? double(programme->segment_start_frame) * frame_seconds : 0.0;
    }
};

// The checks that need no file: bad or conflicting options, a missing encoder, an output
// directory that does not exist. Throws Error(usage), or OutputError for a missing directory.
void check_compose_params(const ComposeParams& params);

// Where the avatar's alpha comes from, given whether the avatar decodes with alpha. Throws
// Error(usage) when the background or an alpha output needs a matte and there is none.
AlphaKind choose_alpha(const ComposeParams& params, bool avatar_has_alpha);

// The plan, from checked parameters and probed inputs; pure apart from the encoder lookup and
// the output directory checks. Throws as a run would before its first frame: Error(usage) for
// what the options ask, Error(input) for a mask of another render.
ComposePlan plan_compose(const ComposeParams& params, const ComposeProbe& probe);

// Opens and probes the inputs (no frame decoded, nothing written), then plans.
ComposePlan plan_compose(const ComposeParams& params);

// With fit_to visible: places the avatar once the pass over the matte has found `visible`
// (empty: nothing visible, the whole frame is placed).
void place_visible(ComposePlan& plan, std::optional<Box> visible);

// `avpost compose --dry-run --json` (docs/json/compose-plan.schema.json).
void to_json(nlohmann::json& j, const ComposePlan& plan);
// `avpost compose --dry-run`: the plan as lines of text for people.
std::string describe(const ComposePlan& plan);

}  // namespace avpost::filters
