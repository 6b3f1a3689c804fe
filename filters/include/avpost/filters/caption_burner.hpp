#pragma once
// Burned-in captions: the cues drawn with libass at the canvas's own size (PlayResX/Y are the
// canvas, not ASS's 384x288), inside the safe area (portrait canvases keep clear of the
// platforms' top and bottom UI bands), composed as an RGBA overlay and blended into the 4:2:0
// picture with chroma from the overlay's premultiplied 2x2 average, so edges stay clean.
#include <memory>
#include <vector>

#include "avpost/filters/captions.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"

struct ass_library;
struct ass_renderer;
struct ass_track;

namespace avpost::filters {

// Where the text goes on a canvas, in pixels; exposed so tests can look there.
struct CaptionLayout {
    int font_size = 0;
    int margin_bottom = 0;  // from the bottom edge to the lowest line's baseline area
    int margin_side = 0;
};
CaptionLayout caption_layout(Size canvas);

class CaptionBurner {
public:
    // `cues` as laid out (lay_out_captions); times from the first frame.
    CaptionBurner(const std::vector<Cue>& cues, Size canvas, AVColorSpace matrix);
    ~CaptionBurner();
    CaptionBurner(const CaptionBurner&) = delete;
    CaptionBurner& operator=(const CaptionBurner&) = delete;

    // `picture`: canvas-sized yuv420p, limited range. Returns it unchanged when no cue shows at
    // `seconds`, else a frame of the burner's own with the text drawn (valid until the next call).
    const AVFrame* burn(const AVFrame* picture, double seconds);

private:
    struct LibraryDeleter {
        void operator()(ass_library* p) const;
    };
    struct RendererDeleter {
        void operator()(ass_renderer* p) const;
    };
    struct TrackDeleter {
        void operator()(ass_track* p) const;
    };
    void compose_overlay(const void* images);
    void blend(AVFrame* frame) const;

    Size canvas_;
    float kr_, kb_;
    std::unique_ptr<ass_library, LibraryDeleter> library_;
    std::unique_ptr<ass_renderer, RendererDeleter> renderer_;
    std::unique_ptr<ass_track, TrackDeleter> track_;
    std::vector<std::uint8_t> overlay_;  // canvas-sized premultiplied RGBA
    Box dirty_{0, 0, 0, 0};              // where the overlay is not transparent
    media::FramePtr burned_;
};

}  // namespace avpost::filters
