#include "avpost/filters/layer_stack.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/filters/timed_frames.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {
namespace {

constexpr int max_drawn_dimension = 1 << 14;
constexpr int max_offset = 1 << 20;  // keeps offset + size far from int overflow in the compositor

bool has_alpha(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
}

// A transparent picture at `size` as straight RGBA, scaled with premultiplied colour: scaling
// straight colour would mix in the colour hidden under transparent pixels (often black) and
// leave a dark fringe. Fully transparent pixels get the alpha-weighted colour of their
// neighbours, so 4:2:0 chroma averaged across the edge does not fringe either.
media::FramePtr scaled_transparent_picture(const AVFrame* picture, Size size, const std::string& where) {
    const int w = picture->width, h = picture->height;
    media::SwsContextPtr to_rgba(sws_getContext(w, h, AVPixelFormat(picture->format), w, h, AV_PIX_FMT_RGBA,
                                                SWS_POINT | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
    if (!to_rgba) throw_input(where, "swscale cannot read its alpha channel");
    cv::Mat rgba(h, w, CV_8UC4);
    std::uint8_t* planes[4] = {rgba.data, nullptr, nullptr, nullptr};
    int strides[4] = {int(rgba.step[0]), 0, 0, 0};
    check_av(sws_scale(to_rgba.get(), picture->data, picture->linesize, 0, h, planes, strides),
             "sws_scale (" + where + " to RGBA)");

    cv::Mat straight;
    rgba.convertTo(straight, CV_32FC4, 1.0 / 255.0);
    std::vector<cv::Mat> channels;
    cv::split(straight, channels);
    for (int c = 0; c < 3; ++c) channels[c] = channels[c].mul(channels[3]);  // premultiply
    cv::Mat premultiplied;
    cv::merge(channels, premultiplied);
    const bool shrinking = size.width < w || size.height < h;
    cv::Mat scaled;
    cv::resize(premultiplied, scaled, cv::Size(size.width, size.height), 0, 0,
               shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
    cv::Mat blurred;  // for the colour under fully transparent pixels
    cv::blur(scaled, blurred, cv::Size(5, 5));

    media::FramePtr out = media::make_video_frame(AV_PIX_FMT_RGBA, size.width, size.height);
    for (int y = 0; y < size.height; ++y) {
        const cv::Vec4f* row = scaled.ptr<cv::Vec4f>(y);
        const cv::Vec4f* near = blurred.ptr<cv::Vec4f>(y);
        std::uint8_t* dst = out->data[0] + std::ptrdiff_t(y) * out->linesize[0];
        for (int x = 0; x < size.width; ++x) {
            const float a = std::clamp(row[x][3], 0.0f, 1.0f);
            const cv::Vec4f& colour = a * 255.0f >= 0.5f ? row[x] : near[x];
            const float weight = a * 255.0f >= 0.5f ? a : colour[3];
            for (int c = 0; c < 3; ++c) {
                const float v = weight > 1e-6f ? colour[c] / weight : 0.0f;
                dst[4 * x + c] = std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
            }
            dst[4 * x + 3] = std::uint8_t(std::lround(a * 255.0f));
        }
    }
    return out;
}

cv::Mat alpha_plane_of(const AVFrame* rgba) {
    cv::Mat view(rgba->height, rgba->width, CV_8UC4, rgba->data[0], std::size_t(rgba->linesize[0]));
    cv::Mat alpha;
    cv::extractChannel(view, alpha, 3);
    return alpha;
}

}  // namespace

// One layer at its drawn size in the working format, with its alpha (255 where opaque).
class LayerStack::Picture {
public:
    Picture(const Layer& layer, std::size_t index, Size canvas, AVColorSpace matrix, double programme_seconds)
        : offset_(layer.offset), timing_(layer), programme_seconds_(programme_seconds) {
        // Like VideoSource's own errors: "layer 2 (image) 'logo.png'".
        const std::string label = "layer " + std::to_string(index) + " (" + to_string(layer.type) + ")";
        where_ = label + " '" + layer.source + "'";
        if (layer.type == LayerType::colour) {
            make_colour(layer, canvas, matrix);
            return;
        }
        if (layer.type == LayerType::text) {
            make_text(layer, canvas, matrix, label);
            return;
        }
        source_ = std::make_unique<media::VideoSource>(layer.source, label);
        const auto& info = source_->info();
        const Size native{info.width, info.height};
        drawn_ = checked_drawn_size(layer.size.value_or(native), layer);
        if (layer.anchor) offset_ = anchored_position(*layer.anchor, drawn_, canvas);
        converter_ = std::make_unique<FrameConverter>(
            ConvertTarget{drawn_.width, drawn_.height, AV_PIX_FMT_YUV420P, matrix, AVCOL_RANGE_MPEG});
        source_matrix_ = resolve_matrix(info.colorspace, info.height);
        // A video layer whose file is a single picture is just an image; an image layer whose
        // file is a video shows its first frame.
        if (layer.type == LayerType::video && !info.still_image) {
            // Video layers are drawn opaque: alpha video (yuva) is rare in scenes, and its alpha
            // would need a second conversion per frame. Their frames are converted once each.
            alpha_ = cv::Mat(drawn_.height, drawn_.width, CV_8U, cv::Scalar(255));
            source_->enable_prefetch(3);
            timed_ = std::make_unique<TimedFrames>(*source_, StreamEnd::loop);
            return;
        }
        load_still();
    }

    bool is_video() const { return timed_ != nullptr; }
    bool is_timed() const { return timing_.timed(); }
    Point offset() const { return offset_; }
    double opacity(double t) const {
        return timing_.timed() ? layer_opacity(timing_, t, programme_seconds_ > 0 ? programme_seconds_ : 1e300) : 1.0;
    }
    // Its alpha at `opacity` (0 < opacity <= 1): the layer's own, or that scaled into a buffer
    // kept between frames.
    const cv::Mat& alpha(double opacity) {
        if (opacity >= 1.0) return alpha_;
        alpha_.convertTo(faded_, CV_8U, opacity);  // rounds; reuses faded_ once it has the size
        return faded_;
    }

    const AVFrame* at(double t) {
        if (!timed_) return still_.get();
        const AVFrame* frame = timed_->at(t, same_instant_seconds);
        if (!frame) throw_input(where_, "has no decodable frame");
        // TimedFrames swaps two frames, so after an even number of steps the pointer repeats;
        // the timestamp tells frames apart (a looped frame has the same picture again).
        if (!current_ || frame != last_source_ || frame->best_effort_timestamp != last_timestamp_) {
            last_source_ = frame;
            last_timestamp_ = frame->best_effort_timestamp;
            AVColorRange range = effective_range(AVPixelFormat(frame->format), frame->color_range, AVCOL_RANGE_MPEG);
            current_ = converter_->convert(frame, source_matrix_, range);
        }
        return current_;
    }

private:
    Size checked_drawn_size(Size size, const Layer& layer) const {
        if (size.width <= 0 || size.height <= 0) throw_usage(where_ + ": size must be positive");
        if (!(layer.scale_x > 0) || !(layer.scale_y > 0)) throw_usage(where_ + ": scale must be greater than 0");
        if (size.width * layer.scale_x > max_drawn_dimension || size.height * layer.scale_y > max_drawn_dimension)
            throw_usage(where_ + ": drawn size is too large (at most 16384 pixels either way)");
        if (std::abs(layer.offset.x) > max_offset || std::abs(layer.offset.y) > max_offset)
            throw_usage(where_ + ": offset is out of range");
        return scaled_size(size, layer.scale_x, layer.scale_y);
    }

    void make_colour(const Layer& layer, Size canvas, AVColorSpace matrix) {
        if (!looks_like_hex_colour(layer.source)) throw_usage(where_ + ": not a colour (expected #RRGGBB)");
        drawn_ = checked_drawn_size(layer.size.value_or(canvas), layer);
        still_ = media::make_video_frame(AV_PIX_FMT_YUV420P, drawn_.width, drawn_.height);
        fill_solid(still_.get(), rgb_to_yuv(parse_hex_colour(layer.source), matrix, AVCOL_RANGE_MPEG));
        alpha_ = cv::Mat(drawn_.height, drawn_.width, CV_8U, cv::Scalar(255));
    }

    // Shaped and drawn once (text_picture.hpp), placed by its anchor or position.
    void make_text(const Layer& layer, Size canvas, AVColorSpace matrix, const std::string& label) {
        media::FramePtr rgba = render_text(*layer.text, canvas, label);
        drawn_ = {rgba->width, rgba->height};
        if (layer.anchor) offset_ = anchored_position(*layer.anchor, drawn_, canvas);
        FrameConverter converter(ConvertTarget{drawn_.width, drawn_.height, AV_PIX_FMT_YUV420P, matrix, AVCOL_RANGE_MPEG});
        still_ = media::make_video_frame(AV_PIX_FMT_YUV420P, drawn_.width, drawn_.height);
        check_av(av_frame_copy(still_.get(), converter.convert(rgba.get(), matrix, AVCOL_RANGE_JPEG)),
                 "av_frame_copy (" + label + ")");
        alpha_ = alpha_plane_of(rgba.get());
    }

    // Decoded, converted and scaled once; the source is closed afterwards.
    void load_still() {
        media::FramePtr picture = media::make_frame();
        if (!source_->next(picture.get())) throw_input(where_, "has no picture");
        AVColorRange range = effective_range(AVPixelFormat(picture->format), picture->color_range, AVCOL_RANGE_MPEG);
        still_ = media::make_video_frame(AV_PIX_FMT_YUV420P, drawn_.width, drawn_.height);
        if (has_alpha(AVPixelFormat(picture->format))) {
            // PNG/WebP transparency blends with the picture's own alpha, full range 0..255.
            media::FramePtr rgba = scaled_transparent_picture(picture.get(), drawn_, where_);
            alpha_ = alpha_plane_of(rgba.get());
            check_av(av_frame_copy(still_.get(), converter_->convert(rgba.get(), source_matrix_, AVCOL_RANGE_JPEG)),
                     "av_frame_copy (" + where_ + ")");
        } else {
            check_av(av_frame_copy(still_.get(), converter_->convert(picture.get(), source_matrix_, range)),
                     "av_frame_copy (" + where_ + ")");
            alpha_ = cv::Mat(drawn_.height, drawn_.width, CV_8U, cv::Scalar(255));
        }
        converter_.reset();
        source_.reset();
    }

    std::string where_;
    Point offset_;
    Layer timing_;  // start, end and fades (the rest is unused here)
    double programme_seconds_ = 0;
    cv::Mat faded_;
    Size drawn_;
    media::FramePtr still_;
    cv::Mat alpha_;
    // Video layers only (source_ is declared before timed_, which reads from it).
    std::unique_ptr<media::VideoSource> source_;
    std::unique_ptr<FrameConverter> converter_;
    std::unique_ptr<TimedFrames> timed_;
    AVColorSpace source_matrix_ = AVCOL_SPC_BT709;
    const AVFrame* last_source_ = nullptr;
    std::int64_t last_timestamp_ = AV_NOPTS_VALUE;
    const AVFrame* current_ = nullptr;
};

Placement scene_avatar_placement(const std::vector<Layer>& layers, Size avatar_native) {
    const std::size_t avatar = avatar_layer_index(layers);
    const Layer& avatar_layer = layers[avatar];
    const Size avatar_size = avatar_layer.size.value_or(avatar_native);
    if (avatar_size.width <= 0 || avatar_size.height <= 0) throw_usage("layers: the avatar's size is empty");
    const std::string avatar_where = "layer " + std::to_string(avatar) + " (avatar)";
    if (!(avatar_layer.scale_x > 0) || !(avatar_layer.scale_y > 0)) throw_usage(avatar_where + ": scale must be greater than 0");
    if (avatar_size.width * avatar_layer.scale_x > max_drawn_dimension ||
        avatar_size.height * avatar_layer.scale_y > max_drawn_dimension)
        throw_usage(avatar_where + ": drawn size is too large (at most 16384 pixels either way)");
    if (std::abs(avatar_layer.offset.x) > max_offset || std::abs(avatar_layer.offset.y) > max_offset)
        throw_usage(avatar_where + ": offset is out of range");
    return {scaled_size(avatar_size, avatar_layer.scale_x, avatar_layer.scale_y), avatar_layer.offset};
}

LayerStack::LayerStack(const std::vector<Layer>& layers, Size canvas, AVColorSpace matrix, Size avatar_native,
                       double programme_seconds)
    : canvas_(canvas), matrix_(matrix), programme_seconds_(programme_seconds) {
    if (canvas.width <= 0 || canvas.height <= 0) throw_usage("layers: the canvas is empty");
    avatar_placement_ = scene_avatar_placement(layers, avatar_native);
    const std::size_t avatar = avatar_layer_index(layers);
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (i == avatar) continue;
        (i < avatar ? below_ : above_)
            .push_back(std::make_unique<Picture>(layers[i], i, canvas, matrix, programme_seconds));
    }
    below_opacity_.assign(below_.size(), -1.0);
    below_frame_ = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
}

LayerStack::LayerStack(Overlays, const std::vector<Layer>& layers, Size canvas, AVColorSpace matrix,
                       double programme_seconds)
    : canvas_(canvas), matrix_(matrix), programme_seconds_(programme_seconds) {
    if (canvas.width <= 0 || canvas.height <= 0) throw_usage("overlays: the canvas is empty");
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i].type == LayerType::avatar) throw_usage("overlays[" + std::to_string(i) + "]: the avatar is not an overlay");
        above_.push_back(std::make_unique<Picture>(layers[i], i, canvas, matrix, programme_seconds));
    }
    below_frame_ = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
}

