#include "avpost/filters/programme_audio.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/filters/loudness.hpp"

namespace avpost::filters {

float ProgrammeAudioPart::gain_at(double t) const {
    const auto progress = [](const Transition& tr, double at, double time) {
        const double overlap = tr.overlap_seconds();
        if (overlap <= 0) return time >= at ? 1.0 : 0.0;
        return std::clamp((time - at) / overlap, 0.0, 1.0);
    };
    float gain = 1.0f;
    if (t < enter_at) return 0.0f;
    if (enter.overlap_seconds() > 0 && t < enter_at + enter.overlap_seconds())
        gain = transition_gains(enter.kind, progress(enter, enter_at, t)).incoming;
    if (t >= leave_at) {
        if (leave.overlap_seconds() <= 0 || t >= leave_at + leave.overlap_seconds()) return 0.0f;
        gain *= transition_gains(leave.kind, progress(leave, leave_at, t)).outgoing;
    }
    return gain;
}

// One part's audio, decoded and converted to the programme's layout, as a window of samples
// positioned on the programme's clock.
class ProgrammeAudio::Reader {
public:
    Reader(const ProgrammeAudioPart& part, media::InputFormatPtr input, int stream_index, int sample_rate, int channels)
        : input_(std::move(input)), stream_(input_->streams[stream_index]), sample_rate_(sample_rate),
          channels_(channels), packet_(media::make_packet()), decoded_(media::make_frame()), part_(part) {
        for (unsigned i = 0; i < input_->nb_streams; ++i)
            if (int(i) != stream_index) input_->streams[i]->discard = AVDISCARD_ALL;
        const AVCodec* codec = avcodec_find_decoder(stream_->codecpar->codec_id);
        if (!codec) throw_input("audio of '" + part.file.string() + "'", "no decoder for its codec");
        decoder_.reset(avcodec_alloc_context3(codec));
        if (!decoder_) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
        check_av(avcodec_parameters_to_context(decoder_.get(), stream_->codecpar), "avcodec_parameters_to_context (programme audio)");
        decoder_->pkt_timebase = stream_->time_base;
        check_av(avcodec_open2(decoder_.get(), codec, nullptr), "cannot open audio decoder");
    }

    const AVStream* stream() const { return stream_; }

    // Adds this part's samples for programme samples [from, from + count) into `mix`, times its gain.
    void mix_into(float* mix, std::int64_t from, int count) {
        // Nothing is read before the part comes in, so its place can still move until then.
        if (!window_start_ && double(from + count) <= part_.enter_at * sample_rate_) return;
        while (!ended_ && (!window_start_ || *window_start_ + window_samples() < from + count)) decode_more();
        if (window_start_) {
            const std::int64_t begin = std::max(from, *window_start_);
            const std::int64_t end = std::min(from + count, *window_start_ + window_samples());
            for (std::int64_t n = begin; n < end; ++n) {
                const float gain = part_.gain_at(double(n) / sample_rate_);
                if (gain == 0.0f) continue;
                const float* in = window_.data() + (head_ + std::size_t(n - *window_start_) * channels_);
                float* out = mix + std::size_t(n - from) * channels_;
                for (int c = 0; c < channels_; ++c) out[c] += in[c] * gain;
            }
            consume_until(from + count);
        }
    }

private:
    std::int64_t window_samples() const { return std::int64_t((window_.size() - head_) / channels_); }

    void consume_until(std::int64_t sample) {
        if (!window_start_ || sample <= *window_start_) return;
        const std::int64_t drop = std::min(sample - *window_start_, window_samples());
        head_ += std::size_t(drop) * channels_;
        *window_start_ += drop;
        if (head_ > window_.size() / 2) {  // keeps the window's memory bounded without shifting every call
            window_.erase(window_.begin(), window_.begin() + std::ptrdiff_t(head_));
            head_ = 0;
        }
    }

    void decode_more() {
        int ret = avcodec_receive_frame(decoder_.get(), decoded_.get());
        while (ret == AVERROR(EAGAIN)) {
            if (!input_ended_) {
                const int read = av_read_frame(input_.get(), packet_.get());
                if (read < 0) {
                    input_ended_ = true;
                    avcodec_send_packet(decoder_.get(), nullptr);
                } else {
                    if (packet_->stream_index == stream_->index) {
                        const int sent = avcodec_send_packet(decoder_.get(), packet_.get());
                        if (sent < 0 && sent != AVERROR(EAGAIN)) log::debug("programme audio: packet dropped: " + av_error_text(sent));
                    }
                    av_packet_unref(packet_.get());
                }
            }
            ret = avcodec_receive_frame(decoder_.get(), decoded_.get());
            if (ret == AVERROR(EAGAIN) && input_ended_) ret = AVERROR_EOF;
        }
        if (ret < 0) {
            flush_resampler();
            ended_ = true;
            return;
        }
        append(decoded_.get());
        av_frame_unref(decoded_.get());
    }

