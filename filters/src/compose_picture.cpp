#include "compose_picture.hpp"

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {

ComposePicture::ComposePicture(const ComposePlan& plan, Background* background)
    : kind_(*plan.picture),
      position_(plan.placement->position),
      background_(background),
      stop_with_background_(background && plan.background->end == BackgroundEnd::stop) {
    // The compositor runs on the avatar's clock; layer times are on the programme's.
    if (!plan.layers.empty())
        scene_.emplace(on_avatar_clock(plan.layers, plan.avatar_start_seconds()), plan.canvas, plan.matrix,
                       plan.avatar.size, plan.avatar.duration_seconds);
    if (!plan.overlays.empty())
        overlays_.emplace(LayerStack::Overlays{}, on_avatar_clock(plan.overlays, plan.avatar_start_seconds()),
                          plan.canvas, plan.matrix, plan.avatar.duration_seconds);
    if (background_)
        background_->prepare(plan.canvas, plan.matrix,
                             plan.background->end == BackgroundEnd::loop ? StreamEnd::loop : StreamEnd::hold);
    if (plan.alpha_layer) alpha_layer_.emplace(plan.canvas, plan.matrix);
    prepare_canvas(plan);
}

void ComposePicture::prepare_canvas(const ComposePlan& plan) {
    const Size canvas = plan.canvas;
    if (kind_ == PictureKind::avatar) return;  // the avatar's own frames are the picture
    canvas_ = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
    canvas_->colorspace = plan.matrix;
    canvas_->color_range = AVCOL_RANGE_MPEG;
    canvas_->color_primaries = primaries_for(plan.matrix);
    canvas_->color_trc = transfer_for(plan.matrix);
    if (kind_ == PictureKind::avatar_on_black) {
        opaque_ = cv::Mat(plan.placement->size.height, plan.placement->size.width, CV_8UC1, cv::Scalar(255));
        black_ = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
        fill_solid(black_.get(), Yuv8{16, 128, 128});  // limited-range black
        check_av(av_frame_copy(canvas_.get(), black_.get()), "av_frame_copy (canvas)");
        return;
    }
    static_backdrop_ = (background_ ? background_->is_static() : scene_->is_static() && !scene_->has_layers_above()) &&
                       !overlays_;
    if (!static_backdrop_) return;
    const AVFrame* backdrop = background_ ? background_->at(0) : scene_->below(0);
    check_av(av_frame_copy(canvas_.get(), backdrop), "av_frame_copy (canvas)");
}

bool ComposePicture::ends_before(double t) const { return stop_with_background_ && background_->ended_before(t); }

const AVFrame* ComposePicture::over_backdrop(const MattedAvatar& avatar, double t) {
    const AVFrame* backdrop = background_ ? background_->at(t) : scene_->below(t);
    compositor_.over(backdrop, canvas_.get(), avatar.picture, avatar.alpha, position_, !static_backdrop_);
    if (scene_ && scene_->has_layers_above()) scene_->draw_above(t, canvas_.get());
    return canvas_.get();
}

const AVFrame* ComposePicture::on_black(const MattedAvatar& avatar) {
    // With overlays the canvas is drawn on outside the avatar too: black is laid again each frame.
    compositor_.over(black_.get(), canvas_.get(), avatar.picture, opaque_, position_, overlays_.has_value());
    return canvas_.get();
}

const DeliveryFrame& ComposePicture::draw(const MattedAvatar& avatar, const AVFrame* decoded, double t) {
    frame_.seconds = t;
    if (kind_ == PictureKind::avatar) {
        frame_.picture = avatar.picture;
    } else {
        // The encoder may still hold the previous frame; this copies only in that case.
        check_av(av_frame_make_writable(canvas_.get()), "av_frame_make_writable (canvas)");
        frame_.picture = kind_ == PictureKind::composite ? over_backdrop(avatar, t) : on_black(avatar);
        if (overlays_) overlays_->draw_above(t, canvas_.get());
        canvas_->pts = decoded->pts;
        canvas_->pkt_duration = decoded->pkt_duration;
    }
    if (alpha_layer_) frame_.layer = alpha_layer_->render(avatar.picture, avatar.alpha.plane, position_);
    return frame_;
}

}  // namespace avpost::filters
