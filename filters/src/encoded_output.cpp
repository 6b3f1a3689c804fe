#include "avpost/filters/encoded_output.hpp"

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {

EncodedOutput::EncodedOutput(EncodedOutputSpec spec, const SinkContext& context)
    : spec_(std::move(spec)), context_(context) {
    media::VideoEncodeSettings& video = spec_.video;
    const AVColorSpace matrix = spec_.matrix.value_or(context.matrix);
    video.frame_rate = context.frame_rate;
    video.time_base = context.time_base;
    video.colorspace = matrix;
    video.primaries = primaries_for(matrix);
    video.transfer = transfer_for(matrix);
    writer_ = std::make_unique<media::MediaWriter>(spec_.path.string(), spec_.container);
    if (spec_.video_from) {
        // The other output's encoder is open, so its stream (extradata included) is known.
        writer_->add_video_copy(spec_.video_from->video_parameters(), video.time_base, video.frame_rate,
                                video.codec_tag);
        spec_.video_from->writer_->on_video_packet(
            [writer = writer_.get()](const AVPacket* packet, AVRational time_base) {
                writer->write_video_packet(packet, time_base);
            });
    } else {
        writer_->add_video(video);
    }
    if (context.audio && !spec_.audio_encoder.empty()) {
        if (context.audio_frames) {
            media::AudioEncodeSettings audio;
            audio.codec = spec_.audio_encoder;
            audio.channels = context.audio_frames->channels;
            audio.sample_rate = context.audio_frames->sample_rate;
            writer_->add_audio_encode(audio);
        } else {
            audio_ = std::make_unique<media::AudioCarrier>(context.audio, *writer_, spec_.audio_encoder);
        }
    }
    if (spec_.soft_captions && context.captions && !context.captions->empty()) writer_->add_subtitles();
    for (const auto& [key, value] : spec_.muxer_options) writer_->set_muxer_option(key, value);
    if (spec_.video_from) return;
    const AVPixelFormat source_format = spec_.use_layer ? AV_PIX_FMT_YUVA420P : AV_PIX_FMT_YUV420P;
    const AVPixelFormat encoder_format = writer_->video_pixel_format();
    const bool resized = video.width != context.canvas.width || video.height != context.canvas.height;
    // A resize takes swscale's SIMD vertical filter, as ffmpeg's scale filter does: its exact-
    // rounding variant costs about 25M instructions more per 4K frame (a third of avpost's own
    // time in a 4K -> 1080p web delivery) for differences of at most one code value. Conversions
    // at the same size keep exact rounding: they are cheap and nothing else changes the picture.
    if (encoder_format != source_format || resized || video.range != AVCOL_RANGE_MPEG || !same_matrix(matrix, context.matrix))
        converter_ = std::make_unique<FrameConverter>(
            ConvertTarget{video.width, video.height, encoder_format, matrix, video.range},
            resized ? SWS_BICUBIC : SWS_BICUBIC | SWS_ACCURATE_RND);
}

EncodedOutput::~EncodedOutput() = default;

void EncodedOutput::begin() { writer_->begin(); }

// Cues go in as the video reaches their start, so the muxer interleaves them with the frames;
// a cue that would start after the last frame is never written.
void EncodedOutput::write_cues_until(double seconds) {
    const std::vector<Cue>& cues = *context_.captions;
    for (; next_cue_ < cues.size() && context_.start_seconds + cues[next_cue_].start <= seconds; ++next_cue_) {
        const Cue& cue = cues[next_cue_];
        writer_->write_subtitle(context_.start_seconds + cue.start, context_.start_seconds + cue.end, cue.text);
    }
}

void EncodedOutput::write(const DeliveryFrame& frame, std::optional<std::int64_t> pts) {
    // A cue that starts during this frame (before the next one) goes in with it.
    if (writer_->has_subtitles()) write_cues_until(frame.seconds + 0.999 / av_q2d(context_.frame_rate));
    if (spec_.video_from) return;  // its packets arrive from the other output's encoder
    const AVFrame* source = spec_.use_layer ? frame.layer : frame.picture;
    if (!source) throw_usage("an alpha output needs a matte (give a mask)");
    if (converter_) source = converter_->convert(source, context_.matrix, AVCOL_RANGE_MPEG);
    if (!pts) {
        writer_->write_video(source);
        return;
    }
    // Other outputs share the frame: retime a reference to it, never the frame itself.
    if (!retimed_) retimed_ = media::make_frame();
    check_av(av_frame_ref(retimed_.get(), source), "av_frame_ref (retime)");
    retimed_->pts = *pts;
    try {
        writer_->write_video(retimed_.get());
    } catch (...) {
        av_frame_unref(retimed_.get());
        throw;
    }
    av_frame_unref(retimed_.get());
}

void EncodedOutput::push_audio(const AVPacket* packet) {
    if (audio_) audio_->push(packet);
}

void EncodedOutput::push_audio_frame(const AVFrame* frame) {
    if (context_.audio_frames && writer_->has_audio()) writer_->write_audio_frame(frame, AVRational{1, frame->sample_rate});
}

void EncodedOutput::finish() {
    if (finished_) return;
    finished_ = true;
    if (audio_) audio_->finish();
    writer_->finish();
}

}  // namespace avpost::filters