    void append(const AVFrame* decoded) {
        if (!resampler_) {
            AVChannelLayout layout{};
            av_channel_layout_default(&layout, channels_);
            SwrContext* raw = nullptr;
            check_av(swr_alloc_set_opts2(&raw, &layout, AV_SAMPLE_FMT_FLT, sample_rate_,
                                         const_cast<AVChannelLayout*>(&decoded->ch_layout), AVSampleFormat(decoded->format),
                                         decoded->sample_rate, 0, nullptr),
                     "swr_alloc_set_opts2 (programme audio)");
            resampler_.reset(raw);
            check_av(swr_init(raw), "swr_init (programme audio)");
            first_format_ = {decoded->format, decoded->sample_rate, decoded->ch_layout.nb_channels};
            // The part's first sample on the programme's clock: its offset from the part's first
            // video frame is kept.
            const std::int64_t pts = decoded->best_effort_timestamp;
            const double own = pts == AV_NOPTS_VALUE ? part_.first_video_seconds : pts * av_q2d(stream_->time_base);
            window_start_ = std::llround((part_.programme_start + own - part_.first_video_seconds) * sample_rate_);
        } else if (Format{decoded->format, decoded->sample_rate, decoded->ch_layout.nb_channels} != first_format_) {
            log::debug("programme audio: a frame whose layout changed mid-stream dropped");
            return;
        }
        convert(const_cast<const std::uint8_t**>(decoded->extended_data), decoded->nb_samples);
    }

    void flush_resampler() {
        if (resampler_) convert(nullptr, 0);
    }

    void convert(const std::uint8_t** in, int in_samples) {
        const int capacity = swr_get_out_samples(resampler_.get(), in_samples);
        if (capacity <= 0) return;
        const std::size_t old = window_.size();
        window_.resize(old + std::size_t(capacity) * channels_);
        std::uint8_t* out = reinterpret_cast<std::uint8_t*>(window_.data() + old);
        const int converted = check_av(swr_convert(resampler_.get(), &out, capacity, in, in_samples), "swr_convert (programme audio)");
        window_.resize(old + std::size_t(converted) * channels_);
    }

    struct Format {
        int format = -1, sample_rate = 0, channels = 0;
        bool operator==(const Format&) const = default;
    };

