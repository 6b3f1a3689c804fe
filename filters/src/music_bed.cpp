#include "avpost/filters/music_bed.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/loudness_meter.hpp"

namespace avpost::filters {
namespace {

using nlohmann::json;
using Row = OptionRow<MusicParams>;

const std::string& text(const json& v) { return v.get_ref<const std::string&>(); }

// Rows leave OptionRow::shapes (the delivery table's column) to its default; gcc 12 warns about
// any aggregate member left out, defaulted or not.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const std::array rows{
    Row{"source", "music", OptionType::path, "FILE", "Music under the voice: any file with an audio stream", "",
        [](MusicParams& p, const json& v) { p.source = text(v); },
        [](const MusicParams& p) { return p.source.empty() ? json() : json(p.source.string()); }},
    Row{"level", "music-level", OptionType::number, "LUFS",
        "The music's own loudness in the mix, before ducking (-60 to 0; the deliveries' target then moves the mix)",
        "", [](MusicParams& p, const json& v) { p.level_lufs = number_in_range(v, -60, 0); },
        [](const MusicParams& p) { return json(p.level_lufs); }},
    Row{"duck", "music-duck", OptionType::number, "DB", "How far the music goes down while the voice speaks (0 to 40)",
        "", [](MusicParams& p, const json& v) { p.duck_db = number_in_range(v, 0, 40); },
        [](const MusicParams& p) { return json(p.duck_db); }},
    Row{"attack", "music-attack", OptionType::number, "SECONDS",
        "Time the music takes to go fully down when the voice starts (0 to 5)", "",
        [](MusicParams& p, const json& v) { p.attack_seconds = number_in_range(v, 0, 5); },
        [](const MusicParams& p) { return json(p.attack_seconds); }},
    Row{"release", "music-release", OptionType::number, "SECONDS",
        "Time the music takes to come fully back when the voice stops (0 to 10)", "",
        [](MusicParams& p, const json& v) { p.release_seconds = number_in_range(v, 0, 10); },
        [](const MusicParams& p) { return json(p.release_seconds); }},
    Row{"loop", "", OptionType::boolean, "",
        "Repeat a music shorter than the programme (false: silence after its end)", "",
        [](MusicParams& p, const json& v) { p.loop = v.get<bool>(); },
        [](const MusicParams& p) { return json(p.loop); }},
    Row{"fade_in", "music-fade-in", OptionType::number, "SECONDS", "Fade-in at the programme's start (0 to 60)", "",
        [](MusicParams& p, const json& v) { p.fade_in_seconds = number_in_range(v, 0, 60); },
        [](const MusicParams& p) { return json(p.fade_in_seconds); }},
    Row{"fade_out", "music-fade-out", OptionType::number, "SECONDS",
        "Fade-out ending at the programme's end (0 to 60)", "",
        [](MusicParams& p, const json& v) { p.fade_out_seconds = number_in_range(v, 0, 60); },
        [](const MusicParams& p) { return json(p.fade_out_seconds); }},
};
#pragma GCC diagnostic pop

std::vector<OptionProblem> cross_check(const MusicParams& p) {
    if (p.source.empty()) return {{"source", "is required (the music file)"}};
    return {};
}

double to_lufs(double energy, std::int64_t frames) {
    if (frames <= 0 || energy <= 0) return -std::numeric_limits<double>::infinity();
    return -0.691 + 10.0 * std::log10(energy / double(frames));
}

json rounded(double v) {
    if (!std::isfinite(v)) return json();
    return std::round(v * 100.0) / 100.0;
}

// Raised cosine from 0 (x = 0) to 1 (x = 1).
double fade_curve(double x) { return 0.5 - 0.5 * std::cos(std::numbers::pi * x); }

// The music decoded to interleaved float, `frames_wanted` frames at most.
struct Decoded {
    std::vector<float> samples;
    std::int64_t frames = 0;
    double source_seconds = 0;
    bool whole = false;  // decoded to its end
};

Decoded decode_music(const std::filesystem::path& file, int sample_rate, int channels, std::int64_t frames_wanted) {
    std::string name = file.string();  // quoted (built in place: gcc 12's -Wrestrict misfires on "'" + string)
    name.insert(name.begin(), '\'');
    name.push_back('\'');
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
    if (ret < 0) throw Error(ErrorDomain::input, "music.source: cannot open " + name, ret, av_error_text(ret));
    media::InputFormatPtr input(raw);
    ret = avformat_find_stream_info(input.get(), nullptr);
    if (ret < 0) throw Error(ErrorDomain::input, "music.source: cannot read " + name, ret, av_error_text(ret));
    const AVCodec* codec = nullptr;
    const int stream_index = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_index == AVERROR_STREAM_NOT_FOUND) throw_usage("music.source: " + name + " has no audio stream");
    if (stream_index < 0 || !codec)
        throw Error(ErrorDomain::input, "music.source: " + name, stream_index, "no decoder for its audio stream");
    for (unsigned i = 0; i < input->nb_streams; ++i)
        if (int(i) != stream_index) input->streams[i]->discard = AVDISCARD_ALL;
    const AVStream* stream = input->streams[stream_index];
    media::CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder.get(), stream->codecpar), "avcodec_parameters_to_context (music)");
    decoder->pkt_timebase = stream->time_base;
    check_av(avcodec_open2(decoder.get(), codec, nullptr), "cannot open the music's audio decoder");

    Decoded out;
    // Held once: reserved from the declared length (with 1% and a second to spare, for a header
    // that is a little off) so the vector does not double past it; appended from a frame-sized
    // staging buffer, only as far as the programme needs. Without a declared length it grows.
    const double declared = stream->duration != AV_NOPTS_VALUE ? double(stream->duration) * av_q2d(stream->time_base)
                            : input->duration != AV_NOPTS_VALUE ? double(input->duration) / AV_TIME_BASE
                                                                 : 0.0;
    const auto expected =
        std::min<std::int64_t>(frames_wanted, std::int64_t(std::max(0.0, declared) * 1.01 * sample_rate) + sample_rate);
    out.samples.reserve(std::size_t(expected) * std::size_t(channels));
    std::vector<float> staging;

    media::SwrContextPtr resampler;
    AVChannelLayout out_layout{};
    av_channel_layout_default(&out_layout, channels);
    struct Format {
        int format = -1, sample_rate = 0, channels = 0;
        bool operator==(const Format&) const = default;
    };
    std::optional<Format> first;
    std::int64_t source_frames = 0;
    // MP4/MOV declare the audio's length in the edit list, and FFmpeg 5.1's demuxer trims the
    // encoder's priming by it but not its padding at the end (AAC: up to 1024 samples of near
    // silence, a gap in every loop): the samples past the declared length are left out. Other
    // containers mark both ends on the packets (MP3's LAME header, Opus, Matroska) or have none.
    std::int64_t source_limit = std::numeric_limits<std::int64_t>::max();
    if (std::string_view(input->iformat->name).find("mp4") != std::string_view::npos && stream->duration > 0 &&
        stream->codecpar->sample_rate > 0)
        source_limit = av_rescale_q(stream->duration, stream->time_base, AVRational{1, stream->codecpar->sample_rate});
    auto convert = [&](const AVFrame* f, int in_frames) {
        const int capacity = swr_get_out_samples(resampler.get(), in_frames) + 16;
        staging.resize(std::size_t(capacity) * std::size_t(channels));
        uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(staging.data())};
        const int converted =
            check_av(swr_convert(resampler.get(), dst, capacity, f ? const_cast<const uint8_t**>(f->extended_data) : nullptr,
                                 in_frames),
                     "swr_convert (music)");
        const std::int64_t used = std::min<std::int64_t>(converted, frames_wanted - out.frames);
        out.samples.insert(out.samples.end(), staging.begin(), staging.begin() + std::ptrdiff_t(used * channels));
        out.frames += used;
    };
    auto take = [&](const AVFrame* f) {
        const Format format{f->format, f->sample_rate, f->ch_layout.nb_channels};
        if (!first) {
            first = format;
            SwrContext* swr = nullptr;
            check_av(swr_alloc_set_opts2(&swr, &out_layout, AV_SAMPLE_FMT_FLT, sample_rate,
                                         const_cast<AVChannelLayout*>(&f->ch_layout), AVSampleFormat(f->format),
                                         f->sample_rate, 0, nullptr),
                     "swr_alloc_set_opts2 (music)");
            resampler.reset(swr);
            check_av(swr_init(swr), "swr_init (music)");
        }
        if (!(format == *first)) {
            log::debug("music frame dropped: its sample format, rate or channels changed mid-stream");
            return;
        }
        const int keep = int(std::clamp<std::int64_t>(source_limit - source_frames, 0, f->nb_samples));
        source_frames += keep;
        if (keep > 0) convert(f, keep);
    };
    media::PacketPtr packet = media::make_packet();
    media::FramePtr frame = media::make_frame();
    auto drain = [&] {
        for (;;) {
            const int r = avcodec_receive_frame(decoder.get(), frame.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            if (r < 0) {
                log::debug("music frame lost: " + av_error_text(r));
                return;
            }
            take(frame.get());
            av_frame_unref(frame.get());
        }
    };
    while (out.frames < frames_wanted && (ret = av_read_frame(input.get(), packet.get())) >= 0) {
        if (packet->stream_index == stream_index) {
            const int sent = avcodec_send_packet(decoder.get(), packet.get());
            if (sent < 0) log::debug("music packet dropped: " + av_error_text(sent));
            else drain();
        }
        av_packet_unref(packet.get());
    }
    if (out.frames < frames_wanted) {
        out.whole = true;
        if (ret < 0 && ret != AVERROR_EOF)
            throw Error(ErrorDomain::input, "music.source: cannot read " + name + " to the end", ret, av_error_text(ret));
        avcodec_send_packet(decoder.get(), nullptr);
        drain();
        if (resampler) convert(nullptr, 0);  // what the resampler still holds
    }
    if (!first && frames_wanted > 0)
        throw Error(ErrorDomain::input, "music.source: " + name, 0, "its audio stream decodes to nothing");
    // Its own length: as decoded when it ended within the programme, else as its header says.
    if (first) out.source_seconds = double(source_frames) / first->sample_rate;
    if (out.frames >= frames_wanted) out.source_seconds = std::max(out.source_seconds, declared);
    return out;
}

}  // namespace

