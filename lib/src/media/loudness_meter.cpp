#include "avpost/media/loudness_meter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ebur128.h>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "avpost/core/error.hpp"

namespace avpost::media {

bool LoudnessReading::silent() const { return !std::isfinite(integrated_lufs); }

struct LoudnessMeter::State {
    ebur128_state* meter = nullptr;
    ~State() {
        if (meter) ebur128_destroy(&meter);
    }
};

LoudnessMeter::LoudnessMeter(int channels, int sample_rate) : state_(std::make_unique<State>()), channels_(channels) {
    if (channels < 1 || sample_rate < 1) throw_input("audio", "has no channels or no sample rate to measure");
    state_->meter = ebur128_init(unsigned(channels), static_cast<unsigned long>(sample_rate),
                                 EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    if (!state_->meter) throw_av("ebur128_init", AVERROR(ENOMEM));
}

LoudnessMeter::~LoudnessMeter() = default;

void LoudnessMeter::add(const float* interleaved, std::size_t frames) {
    if (frames == 0) return;
    if (ebur128_add_frames_float(state_->meter, interleaved, frames) != EBUR128_SUCCESS)
        throw_av("ebur128_add_frames_float", AVERROR(ENOMEM));
}

LoudnessReading LoudnessMeter::reading() const {
    LoudnessReading r;
    if (ebur128_loudness_global(state_->meter, &r.integrated_lufs) != EBUR128_SUCCESS)
        r.integrated_lufs = -std::numeric_limits<double>::infinity();
    double peak = 0.0;
    for (int c = 0; c < channels_; ++c) {
        double channel_peak = 0.0;
        if (ebur128_true_peak(state_->meter, unsigned(c), &channel_peak) == EBUR128_SUCCESS)
            peak = std::max(peak, channel_peak);
    }
    r.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -std::numeric_limits<double>::infinity();
    return r;
}

std::optional<LoudnessReading> measure_file_loudness(const std::filesystem::path& file, int stream_index) {
    const std::string what = "audio of '" + file.string() + "'";
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
    if (ret < 0) throw_input(what, "cannot be opened: " + av_error_text(ret));
    InputFormatPtr input(raw);
    ret = avformat_find_stream_info(input.get(), nullptr);
    if (ret < 0) throw_input(what, "cannot be read: " + av_error_text(ret));
    if (stream_index < 0) stream_index = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (stream_index < 0 || unsigned(stream_index) >= input->nb_streams ||
        input->streams[stream_index]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
        return std::nullopt;
    for (unsigned i = 0; i < input->nb_streams; ++i)
        if (int(i) != stream_index) input->streams[i]->discard = AVDISCARD_ALL;
    const AVStream* stream = input->streams[stream_index];
    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec) throw_input(what, "has no decoder for its codec");
    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder.get(), stream->codecpar), "avcodec_parameters_to_context (loudness)");
    decoder->pkt_timebase = stream->time_base;
    check_av(avcodec_open2(decoder.get(), codec, nullptr), "cannot open audio decoder (loudness)");

    // Measured as delivered: interleaved float, at most two channels (the deliveries' layout).
    std::optional<LoudnessMeter> meter;
    SwrContextPtr resampler;
    AVChannelLayout out_layout{};
    std::vector<float> staging;
    PacketPtr packet = make_packet();
    FramePtr frame = make_frame();
    auto measure = [&](const AVFrame* f) {
        if (!resampler) {
            const int channels = std::clamp(f->ch_layout.nb_channels, 1, 2);
            av_channel_layout_default(&out_layout, channels);
            SwrContext* swr = nullptr;
            check_av(swr_alloc_set_opts2(&swr, &out_layout, AV_SAMPLE_FMT_FLT, f->sample_rate, const_cast<AVChannelLayout*>(&f->ch_layout),
                                         AVSampleFormat(f->format), f->sample_rate, 0, nullptr),
                     "swr_alloc_set_opts2 (loudness)");
            resampler.reset(swr);
            check_av(swr_init(swr), "swr_init (loudness)");
            meter.emplace(channels, f->sample_rate);
        }
        const int capacity = swr_get_out_samples(resampler.get(), f->nb_samples);
        staging.resize(std::size_t(capacity) * std::size_t(out_layout.nb_channels));
        uint8_t* out[1] = {reinterpret_cast<uint8_t*>(staging.data())};
        const int converted = check_av(swr_convert(resampler.get(), out, capacity,
                                                   const_cast<const uint8_t**>(f->extended_data), f->nb_samples),
                                       "swr_convert (loudness)");
        meter->add(staging.data(), std::size_t(converted));
    };
    auto drain = [&] {
        for (;;) {
            int r = avcodec_receive_frame(decoder.get(), frame.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            if (r < 0) return;  // a damaged frame is left out of the measurement, as players conceal it
            measure(frame.get());
            av_frame_unref(frame.get());
        }
    };
    while ((ret = av_read_frame(input.get(), packet.get())) >= 0) {
        if (packet->stream_index == stream_index && avcodec_send_packet(decoder.get(), packet.get()) >= 0) drain();
        av_packet_unref(packet.get());
    }
    if (ret != AVERROR_EOF) throw_input(what, "cannot be read to the end: " + av_error_text(ret));
    avcodec_send_packet(decoder.get(), nullptr);
    drain();
    if (!meter) return std::nullopt;
    return meter->reading();
}

}  // namespace avpost::media
