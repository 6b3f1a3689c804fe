#include "avpost/media/audio_carrier.hpp"

#include <algorithm>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::media {

namespace {

bool source_has_codec(const AVStream* source, const std::string& encoder) {
    if (encoder.empty()) return true;
    const AVCodec* codec = avcodec_find_encoder_by_name(encoder.c_str());
    if (!codec || codec->type != AVMEDIA_TYPE_AUDIO) throw_usage("unknown audio encoder '" + encoder + "'");
    return codec->id == source->codecpar->codec_id;
}

}  // namespace

AudioCarrier::AudioCarrier(const AVStream* source, MediaWriter& writer, const std::string& encoder)
    : source_(source), writer_(writer), copy_(source_has_codec(source, encoder) && writer.add_audio_copy(source)) {
    if (copy_) {
        codec_name_ = avcodec_get_name(source->codecpar->codec_id);
        return;
    }
    const AVCodec* codec = avcodec_find_decoder(source->codecpar->codec_id);
    if (!codec) throw_input("audio", "no decoder for the avatar's audio codec");
    decoder_.reset(avcodec_alloc_context3(codec));
    if (!decoder_) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder_.get(), source->codecpar), "avcodec_parameters_to_context (audio)");
    decoder_->pkt_timebase = source->time_base;
    check_av(avcodec_open2(decoder_.get(), codec, nullptr), "cannot open audio decoder");
    frame_ = make_frame();
    AudioEncodeSettings settings;
    settings.sample_rate = decoder_->sample_rate > 0 ? decoder_->sample_rate : 48000;
    settings.channels = std::clamp(decoder_->ch_layout.nb_channels, 1, 2);
    settings.codec = encoder;
    writer.add_audio_encode(settings);
    codec_name_ = writer.audio_codec_name();
    log::debug("audio is re-encoded: the container does not take the source codec");
}

AudioCarrier::~AudioCarrier() = default;

bool AudioCarrier::copying() const { return copy_; }
std::string AudioCarrier::codec_name() const { return codec_name_; }

void AudioCarrier::push(const AVPacket* packet) {
    if (copy_) {
        writer_.write_audio_packet(packet, source_->time_base);
        return;
    }
    decode(packet);
}

void AudioCarrier::finish() {
    if (!copy_) decode(nullptr);
}

void AudioCarrier::decode(const AVPacket* packet) {
    int ret = avcodec_send_packet(decoder_.get(), packet);
    if (ret < 0 && ret != AVERROR_EOF) {
        log::debug("audio packet dropped: " + av_error_text(ret));
        return;
    }
    for (;;) {
        ret = avcodec_receive_frame(decoder_.get(), frame_.get());
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
        if (ret < 0) {
            log::debug("audio frame lost: " + av_error_text(ret));
            return;
        }
        // The resampler is set up for the first frame's layout: a damaged packet that decodes
        // to another one is dropped (the resampler would read planes that are not there).
        if (!first_format_) {
            first_format_ = FrameFormat{frame_->format, frame_->sample_rate, frame_->ch_layout.nb_channels};
        } else if (*first_format_ != FrameFormat{frame_->format, frame_->sample_rate, frame_->ch_layout.nb_channels}) {
            log::debug("audio frame dropped: its sample format, rate or channels changed mid-stream");
            av_frame_unref(frame_.get());
            continue;
        }
        frame_->pts = frame_->best_effort_timestamp;
        writer_.write_audio_frame(frame_.get(), source_->time_base);
        av_frame_unref(frame_.get());
    }
}

}  // namespace avpost::media