const OptionTable<MusicParams>& music_options() {
    static const OptionTable<MusicParams> table{"music", rows, cross_check};
    return table;
}

void to_json(nlohmann::json& j, const MusicParams& p) { j = write_options(music_options(), p); }
void from_json(const nlohmann::json& j, MusicParams& p) {
    MusicParams parsed;
    read_nested_options(music_options(), j, parsed);
    p = parsed;
}

void to_json(nlohmann::json& j, const MusicReport& r) {
    j = json{{"source", r.source.string()},
             {"source_seconds", rounded(r.source_seconds)},
             {"source_lufs", rounded(r.source_lufs)},
             {"gain_db", rounded(r.gain_db)},
             {"loops", r.loops},
             {"speech_lufs", rounded(r.speech_lufs)},
             {"pause_lufs", rounded(r.pause_lufs)},
             {"ducking_db", rounded(r.pause_lufs - r.speech_lufs)},
             {"speech_seconds", rounded(r.speech_seconds)},
             {"pause_seconds", rounded(r.pause_seconds)}};
}

MusicBed::MusicBed(const MusicParams& p, int sample_rate, int channels, std::int64_t programme_frames)
    : params_(p), sample_rate_(sample_rate), channels_(channels), programme_frames_(programme_frames) {
    if (sample_rate < 1 || channels < 1 || channels > 2 || programme_frames < 0)
        throw_usage("music: needs a sample rate, one or two channels and a programme length (got " +
                    std::to_string(sample_rate) + " Hz, " + std::to_string(channels) + " channels, " +
                    std::to_string(programme_frames) + " frames)");
    if (p.source.empty()) throw_usage("music.source: is required (the music file)");

    Decoded decoded = decode_music(p.source, sample_rate, channels, programme_frames);
    music_ = std::move(decoded.samples);
    music_frames_ = decoded.frames;
    music_whole_ = decoded.whole;
    source_seconds_ = decoded.source_seconds;
    media::LoudnessMeter meter(channels, sample_rate);
    meter.add(music_.data(), std::size_t(music_frames_));
    source_lufs_ = meter.reading().integrated_lufs;
    gain_db_ = std::isfinite(source_lufs_) ? p.level_lufs - source_lufs_ : 0.0;
    gain_ = float(std::pow(10.0, gain_db_ / 20.0));

    window_.assign(std::size_t(std::max(1L, std::lround(music_voice_window_seconds * sample_rate))), 0.0);
    gate_sum_ = std::pow(10.0, music_voice_gate_dbfs / 10.0) * double(window_.size());
    const double attack_frames = p.attack_seconds * sample_rate, release_frames = p.release_seconds * sample_rate;
    attack_step_ = attack_frames >= 1 ? p.duck_db / attack_frames : p.duck_db + 1;
    release_step_ = release_frames >= 1 ? p.duck_db / release_frames : p.duck_db + 1;
    fade_in_frames_ = std::llround(p.fade_in_seconds * sample_rate);
    fade_out_frames_ = std::llround(p.fade_out_seconds * sample_rate);

    // K-weighting after BS.1770 at any rate (libebur128's derivation of the filters).
    const double pi = std::numbers::pi;
    {
        const double f0 = 1681.974450955533, G = 3.999843853973347, Q = 0.7071752369554196;
        const double K = std::tan(pi * f0 / sample_rate);
        const double Vh = std::pow(10.0, G / 20.0), Vb = std::pow(Vh, 0.4996667741545416);
        const double a0 = 1.0 + K / Q + K * K;
        shelf_ = {(Vh + Vb * K / Q + K * K) / a0, 2.0 * (K * K - Vh) / a0, (Vh - Vb * K / Q + K * K) / a0,
                  2.0 * (K * K - 1.0) / a0, (1.0 - K / Q + K * K) / a0};
    }
    {
        const double f0 = 38.13547087602444, Q = 0.5003270373238773;
        const double K = std::tan(pi * f0 / sample_rate);
        const double a0 = 1.0 + K / Q + K * K;
        highpass_ = {1.0, -2.0, 1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - K / Q + K * K) / a0};
    }
    block_frames_ = std::max(1L, std::lround(0.4 * sample_rate));
}

