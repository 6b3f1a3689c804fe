#pragma once
// Stage: renders a scene of layers (layers.hpp) around the avatar, frame by frame. The layers
// below the avatar make its backdrop; the layers above are drawn over the composited canvas.
// Every layer is blended with Compositor::over, so colour is exact and partly or fully
// off-canvas layers are clipped. Pictures are converted to the working format (yuv420p, limited
// range, the canvas matrix) and scaled to their drawn size once: images at construction, video
// frames once per source frame. Per-frame work allocates nothing.
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "avpost/filters/composite.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

// Where a scene puts the avatar: its layer's offset, and its size (default `avatar_native`) *
// scale, rounded. Throws Error(usage) for a scene without exactly one avatar layer or with a bad one.
Placement scene_avatar_placement(const std::vector<Layer>& layers, Size avatar_native);

class LayerStack {
public:
    // Opens every layer's source; `avatar_native` is the avatar video's size (the avatar layer's
    // default size); `programme_seconds` the programme's length (a timed layer without an end
    // lasts until then; 0: unknown). Throws Error(input) for unreadable sources, Error(usage) for
    // bad layers (not exactly one avatar, a bad colour, an empty canvas, fades longer than a span).
    LayerStack(const std::vector<Layer>& layers, Size canvas, AVColorSpace matrix, Size avatar_native,
               double programme_seconds = 0);
    // Overlays: layers with no avatar among them, all drawn above (draw_above).
    struct Overlays {};
    LayerStack(Overlays, const std::vector<Layer>& layers, Size canvas, AVColorSpace matrix, double programme_seconds);
    ~LayerStack();
    LayerStack(const LayerStack&) = delete;
    LayerStack& operator=(const LayerStack&) = delete;

    // The avatar layer's offset, and its size * scale (rounded).
    Placement avatar_placement() const { return avatar_placement_; }
    // No video layer and no timed one: below() never changes and is rendered once.
    bool is_static() const;

    // The layers below the avatar composited at time t (seconds from the avatar's start; each
    // video layer's clock starts with its first frame and shows its latest frame whose time is
    // <= t, looping): canvas-sized yuv420p, limited range, tagged with the canvas matrix.
    // Pointer valid until the next call. Canvas starts black (Y16, U128, V128).
    const AVFrame* below(double t);

    bool has_layers_above() const { return !above_.empty(); }
    // Draws the layers above the avatar onto `canvas` (yuv420p, canvas-sized) in place.
    void draw_above(double t, AVFrame* canvas);

private:
    class Picture;  // one layer's picture and alpha at its drawn size (still, video or colour)

    void draw(std::vector<std::unique_ptr<Picture>>& pictures, double t, AVFrame* canvas);

    Size canvas_;
    AVColorSpace matrix_;
    double programme_seconds_ = 0;
    std::vector<double> below_opacity_;  // of each layer below at the last render (-1: never)
    Placement avatar_placement_;
    std::vector<std::unique_ptr<Picture>> below_, above_;
    media::FramePtr below_frame_;
    bool below_rendered_ = false;
    Compositor compositor_;
};

}  // namespace avpost::filters
