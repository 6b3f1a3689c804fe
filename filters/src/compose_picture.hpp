#pragma once
// Stage: the pictures each frame gives the outputs. The opaque one (ComposePlan::picture): the
// avatar over its background or scene, the avatar on black, or the avatar's own frame handed on;
// and, when an output takes it, the avatar alone on transparency (AlphaLayer).
#include <optional>

#include <opencv2/core.hpp>

#include "avpost/filters/alpha_layer.hpp"
#include "avpost/filters/alpha_source.hpp"
#include "avpost/filters/background.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/composite.hpp"
#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/layer_stack.hpp"

namespace avpost::filters {

class ComposePicture {
public:
    // `background` is the opened background of the plan, or null; it is prepared here. A scene's
    // layers are opened here.
    ComposePicture(const ComposePlan& plan, Background* background);

    // True once a background the output stops with (--bg-end stop) has ended before t.
    bool ends_before(double t) const;

    // The frame's pictures, with `decoded`'s pts; valid until the next call.
    const DeliveryFrame& draw(const MattedAvatar& avatar, const AVFrame* decoded, double t);

private:
    void prepare_canvas(const ComposePlan& plan);
    const AVFrame* over_backdrop(const MattedAvatar& avatar, double t);
    const AVFrame* on_black(const MattedAvatar& avatar);

    PictureKind kind_;
    Point position_;
    Background* background_;
    bool stop_with_background_;
    std::optional<LayerStack> scene_;
    std::optional<LayerStack> overlays_;  // drawn over whatever picture the frame has
    // The backdrop never changes: the canvas keeps it and only the avatar's rectangle is drawn
    // again. With layers above the avatar the whole canvas is redrawn each frame: drawing them
    // over last frame's canvas would blend their translucent pixels twice.
    bool static_backdrop_ = true;
    Compositor compositor_;
    std::optional<AlphaLayer> alpha_layer_;
    // Only what is drawn gets memory (a 4K canvas is 12 MB, an opaque matte 8 MB): an avatar
    // handed on as the picture needs neither.
    media::FramePtr canvas_;
    media::FramePtr black_;
    cv::Mat opaque_;  // on black the avatar is drawn opaque, whatever its matte
    DeliveryFrame frame_;
};

}  // namespace avpost::filters