void MusicBed::mix(float* voice, int frames) {
    const std::size_t window_size = window_.size();
    const double duck_db = params_.duck_db;
    for (int i = 0; i < frames; ++i, ++position_) {
        float* s = voice + std::ptrdiff_t(i) * channels_;
        // The sidechain: is the voice speaking over the last window?
        double square = 0;
        for (int c = 0; c < channels_; ++c) square += double(s[c]) * double(s[c]);
        square /= channels_;
        window_sum_ += square - window_[window_at_];
        window_[window_at_] = square;
        if (++window_at_ == window_size) {
            window_at_ = 0;
            window_sum_ = 0;  // summed afresh once a window: no drift from adding and taking away
            for (double w : window_) window_sum_ += w;
        }
        const bool speaking = window_sum_ > gate_sum_;
        const double target = speaking ? -duck_db : 0.0;
        if (duck_ != target) {
            duck_ = duck_ > target ? std::max(target, duck_ - attack_step_) : std::min(target, duck_ + release_step_);
            duck_gain_ = float(std::pow(10.0, duck_ / 20.0));
        }
        if (position_ >= programme_frames_) continue;

        // The music's frame: looped, or silence after its end.
        std::int64_t at = position_;
        if (at >= music_frames_) at = params_.loop && music_frames_ > 0 ? at % music_frames_ : -1;
        double fade = 1.0;
        if (position_ < fade_in_frames_) fade = fade_curve(double(position_) / double(fade_in_frames_));
        if (const std::int64_t left = programme_frames_ - position_; left < fade_out_frames_)
            fade = std::min(fade, fade_curve(double(left) / double(fade_out_frames_)));
        const float g = float(double(gain_ * duck_gain_) * fade);

        double energy = 0;
        for (int c = 0; c < channels_; ++c) {
            const float m = at >= 0 ? music_[std::size_t(at) * std::size_t(channels_) + std::size_t(c)] * g : 0.0f;
            s[c] += m;
            // K-weighted for the report (transposed direct form II, two stages).
            double* z = k_state_[c];
            const double x = m;
            const double y1 = shelf_.b0 * x + z[0];
            z[0] = shelf_.b1 * x - shelf_.a1 * y1 + z[1];
            z[1] = shelf_.b2 * x - shelf_.a2 * y1;
            const double y2 = highpass_.b0 * y1 + z[2];
            z[2] = highpass_.b1 * y1 - highpass_.a1 * y2 + z[3];
            z[3] = highpass_.b2 * y1 - highpass_.a2 * y2;
            energy += y2 * y2;
        }
        block_energy_ += energy;
        block_speaking_ += speaking;
        block_in_fade_ = block_in_fade_ || fade < 1.0;
        if (++block_filled_ == block_frames_) {
            close_block(class_energy_, class_frames_);
            block_energy_ = 0;
            block_filled_ = block_speaking_ = 0;
            block_in_fade_ = false;
        }
    }
}

