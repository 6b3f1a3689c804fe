#include "compose_outputs.hpp"

#include <filesystem>

#include "avpost/filters/colour.hpp"

namespace avpost::filters {

ComposeOutputs::ComposeOutputs(const ComposePlan& plan, SinkContext context)
    : context_(std::move(context)), audio_end_(plan.audio_end_seconds) {
    if (plan.composite.kind == CompositeKind::transparent) open_transparent(plan);
    if (plan.composite.kind == CompositeKind::encoded) open_encoded(plan);
    if (transparent_) transparent_->begin();
    if (plan.delivery) {
        burn_captions_ = plan.delivery->burn_captions;
        deliveries_ = std::make_unique<Deliveries>(*plan.delivery, context_);
        deliveries_->begin();
    }
}

// The alpha preset's sink writes the named file.
void ComposeOutputs::open_transparent(const ComposePlan& plan) {
    const std::filesystem::path path(plan.composite.path);
    transparent_options_.directory = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    transparent_options_.name = path.stem().string();
    transparent_options_.presets = {*plan.composite.alpha_preset};
    transparent_ = make_delivery_sink(*plan.composite.alpha_preset, transparent_options_, context_);
}

void ComposeOutputs::open_encoded(const ComposePlan& plan) {
    const std::string& output = plan.composite.path;
    atomic_.emplace(output);
    writer_ = std::make_unique<media::MediaWriter>(atomic_->temp_path().string(), output);
    media::VideoEncodeSettings video;
    video.codec = plan.composite.vcodec;
    video.width = plan.canvas.width;
    video.height = plan.canvas.height;
    video.frame_rate = context_.frame_rate;
    video.time_base = context_.time_base;
    video.colorspace = plan.matrix;
    video.primaries = primaries_for(plan.matrix);
    video.transfer = transfer_for(plan.matrix);
    video.range = AVCOL_RANGE_MPEG;
    video.crf = plan.composite.crf;
    video.preset = plan.composite.preset;
    writer_->add_video(video);
    if (context_.audio && context_.audio_frames) {
        // A programme's mixed audio: encoded here (AAC, or Opus where the container wants it).
        media::AudioEncodeSettings audio;
        audio.channels = context_.audio_frames->channels;
        audio.sample_rate = context_.audio_frames->sample_rate;
        writer_->add_audio_encode(audio);
    } else if (context_.audio) {
        audio_ = std::make_unique<media::AudioCarrier>(context_.audio, *writer_);
    }
    writer_->begin();
    if (writer_->video_pixel_format() != AV_PIX_FMT_YUV420P)
        to_encoder_ = std::make_unique<FrameConverter>(ConvertTarget{
            plan.canvas.width, plan.canvas.height, writer_->video_pixel_format(), plan.matrix, AVCOL_RANGE_MPEG});
}

void ComposeOutputs::push_audio(AVPacket* packet) {
    if (audio_end_ && packet->pts != AV_NOPTS_VALUE &&
        double(packet->pts) * av_q2d(context_.audio->time_base) >= *audio_end_)
        return;
    if (audio_) audio_->push(packet);
    if (transparent_) transparent_->push_audio(packet);
    if (deliveries_) deliveries_->push_audio(packet);
}

void ComposeOutputs::push_audio_frame(const AVFrame* frame) {
    if (writer_ && writer_->has_audio()) writer_->write_audio_frame(frame, AVRational{1, frame->sample_rate});
    if (transparent_) transparent_->push_audio_frame(frame);
    if (deliveries_) deliveries_->push_audio_frame(frame);
}

void ComposeOutputs::write(const DeliveryFrame& frame) {
    if (writer_) {
        const AVFrame* encoded = frame.picture;
        if (to_encoder_) encoded = to_encoder_->convert(encoded, context_.matrix, AVCOL_RANGE_MPEG);
        writer_->write_video(encoded);
    }
    if (transparent_) transparent_->write(frame);
    if (deliveries_) deliveries_->write(frame);
}

void ComposeOutputs::finish_composite(ComposeReport& report) {
    if (audio_) {
        audio_->finish();
        report.audio_codec = audio_->codec_name();
        report.audio_copied = audio_->copying();
    }
    if (!writer_) return;
    if (!audio_ && writer_->has_audio()) report.audio_codec = writer_->audio_codec_name();
    writer_->finish();
    atomic_->commit();
}

void ComposeOutputs::finish_deliveries(double duration_seconds, ComposeReport& report) {
    if (transparent_) {
        // The composite is the alpha preset's file: its audio (re-encoded for the container) is the report's.
        const DeliveredFile file = transparent_->finish(duration_seconds);
        if (file.audio) report.audio_codec = file.audio_codec;
    }
    if (!deliveries_) return;
    report.deliveries = deliveries_->finish(duration_seconds);
    report.loudness = deliveries_->loudness();
    report.caption_cues = int(deliveries_->captions().size());
    report.captions_burned = burn_captions_ && report.caption_cues > 0;
}

}  // namespace avpost::filters