LayerStack::~LayerStack() = default;

bool LayerStack::is_static() const {
    for (const auto* list : {&below_, &above_})
        for (const auto& picture : *list)
            if (picture->is_video() || picture->is_timed()) return false;
    return true;
}

const AVFrame* LayerStack::below(double t) {
    // Rendered again only when a video layer moves on or a timed layer's opacity changes.
    bool changed = !below_rendered_;
    for (std::size_t i = 0; i < below_.size(); ++i) {
        const double opacity = below_[i]->opacity(t);
        changed = changed || below_[i]->is_video() || opacity != below_opacity_[i];
        below_opacity_[i] = opacity;
    }
    if (!changed) return below_frame_.get();
    // Only reallocates if a caller kept a reference to the previous picture.
    check_av(av_frame_make_writable(below_frame_.get()), "av_frame_make_writable (layers)");
    below_frame_->colorspace = matrix_;
    below_frame_->color_range = AVCOL_RANGE_MPEG;
    fill_solid(below_frame_.get(), Yuv8{16, 128, 128});
    draw(below_, t, below_frame_.get());
    below_rendered_ = true;
    return below_frame_.get();
}

void LayerStack::draw_above(double t, AVFrame* canvas) {
    if (canvas->format != AV_PIX_FMT_YUV420P || canvas->width != canvas_.width || canvas->height != canvas_.height)
        throw_input("layers", "the canvas to draw on is not the scene's yuv420p canvas");
    draw(above_, t, canvas);
}

void LayerStack::draw(std::vector<std::unique_ptr<Picture>>& pictures, double t, AVFrame* canvas) {
    // In place (background == canvas): each output sample depends only on the same sample of the
    // backdrop, so nothing is read after it was overwritten.
    // A layer outside its span is skipped whole: no decode, no blend.
    for (auto& picture : pictures) {
        const double opacity = picture->opacity(t);
        if (opacity <= 0.0) continue;
        compositor_.over(canvas, canvas, picture->at(t), picture->alpha(opacity), picture->offset(), false);
    }
}

}  // namespace avpost::filters
