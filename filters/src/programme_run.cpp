#include "programme_run.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/imgutils.h>
}

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {

namespace {

media::FramePtr canvas_frame(AVPixelFormat format, Size canvas, AVColorSpace matrix) {
    media::FramePtr frame = media::make_video_frame(format, canvas.width, canvas.height);
    frame->colorspace = matrix;
    frame->color_range = AVCOL_RANGE_MPEG;
    frame->color_primaries = primaries_for(matrix);
    frame->color_trc = transfer_for(matrix);
    return frame;
}

// The clip's video contained in the canvas, centred.
Layer contained_layer(const ComposePlan::ProgrammeClip& clip, Size canvas) {
    const double scale = std::min(double(canvas.width) / clip.size.width, double(canvas.height) / clip.size.height);
    Layer layer;
    layer.type = LayerType::video;
    layer.source = clip.path;
    const Size size{std::max(1, int(std::lround(clip.size.width * scale))), std::max(1, int(std::lround(clip.size.height * scale)))};
    layer.size = size;
    layer.offset = {(canvas.width - size.width) / 2, (canvas.height - size.height) / 2};
    return layer;
}

}  // namespace

// An intro's or outro's pictures: its video on black, with an opaque alpha layer when an output
// takes one.
class ProgrammeRun::Clip {
public:
    Clip(const ComposePlan::ProgrammeClip& clip, const ComposePlan& plan)
        : stack_(LayerStack::Overlays{}, {contained_layer(clip, plan.canvas)}, plan.canvas, plan.matrix, clip.duration_seconds),
          canvas_(canvas_frame(AV_PIX_FMT_YUV420P, plan.canvas, plan.matrix)) {
        if (plan.alpha_layer) {
            layer_ = canvas_frame(AV_PIX_FMT_YUVA420P, plan.canvas, plan.matrix);
            std::fill_n(layer_->data[3], std::size_t(layer_->linesize[3]) * layer_->height, std::uint8_t(255));
        }
    }

    // The clip at `seconds` on its own clock (0: its first frame).
    DeliveryFrame at(double seconds) {
        check_av(av_frame_make_writable(canvas_.get()), "av_frame_make_writable (programme clip)");
        fill_solid(canvas_.get(), Yuv8{16, 128, 128});
        stack_.draw_above(seconds, canvas_.get());
        DeliveryFrame frame;
        frame.picture = canvas_.get();
        if (layer_) {
            check_av(av_frame_make_writable(layer_.get()), "av_frame_make_writable (programme clip layer)");
            for (int plane = 0; plane < 3; ++plane) {
                const int h = plane ? (canvas_->height + 1) / 2 : canvas_->height;
                const int w = plane ? (canvas_->width + 1) / 2 : canvas_->width;
                av_image_copy_plane(layer_->data[plane], layer_->linesize[plane], canvas_->data[plane],
                                    canvas_->linesize[plane], w, h);
            }
            frame.layer = layer_.get();
        }
        return frame;
    }

private:
    LayerStack stack_;
    media::FramePtr canvas_, layer_;
};

std::vector<ProgrammeAudioPart> programme_audio_parts(const ComposePlan& plan, double avatar_first_seconds) {
    const ComposePlan::Programme& p = *plan.programme;
    const double fs = plan.frame_seconds;
    const double segment_start = double(p.segment_start_frame) * fs;
    const double outro_start = double(p.outro_start_frame) * fs;
    Transition transition = p.transition;
    transition.seconds = double(p.overlap_frames) * fs;
    std::vector<ProgrammeAudioPart> parts;
    ProgrammeAudioPart avatar;
    avatar.file = plan.avatar.path;
    avatar.programme_start = segment_start;
    avatar.first_video_seconds = avatar_first_seconds;
    if (p.intro) {
        avatar.enter = transition;
        avatar.enter_at = segment_start;
    }
    if (p.outro) {
        avatar.leave = transition;
        avatar.leave_at = outro_start;
    }
    parts.push_back(avatar);
    const auto clip_part = [](const ComposePlan::ProgrammeClip& clip, double start) {
        ProgrammeAudioPart part;
        part.file = clip.path;
        part.programme_start = start;
        part.first_video_seconds = clip.first_video_seconds;
        return part;
    };
    if (p.intro) {  // leaves as the segment comes in
        parts.push_back(clip_part(*p.intro, 0.0));
        parts.back().leave = transition;
        parts.back().leave_at = segment_start;
    }
    if (p.outro) {  // comes in as the segment leaves
        parts.push_back(clip_part(*p.outro, outro_start));
        parts.back().enter = transition;
        parts.back().enter_at = outro_start;
    }
    return parts;
}

double programme_seconds(const ComposePlan& plan) { return double(plan.programme->total_frames) * plan.frame_seconds; }

ProgrammeRun::ProgrammeRun(const ComposePlan& plan, ComposeOutputs& outputs, ProgrammeAudio* audio)
    : plan_(plan), outputs_(outputs), audio_(audio), frame_seconds_(plan.frame_seconds),
      segment_start_(double(plan.programme->segment_start_frame) * plan.frame_seconds),
      overlap_seconds_(double(plan.programme->overlap_frames) * plan.frame_seconds),
      outro_start_(double(plan.programme->outro_start_frame) * plan.frame_seconds),
      fade_colour_(rgb_to_yuv(plan.programme->transition.colour, plan.matrix, AVCOL_RANGE_MPEG)) {
    if (plan.programme->intro) intro_ = std::make_unique<Clip>(*plan.programme->intro, plan);
    if (plan.programme->outro) outro_ = std::make_unique<Clip>(*plan.programme->outro, plan);
    if (overlap_seconds_ > 0) {
        mixed_ = canvas_frame(AV_PIX_FMT_YUV420P, plan.canvas, plan.matrix);
        if (plan.alpha_layer) mixed_layer_ = canvas_frame(AV_PIX_FMT_YUVA420P, plan.canvas, plan.matrix);
    }
    retimed_ = media::make_frame();
    retimed_layer_ = media::make_frame();
}

ProgrammeRun::~ProgrammeRun() = default;

std::int64_t ProgrammeRun::pts_of(double programme_seconds) const {
    return std::llround(programme_seconds / av_q2d(plan_.avatar.time_base));
}

// How far through a transition starting at `start` the frame at `t` is: frames inside it never
// show either part alone, and the middle one of an odd count is exactly half way.
double ProgrammeRun::progress(double t, double start) const {
    return (t - start + frame_seconds_) / (overlap_seconds_ + frame_seconds_);
}

void ProgrammeRun::emit(const DeliveryFrame& given, double programme_seconds, std::int64_t pts) {
    if (last_pts_ != AV_NOPTS_VALUE && pts <= last_pts_) pts = last_pts_ + 1;  // rounding never reorders frames
    last_pts_ = pts;
    DeliveryFrame frame = given;
    frame.seconds = programme_seconds;
    // Pictures others own are handed on as references carrying the programme's pts.
    const auto retime = [pts](const AVFrame* picture, AVFrame* reference) -> const AVFrame* {
        if (!picture || picture->pts == pts) return picture;
        av_frame_unref(reference);
        check_av(av_frame_ref(reference, picture), "av_frame_ref (programme)");
        reference->pts = pts;
        return reference;
    };
    frame.picture = retime(frame.picture, retimed_.get());
    frame.layer = retime(frame.layer, retimed_layer_.get());
    outputs_.write(frame);
    av_frame_unref(retimed_.get());
    av_frame_unref(retimed_layer_.get());
    ++frames_;
    end_seconds_ = programme_seconds + frame_seconds_;
    if (audio_) audio_->produce_until(end_seconds_, [this](const AVFrame* f) { outputs_.push_audio_frame(f); });
}

void ProgrammeRun::write_intro() {
    if (!intro_) return;
    for (std::int64_t k = 0; k < plan_.programme->segment_start_frame; ++k) {
        const double t = double(k) * frame_seconds_;
        emit(intro_->at(t), t, pts_of(t));
    }
}

bool ProgrammeRun::write_segment(const DeliveryFrame& segment, double segment_seconds) {
    const double t = segment_start_ + segment_seconds;
    if (outro_ && t >= outro_start_ + overlap_seconds_ - frame_seconds_ / 2) return false;
    const std::int64_t pts = pts_of(t);
    const auto blend = [&](Clip& clip, double clip_seconds, bool clip_first, double p) {
        DeliveryFrame other = clip.at(clip_seconds);
        const DeliveryFrame& from = clip_first ? other : segment;
        const DeliveryFrame& to = clip_first ? segment : other;
        check_av(av_frame_make_writable(mixed_.get()), "av_frame_make_writable (transition)");
        draw_transition(plan_.programme->transition.kind, p, from.picture, to.picture, fade_colour_, mixed_.get());
        mixed_->pts = pts;
        DeliveryFrame frame;
        frame.picture = mixed_.get();
        if (mixed_layer_ && from.layer && to.layer) {
            check_av(av_frame_make_writable(mixed_layer_.get()), "av_frame_make_writable (transition layer)");
            draw_transition(plan_.programme->transition.kind, p, from.layer, to.layer, fade_colour_, mixed_layer_.get());
            mixed_layer_->pts = pts;
            frame.layer = mixed_layer_.get();
        }
        emit(frame, t, pts);
    };
    if (intro_ && overlap_seconds_ > 0 && segment_seconds < overlap_seconds_ - frame_seconds_ / 2) {
        blend(*intro_, t, true, progress(t, segment_start_));
    } else if (outro_ && overlap_seconds_ > 0 && t >= outro_start_ - frame_seconds_ / 2) {
        blend(*outro_, t - outro_start_, false, progress(t, outro_start_));
    } else {
        emit(segment, t, pts);
    }
    return true;
}

void ProgrammeRun::finish(double next_segment_seconds) {
    if (outro_) {
        double t = segment_start_ + next_segment_seconds;
        if (t < outro_start_) {
            // The avatar ended before its probed end: the outro follows it at once (a cut).
            outro_start_ = t;
            if (audio_) {
                ProgrammeAudioPart& avatar = audio_->part(0);
                avatar.leave = Transition{};
                avatar.leave_at = t;
                ProgrammeAudioPart& outro = audio_->part(audio_->part_count() - 1);
                outro.programme_start = t;
                outro.enter = Transition{};
                outro.enter_at = t;
            }
        }
        const double end = outro_start_ + double(plan_.programme->outro->frames) * frame_seconds_;
        for (; t < end - frame_seconds_ / 2; t += frame_seconds_) emit(outro_->at(t - outro_start_), t, pts_of(t));
    }
    if (audio_) {
        audio_->set_programme_seconds(end_seconds_);
        audio_->finish([this](const AVFrame* f) { outputs_.push_audio_frame(f); });
    }
}

}  // namespace avpost::filters