    media::InputFormatPtr input_;
    const AVStream* stream_;
    int sample_rate_, channels_;
    media::CodecContextPtr decoder_;
    media::SwrContextPtr resampler_;
    media::PacketPtr packet_;
    media::FramePtr decoded_;
    const ProgrammeAudioPart& part_;
    Format first_format_;
    std::vector<float> window_;
    std::size_t head_ = 0;                     // first unconsumed float in window_
    std::optional<std::int64_t> window_start_;  // programme sample of window_[head_]
    bool input_ended_ = false, ended_ = false;
};

namespace {

// The file's best audio stream, opened; nullopt when it has none.
std::optional<std::pair<media::InputFormatPtr, int>> open_audio(const std::filesystem::path& file) {
    AVFormatContext* raw = nullptr;
    const int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
    if (ret < 0) throw_input("'" + file.string() + "'", "cannot be opened: " + av_error_text(ret));
    media::InputFormatPtr input(raw);
    check_av(avformat_find_stream_info(input.get(), nullptr), "avformat_find_stream_info (programme audio)");
    const int index = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (index < 0) return std::nullopt;
    return std::pair{std::move(input), index};
}

}  // namespace

ProgrammeAudio::ProgrammeAudio(std::vector<ProgrammeAudioPart> parts, double programme_seconds,
                               const std::optional<MusicParams>& music)
    : parts_(std::move(parts)), programme_seconds_(programme_seconds), out_(media::make_frame()) {
    std::vector<std::optional<std::pair<media::InputFormatPtr, int>>> opened;
    bool any_stereo = false;
    for (const ProgrammeAudioPart& part : parts_) {
        opened.push_back(open_audio(part.file));
        if (!opened.back()) continue;
        const AVStream* stream = opened.back()->first->streams[opened.back()->second];
        if (!stream_) {
            stream_ = stream;
            if (stream->codecpar->sample_rate > 0) sample_rate_ = stream->codecpar->sample_rate;
        }
        any_stereo = any_stereo || stream->codecpar->ch_layout.nb_channels > 1;
    }
    if (music) {
        // The music's layout counts too: a stereo bed under a mono voice stays stereo.
        auto opened_music = open_audio(music->source);
        if (opened_music) {
            const AVStream* stream = opened_music->first->streams[opened_music->second];
            any_stereo = any_stereo || stream->codecpar->ch_layout.nb_channels > 1;
            if (!stream_) {
                stream_ = stream;
                if (stream->codecpar->sample_rate > 0) sample_rate_ = stream->codecpar->sample_rate;
                music_input_ = std::move(opened_music->first);
            }
        }
    }
    channels_ = any_stereo ? 2 : 1;
    if (music) music_.emplace(*music, sample_rate_, channels_, std::llround(programme_seconds_ * sample_rate_));
    readers_.resize(parts_.size());
    for (std::size_t i = 0; i < parts_.size(); ++i)
        if (opened[i])
            readers_[i] = std::make_unique<Reader>(parts_[i], std::move(opened[i]->first), opened[i]->second,
                                                   sample_rate_, channels_);
    // stream_ pointed into a format context now owned by its reader: the same object.
    constexpr int block = 1024;  // an AAC frame: encoders take it whole
    out_->format = AV_SAMPLE_FMT_FLT;
    out_->sample_rate = sample_rate_;
    av_channel_layout_default(&out_->ch_layout, channels_);
    out_->nb_samples = block;
    check_av(av_frame_get_buffer(out_.get(), 0), "av_frame_get_buffer (programme audio)");
}

ProgrammeAudio::~ProgrammeAudio() = default;

ProgrammeAudioPart& ProgrammeAudio::part(std::size_t index) { return parts_.at(index); }

void ProgrammeAudio::set_programme_seconds(double seconds) {
    // The music fades out by the new end when the programme came out shorter than planned; a
    // longer one (an avatar longer than its header said) has no music past the planned end.
    if (music_ && seconds < programme_seconds_) music_->set_programme_frames(std::llround(seconds * sample_rate_));
    programme_seconds_ = seconds;
}

std::optional<MusicReport> ProgrammeAudio::music_report() const {
    if (!music_) return std::nullopt;
    return music_->report();
}

void ProgrammeAudio::produce_until(double seconds, const Deliver& deliver) {
    const std::int64_t end = std::llround(std::min(seconds, programme_seconds_) * sample_rate_);
    constexpr int block = 1024;
    while (produced_ < end) {
        const int count = int(std::min<std::int64_t>(block, end - produced_));
        check_av(av_frame_make_writable(out_.get()), "av_frame_make_writable (programme audio)");
        float* mix = reinterpret_cast<float*>(out_->data[0]);
        std::fill_n(mix, std::size_t(count) * channels_, 0.0f);
        for (std::size_t i = 0; i < readers_.size(); ++i) {
            if (readers_[i]) readers_[i]->mix_into(mix, produced_, count);
            if (i == 0 && music_) music_->mix(mix, count);  // ducked by the avatar's voice alone
        }
        out_->nb_samples = count;
        out_->pts = produced_;
        deliver(out_.get());
        out_->nb_samples = block;
        produced_ += count;
    }
}

media::LoudnessReading measure_programme_audio(const std::vector<ProgrammeAudioPart>& parts, double programme_seconds,
                                               const std::optional<MusicParams>& music, const LoudnessPlan* stage) {
    ProgrammeAudio audio(parts, programme_seconds, music);
    media::LoudnessMeter meter(audio.channels(), audio.sample_rate());
    const auto add = [&meter](const AVFrame* frame) {
        meter.add(reinterpret_cast<const float*>(frame->data[0]), std::size_t(frame->nb_samples));
    };
    if (!stage) {
        audio.finish(add);
        return meter.reading();
    }
    LoudnessStage processing(*stage, audio.channels(), audio.sample_rate());
    audio.finish([&](const AVFrame* frame) {
        if (const AVFrame* out = processing.process(frame)) add(out);
    });
    if (const AVFrame* tail = processing.flush()) add(tail);
    return meter.reading();
}

}  // namespace avpost::filters