void MusicBed::close_block(double (&energy)[2], std::int64_t (&frames)[2]) const {
    if (block_filled_ == 0 || block_in_fade_) return;
    if (to_lufs(block_energy_, block_filled_) < -70.0) return;  // silence: the music is over
    const int which = 2 * block_speaking_ >= block_filled_ ? 0 : 1;
    energy[which] += block_energy_;
    frames[which] += block_filled_;
}

void MusicBed::set_programme_frames(std::int64_t frames) {
    if (frames < 0) throw_usage("music: a programme length of " + std::to_string(frames) + " frames");
    if (frames > music_frames_ && !music_whole_ && frames > programme_frames_)
        throw_usage("music: the programme grew to " + std::to_string(frames) + " frames, past the " +
                    std::to_string(music_frames_) + " of music held for it");
    programme_frames_ = frames;
}

void MusicBed::restart() {
    position_ = 0;
    std::fill(window_.begin(), window_.end(), 0.0);
    window_at_ = 0;
    window_sum_ = 0;
    duck_ = 0;
    duck_gain_ = 1.0f;
    for (auto& channel : k_state_) std::fill(std::begin(channel), std::end(channel), 0.0);
    block_filled_ = block_speaking_ = 0;
    block_energy_ = 0;
    block_in_fade_ = false;
    for (int i = 0; i < 2; ++i) {
        class_energy_[i] = 0;
        class_frames_[i] = 0;
    }
}

MusicReport MusicBed::report() const {
    double energy[2] = {class_energy_[0], class_energy_[1]};
    std::int64_t frames[2] = {class_frames_[0], class_frames_[1]};
    close_block(energy, frames);  // the block under way, as far as it goes
    MusicReport r;
    r.source = params_.source;
    r.source_seconds = source_seconds_;
    r.source_lufs = source_lufs_;
    r.gain_db = gain_db_;
    const std::int64_t played = std::min(position_, programme_frames_);
    r.loops = music_frames_ > 0 && params_.loop && played > music_frames_ ? int((played - 1) / music_frames_) : 0;
    r.speech_lufs = to_lufs(energy[0], frames[0]);
    r.pause_lufs = to_lufs(energy[1], frames[1]);
    r.speech_seconds = double(frames[0]) / sample_rate_;
    r.pause_seconds = double(frames[1]) / sample_rate_;
    return r;
}

}  // namespace avpost::filters
