#include "avpost/filters/audio_path.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::filters {

AudioPath::AudioPath(const AVStream* source, const LoudnessPlan& plan, Deliver deliver)
    : source_(source), deliver_(std::move(deliver)), decoded_(media::make_frame()), converted_(media::make_frame()) {
    const AVCodec* codec = avcodec_find_decoder(source->codecpar->codec_id);
    if (!codec) throw_input("audio", "no decoder for the source's audio codec");
    decoder_.reset(avcodec_alloc_context3(codec));
    if (!decoder_) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder_.get(), source->codecpar), "avcodec_parameters_to_context (audio)");
    decoder_->pkt_timebase = source->time_base;
    check_av(avcodec_open2(decoder_.get(), codec, nullptr), "cannot open audio decoder");
    channels_ = std::clamp(decoder_->ch_layout.nb_channels, 1, 2);
    sample_rate_ = decoder_->sample_rate > 0 ? decoder_->sample_rate : 48000;
    stage_.emplace(plan, channels_, sample_rate_);
}

void AudioPath::push(const AVPacket* packet) { decode(packet); }

void AudioPath::finish() {
    if (finished_) return;
    finished_ = true;
    decode(nullptr);
    if (const AVFrame* tail = stage_->flush()) deliver_(tail);
}

void AudioPath::decode(const AVPacket* packet) {
    int ret = avcodec_send_packet(decoder_.get(), packet);
    if (ret < 0 && ret != AVERROR_EOF) {
        log::debug("audio packet dropped: " + av_error_text(ret));
        return;
    }
    for (;;) {
        ret = avcodec_receive_frame(decoder_.get(), decoded_.get());
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
        if (ret < 0) {
            log::debug("audio frame lost: " + av_error_text(ret));
            return;
        }
        // As AudioCarrier: the converter is set up for the first frame's layout, and a damaged
        // packet that decodes to another one is dropped.
        const FrameFormat format{decoded_->format, decoded_->sample_rate, decoded_->ch_layout.nb_channels};
        if (!first_format_) first_format_ = format;
        if (*first_format_ == format && format.sample_rate == sample_rate_) pass_on(decoded_.get());
        else log::debug("audio frame dropped: its sample format, rate or channels changed mid-stream");
        av_frame_unref(decoded_.get());
    }
}

void AudioPath::pass_on(const AVFrame* decoded) {
    AVFrame* out = converted_.get();
    if (!resampler_) {
        AVChannelLayout layout{};
        av_channel_layout_default(&layout, channels_);
        SwrContext* raw = nullptr;
        check_av(swr_alloc_set_opts2(&raw, &layout, AV_SAMPLE_FMT_FLT, sample_rate_, const_cast<AVChannelLayout*>(&decoded->ch_layout),
                                     AVSampleFormat(decoded->format), decoded->sample_rate, 0, nullptr),
                 "swr_alloc_set_opts2 (audio path)");
        resampler_.reset(raw);
        check_av(swr_init(raw), "swr_init (audio path)");
    }
    const int capacity = swr_get_out_samples(resampler_.get(), decoded->nb_samples);
    if (!out->buf[0] || converted_capacity_ < capacity) {
        av_frame_unref(out);
        out->format = AV_SAMPLE_FMT_FLT;
        out->sample_rate = sample_rate_;
        av_channel_layout_default(&out->ch_layout, channels_);
        out->nb_samples = std::max(capacity, 4096);
        check_av(av_frame_get_buffer(out, 0), "av_frame_get_buffer (audio path)");
        converted_capacity_ = out->nb_samples;
    }
    const int converted = check_av(swr_convert(resampler_.get(), out->data, capacity,
                                               const_cast<const uint8_t**>(decoded->extended_data), decoded->nb_samples),
                                   "swr_convert (audio path)");
    out->nb_samples = converted;
    const std::int64_t pts = decoded->best_effort_timestamp;
    out->pts = pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(pts, source_->time_base, AVRational{1, sample_rate_});
    if (converted > 0)
        if (const AVFrame* processed = stage_->process(out)) deliver_(processed);
    out->nb_samples = converted_capacity_;
}

namespace {

// The source's audio through `plan`'s stage, measured.
media::LoudnessReading simulate(const LoudnessPlan& plan, const std::filesystem::path& file, int stream_index) {
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
    if (ret < 0) throw_input("audio of '" + file.string() + "'", "cannot be opened: " + av_error_text(ret));
    media::InputFormatPtr input(raw);
    check_av(avformat_find_stream_info(input.get(), nullptr), "avformat_find_stream_info (loudness)");
    if (stream_index < 0 || unsigned(stream_index) >= input->nb_streams)
        throw_input("audio of '" + file.string() + "'", "has no audio stream " + std::to_string(stream_index));
    for (unsigned i = 0; i < input->nb_streams; ++i)
        if (int(i) != stream_index) input->streams[i]->discard = AVDISCARD_ALL;
    std::optional<media::LoudnessMeter> meter;
    AudioPath path(input->streams[stream_index], plan, [&](const AVFrame* frame) {
        if (!meter) meter.emplace(frame->ch_layout.nb_channels, frame->sample_rate);
        meter->add(reinterpret_cast<const float*>(frame->data[0]), std::size_t(frame->nb_samples));
    });
    media::PacketPtr packet = media::make_packet();
    while (av_read_frame(input.get(), packet.get()) >= 0) {
        if (packet->stream_index == stream_index) path.push(packet.get());
        av_packet_unref(packet.get());
    }
    path.finish();
    if (!meter) return plan.input;
    return meter->reading();
}

}  // namespace

LoudnessPlan refine_loudness_plan(LoudnessPlan plan, const std::filesystem::path& file, int stream_index, int passes) {
    return refine_loudness_plan(
        std::move(plan), [&](const LoudnessPlan& candidate) { return simulate(candidate, file, stream_index); }, passes);
}

LoudnessPlan refine_loudness_plan(LoudnessPlan plan, const std::function<media::LoudnessReading(const LoudnessPlan&)>& simulate,
                                  int passes) {
    constexpr double close_enough_lu = 0.1, most_makeup_db = 3.0;
    // Where limiting harder does not bring it closer (the loud passages are the peaks), the best
    // pass so far is kept.
    LoudnessPlan best = plan;
    double best_miss = HUGE_VAL;
    for (int pass = 0; pass < passes && plan.limit; ++pass) {
        const media::LoudnessReading result = simulate(plan);
        if (result.silent()) break;
        const double shortfall = plan.goal.integrated_lufs - result.integrated_lufs;
        if (std::abs(shortfall) >= best_miss) break;
        best = plan;
        best_miss = std::abs(shortfall);
        if (best_miss < close_enough_lu) break;
        const double makeup = std::round(std::clamp(plan.limiter_makeup_db + shortfall, 0.0, most_makeup_db) * 100.0) / 100.0;
        if (makeup == plan.limiter_makeup_db) break;
        plan.gain_db = std::round((plan.gain_db + makeup - plan.limiter_makeup_db) * 100.0) / 100.0;
        plan.limiter_makeup_db = makeup;
    }
    return best;
}

}  // namespace avpost::filters
