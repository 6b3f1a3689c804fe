#include "avpost/media/media_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::media {
namespace {

// Everything here writes the output: failures are output errors (their own exit code).
int check_output(int ret, const std::string& context) {
    if (ret < 0) throw OutputError(ErrorDomain::av, context, ret, av_error_text(ret));
    return ret;
}

}  // namespace

struct MediaWriter::State {
    std::string path;
    OutputFormatPtr output;
    PacketPtr packet;        // video encoder output
    PacketPtr audio_packet;  // audio encoder output (audio may arrive on a decoding thread)
    PacketPtr copied_packet; // a reference to a stream-copied packet, retimed for this output
    std::map<std::string, std::string> muxer_options;
    std::mutex mux_mutex;    // the muxer is shared by the video and audio paths

    CodecContextPtr video_encoder;
    AVStream* video_stream = nullptr;
    CodecParametersPtr video_parameters;  // what the stream carries, as the encoder made it
    AVRational copy_time_base{1, 1};      // of the stream's timestamps as add_video_copy got them
    VideoPacketObserver video_observer;
    PacketPtr copied_video_packet;        // a reference to a copied video packet, retimed
    std::int64_t video_frames = 0;

    enum class AudioMode { none, copy, encode } audio_mode = AudioMode::none;
    AVStream* audio_stream = nullptr;
    AVRational audio_copy_source_tb{1, 1};
    std::int64_t last_copied_dts = AV_NOPTS_VALUE;  // in the output stream's time base
    CodecContextPtr audio_encoder;
    SwrContextPtr resampler;
    AudioFifoPtr fifo;
    FramePtr audio_frame;
    FramePtr resample_staging;  // reused: grows only when a longer input frame arrives
    std::int64_t audio_next_pts = AV_NOPTS_VALUE;
    CodecContextPtr subtitle_encoder;
    AVStream* subtitle_stream = nullptr;
    std::vector<std::uint8_t> subtitle_buffer;  // one encoded cue
    PacketPtr subtitle_packet;
    bool begun = false;
    bool finished = false;

    void drain(AVCodecContext* encoder, AVStream* stream, AVPacket* out) {
        for (;;) {
            int ret = avcodec_receive_packet(encoder, out);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
            check_output(ret, "avcodec_receive_packet (" + std::string(encoder->codec->name) + ")");
            if (encoder == video_encoder.get() && video_observer) video_observer(out, encoder->time_base);
            av_packet_rescale_ts(out, encoder->time_base, stream->time_base);
            out->stream_index = stream->index;
            std::lock_guard lock(mux_mutex);
            check_output(av_interleaved_write_frame(output.get(), out), "write packet to '" + path + "'");
        }
    }

    void send_audio_from_fifo(int samples) {
        AVFrame* frame = audio_frame.get();
        if (frame->buf[0] && frame->nb_samples == samples) {
            // Same size as last time: reuse the buffer unless the encoder still holds it.
            check_output(av_frame_make_writable(frame), "av_frame_make_writable (audio)");
        } else {
            av_frame_unref(frame);
            frame->nb_samples = samples;
            frame->format = audio_encoder->sample_fmt;
            frame->sample_rate = audio_encoder->sample_rate;
            check_output(av_channel_layout_copy(&frame->ch_layout, &audio_encoder->ch_layout), "av_channel_layout_copy");
            check_output(av_frame_get_buffer(frame, 0), "av_frame_get_buffer (audio)");
        }
        if (av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(frame->data), samples) < samples)
            throw_av("av_audio_fifo_read", AVERROR_BUG);
        frame->pts = audio_next_pts;
        audio_next_pts += samples;
        check_output(avcodec_send_frame(audio_encoder.get(), frame), "avcodec_send_frame (audio)");
        drain(audio_encoder.get(), audio_stream, audio_packet.get());
    }
};

namespace {

const AVOutputFormat* guess_container(const std::string& hint) {
    const AVOutputFormat* format = nullptr;
    if (hint.find('.') != std::string::npos) format = av_guess_format(nullptr, hint.c_str(), nullptr);
    if (!format) format = av_guess_format(hint.c_str(), nullptr, nullptr);
    return format;
}

AVPixelFormat pick_pixel_format(const AVCodec* codec) {
    if (!codec->pix_fmts) return AV_PIX_FMT_YUV420P;
    for (const AVPixelFormat* f = codec->pix_fmts; *f != AV_PIX_FMT_NONE; ++f)
        if (*f == AV_PIX_FMT_YUV420P) return *f;
    return avcodec_find_best_pix_fmt_of_list(codec->pix_fmts, AV_PIX_FMT_YUV420P, 0, nullptr);
}

bool container_accepts(const AVOutputFormat* format, AVCodecID codec) {
    return avformat_query_codec(format, codec, FF_COMPLIANCE_NORMAL) == 1;
}

}  // namespace

bool video_encoder_exists(const std::string& name) {
    const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
    return codec && codec->type == AVMEDIA_TYPE_VIDEO;
}

MediaWriter::MediaWriter(const std::string& path, const std::string& format_hint) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.path = path;
    s.packet = make_packet();
    s.audio_packet = make_packet();
    s.copied_packet = make_packet();
    const AVOutputFormat* format = guess_container(format_hint);
    if (!format) throw_usage("cannot tell the container format of '" + format_hint + "' (use .mp4, .mkv, .mov, .webm)");
    AVFormatContext* raw = nullptr;
    check_output(avformat_alloc_output_context2(&raw, format, nullptr, path.c_str()), "avformat_alloc_output_context2");
    s.output.reset(raw);
    // The same frames make the same bytes: without this the Matroska/WebM muxer writes the date
    // and random segment and track UIDs, so every encode differed (and was archived again).
    s.output->flags |= AVFMT_FLAG_BITEXACT;
}

MediaWriter::~MediaWriter() {
    // An encoder dropped unfinished (an error elsewhere, before or during the frames) still gets
    // its end of stream: SVT-AV1 otherwise waits for it forever when closed.
    State& s = *state_;
    if (s.finished) return;
    if (s.video_encoder && avcodec_send_frame(s.video_encoder.get(), nullptr) >= 0)
        while (avcodec_receive_packet(s.video_encoder.get(), s.packet.get()) >= 0) av_packet_unref(s.packet.get());
    // FFmpeg 5.1's HLS muxer frees its inner muxer's buffers and the open segment only in its
    // trailer, not in deinit: an abandoned HLS output is closed through it (into the sink's
    // temporary directory, removed after) or every failed delivery would leak them.
    if (s.begun && std::string_view(s.output->oformat->name) == "hls") {
        av_write_trailer(s.output.get());
        if (s.output->pb) avio_closep(&s.output->pb);
    }
}

void MediaWriter::add_video(const VideoEncodeSettings& settings) {
    State& s = *state_;
    const AVCodec* codec = avcodec_find_encoder_by_name(settings.codec.c_str());
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
        throw_usage("unknown video encoder '" + settings.codec + "' (see `ffmpeg -encoders`)");
    if (settings.width <= 0 || settings.height <= 0)
        throw_usage("output size " + std::to_string(settings.width) + "x" + std::to_string(settings.height) +
                    " is empty");
    s.video_encoder.reset(avcodec_alloc_context3(codec));
    if (!s.video_encoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    AVCodecContext* enc = s.video_encoder.get();
    enc->width = settings.width;
    enc->height = settings.height;
    enc->pix_fmt = settings.pixel_format.value_or(pick_pixel_format(codec));
    enc->time_base = settings.time_base;
    enc->framerate = settings.frame_rate;
    enc->sample_aspect_ratio = AVRational{1, 1};
    enc->colorspace = settings.colorspace;
    enc->color_primaries = settings.primaries;
    enc->color_trc = settings.transfer;
    enc->color_range = settings.range;
    enc->thread_count = 0;
    if (s.output->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary* options = nullptr;
    if (settings.crf) av_dict_set_int(&options, "crf", *settings.crf, 0);
    if (!settings.preset.empty()) av_dict_set(&options, "preset", settings.preset.c_str(), 0);
    for (const auto& [key, value] : settings.options) av_dict_set(&options, key.c_str(), value.c_str(), 0);
    int ret = avcodec_open2(enc, codec, &options);
    const AVDictionaryEntry* unused = av_dict_get(options, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    std::string unused_name = unused ? unused->key : "";
    av_dict_free(&options);
    check_output(ret, "cannot open encoder '" + settings.codec + "' at " + std::to_string(settings.width) + "x" +
                          std::to_string(settings.height));
    if (!unused_name.empty()) log::warning("encoder '" + settings.codec + "' has no option '" + unused_name + "'");

    s.video_stream = avformat_new_stream(s.output.get(), nullptr);
    if (!s.video_stream) throw_av("avformat_new_stream", AVERROR(ENOMEM));
    check_output(avcodec_parameters_from_context(s.video_stream->codecpar, enc), "avcodec_parameters_from_context");
    s.video_stream->time_base = enc->time_base;
    s.video_stream->avg_frame_rate = settings.frame_rate;
    if (settings.codec_tag) s.video_stream->codecpar->codec_tag = settings.codec_tag;
    s.video_parameters.reset(avcodec_parameters_alloc());
    if (!s.video_parameters) throw_av("avcodec_parameters_alloc", AVERROR(ENOMEM));
    check_output(avcodec_parameters_from_context(s.video_parameters.get(), enc), "avcodec_parameters_from_context");
    // Tests count these lines to see which encodes ran (a shared encode opens no second one).
    log::debug("video encoder " + settings.codec + " opened at " + std::to_string(settings.width) + "x" +
               std::to_string(settings.height));
}

void MediaWriter::add_video_copy(const AVCodecParameters* parameters, AVRational time_base, AVRational frame_rate,
                                 std::uint32_t codec_tag) {
    State& s = *state_;
    // 0 is a sure no; muxers without a codec list (hls) answer with an error and are tried.
    if (avformat_query_codec(s.output->oformat, parameters->codec_id, FF_COMPLIANCE_NORMAL) == 0)
        throw_usage(std::string("container '") + s.output->oformat->name + "' does not take " +
                    avcodec_get_name(parameters->codec_id) + " video");
    s.video_stream = avformat_new_stream(s.output.get(), nullptr);
    if (!s.video_stream) throw_av("avformat_new_stream", AVERROR(ENOMEM));
    check_output(avcodec_parameters_copy(s.video_stream->codecpar, parameters), "avcodec_parameters_copy");
    s.video_stream->codecpar->codec_tag = codec_tag;
    s.video_stream->time_base = time_base;
    s.video_stream->avg_frame_rate = frame_rate;
    s.video_parameters.reset(avcodec_parameters_alloc());
    if (!s.video_parameters) throw_av("avcodec_parameters_alloc", AVERROR(ENOMEM));
    check_output(avcodec_parameters_copy(s.video_parameters.get(), parameters), "avcodec_parameters_copy");
    s.copy_time_base = time_base;
    s.copied_video_packet = make_packet();
}

void MediaWriter::on_video_packet(VideoPacketObserver observer) { state_->video_observer = std::move(observer); }

bool MediaWriter::add_audio_copy(const AVStream* source) {
    State& s = *state_;
    if (!container_accepts(s.output->oformat, source->codecpar->codec_id)) return false;
    s.audio_stream = avformat_new_stream(s.output.get(), nullptr);
    if (!s.audio_stream) throw_av("avformat_new_stream", AVERROR(ENOMEM));
    check_output(avcodec_parameters_copy(s.audio_stream->codecpar, source->codecpar), "avcodec_parameters_copy");
    s.audio_stream->codecpar->codec_tag = 0;  // the source container's tag may mean nothing here
    s.audio_stream->time_base = source->time_base;
    s.audio_mode = State::AudioMode::copy;
    return true;
}

void MediaWriter::add_audio_encode(const AudioEncodeSettings& settings) {
    State& s = *state_;
    std::string name = settings.codec;
    if (name.empty()) {
        if (container_accepts(s.output->oformat, AV_CODEC_ID_AAC)) name = "aac";
        else if (container_accepts(s.output->oformat, AV_CODEC_ID_OPUS)) name = "libopus";
        else throw_usage(std::string("container '") + s.output->oformat->name + "' takes neither AAC nor Opus audio");
    }
    const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
    if (!codec || codec->type != AVMEDIA_TYPE_AUDIO) throw_usage("unknown audio encoder '" + name + "'");
    s.audio_encoder.reset(avcodec_alloc_context3(codec));
    if (!s.audio_encoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    AVCodecContext* enc = s.audio_encoder.get();
    enc->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
    int rate = settings.sample_rate;
    if (codec->supported_samplerates) {
        int best = codec->supported_samplerates[0];
        for (const int* r = codec->supported_samplerates; *r; ++r)
            if (*r == rate) best = rate;
        rate = best;
    }
    enc->sample_rate = rate;
    av_channel_layout_default(&enc->ch_layout, settings.channels);
    enc->bit_rate = settings.bit_rate;
    enc->time_base = AVRational{1, rate};
    if (s.output->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    check_output(avcodec_open2(enc, codec, nullptr), "cannot open audio encoder '" + name + "'");
    s.audio_stream = avformat_new_stream(s.output.get(), nullptr);
    if (!s.audio_stream) throw_av("avformat_new_stream", AVERROR(ENOMEM));
    check_output(avcodec_parameters_from_context(s.audio_stream->codecpar, enc), "avcodec_parameters_from_context");
    s.audio_stream->time_base = enc->time_base;
    s.fifo.reset(av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels, 4096));
    if (!s.fifo) throw_av("av_audio_fifo_alloc", AVERROR(ENOMEM));
    s.audio_frame = make_frame();
    s.audio_mode = State::AudioMode::encode;
}

namespace {

// What the text subtitle encoders parse their styles from: one default style (players style
// soft captions themselves) and the event format the cues are written in.
constexpr const char* subtitle_ass_header =
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\nScaledBorderAndShadow: yes\n\n"
    "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
    "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n"
    "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n";

}  // namespace

bool MediaWriter::add_subtitles() {
    State& s = *state_;
    AVCodecID id = AV_CODEC_ID_NONE;
    for (AVCodecID candidate : {AV_CODEC_ID_MOV_TEXT, AV_CODEC_ID_WEBVTT})
        if (container_accepts(s.output->oformat, candidate)) {
            id = candidate;
            break;
        }
    if (id == AV_CODEC_ID_NONE) return false;
    const AVCodec* codec = avcodec_find_encoder(id);
    if (!codec) return false;
    s.subtitle_encoder.reset(avcodec_alloc_context3(codec));
    if (!s.subtitle_encoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    AVCodecContext* enc = s.subtitle_encoder.get();
    enc->time_base = AVRational{1, 1000};
    const std::size_t header_size = std::strlen(subtitle_ass_header);
    enc->subtitle_header = static_cast<uint8_t*>(av_mallocz(header_size + 1));  // freed with the context
    if (!enc->subtitle_header) throw_av("av_mallocz", AVERROR(ENOMEM));
    std::memcpy(enc->subtitle_header, subtitle_ass_header, header_size);
    enc->subtitle_header_size = int(header_size);
    check_output(avcodec_open2(enc, codec, nullptr), std::string("cannot open subtitle encoder '") + codec->name + "'");
    s.subtitle_stream = avformat_new_stream(s.output.get(), nullptr);
    if (!s.subtitle_stream) throw_av("avformat_new_stream", AVERROR(ENOMEM));
    check_output(avcodec_parameters_from_context(s.subtitle_stream->codecpar, enc), "avcodec_parameters_from_context");
    s.subtitle_stream->time_base = enc->time_base;
    s.subtitle_buffer.resize(64 * 1024);
    s.subtitle_packet = make_packet();
    return true;
}

bool MediaWriter::has_subtitles() const { return state_->subtitle_stream != nullptr; }

void MediaWriter::write_subtitle(double start_seconds, double end_seconds, const std::string& text) {
    State& s = *state_;
    if (!s.subtitle_stream) return;
    // The encoders take an ASS event: ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text.
    std::string event = "0,0,Default,,0,0,0,,";
    for (char c : text) {
        if (c == '\n') event += "\\N";
        else event += c;
    }
    const std::int64_t start_ms = std::llround(start_seconds * 1000.0);
    const std::int64_t duration_ms = std::max<std::int64_t>(1, std::llround(end_seconds * 1000.0) - start_ms);
    AVSubtitleRect rect{};
    rect.type = SUBTITLE_ASS;
    rect.ass = event.data();
    AVSubtitleRect* rects[1] = {&rect};
    AVSubtitle subtitle{};
    subtitle.format = 1;  // text
    subtitle.start_display_time = 0;
    subtitle.end_display_time = std::uint32_t(duration_ms);
    subtitle.num_rects = 1;
    subtitle.rects = rects;
    subtitle.pts = av_rescale_q(start_ms, AVRational{1, 1000}, AV_TIME_BASE_Q);
    const int size = avcodec_encode_subtitle(s.subtitle_encoder.get(), s.subtitle_buffer.data(),
                                             int(s.subtitle_buffer.size()), &subtitle);
    check_output(size, "avcodec_encode_subtitle");
    AVPacket* packet = s.subtitle_packet.get();
    check_output(av_new_packet(packet, size), "av_new_packet (subtitle)");
    std::memcpy(packet->data, s.subtitle_buffer.data(), std::size_t(size));
    packet->pts = packet->dts = start_ms;
    packet->duration = duration_ms;
    av_packet_rescale_ts(packet, AVRational{1, 1000}, s.subtitle_stream->time_base);
    packet->stream_index = s.subtitle_stream->index;
    std::lock_guard lock(s.mux_mutex);
    check_output(av_interleaved_write_frame(s.output.get(), packet), "write subtitle to '" + s.path + "'");
}

void MediaWriter::set_muxer_option(const std::string& key, const std::string& value) {
    state_->muxer_options[key] = value;
}

void MediaWriter::begin() {
    State& s = *state_;
    if (!(s.output->oformat->flags & AVFMT_NOFILE)) {
        int ret = avio_open(&s.output->pb, s.path.c_str(), AVIO_FLAG_WRITE);
        if (ret < 0) throw OutputError(ErrorDomain::av, "cannot write '" + s.path + "'", ret, av_error_text(ret));
    }
    AVDictionary* options = nullptr;
    std::string_view name = s.output->oformat->name;
    // Web delivery: the index first so playback starts before the download ends.
    if (name.find("mp4") != std::string_view::npos || name.find("mov") != std::string_view::npos)
        av_dict_set(&options, "movflags", "+faststart", 0);
    for (const auto& [key, value] : s.muxer_options) av_dict_set(&options, key.c_str(), value.c_str(), 0);
    int ret = avformat_write_header(s.output.get(), &options);
    av_dict_free(&options);
    check_output(ret, "avformat_write_header ('" + s.path + "')");
    s.begun = true;
}

AVPixelFormat MediaWriter::video_pixel_format() const {
    return state_->video_encoder ? state_->video_encoder->pix_fmt : AVPixelFormat(state_->video_parameters->format);
}
const AVCodecParameters* MediaWriter::video_parameters() const { return state_->video_parameters.get(); }
AVRational MediaWriter::audio_time_base() const {
    return state_->audio_encoder ? state_->audio_encoder->time_base : AVRational{1, 1};
}
bool MediaWriter::has_audio() const { return state_->audio_mode != State::AudioMode::none; }
std::string MediaWriter::audio_codec_name() const {
    if (!state_->audio_stream) return "none";
    return avcodec_get_name(state_->audio_stream->codecpar->codec_id);
}
std::int64_t MediaWriter::video_frames_written() const { return state_->video_frames; }

void MediaWriter::write_video(const AVFrame* frame) {
    State& s = *state_;
    check_output(avcodec_send_frame(s.video_encoder.get(), frame), "avcodec_send_frame (video)");
    ++s.video_frames;
    s.drain(s.video_encoder.get(), s.video_stream, s.packet.get());
}

void MediaWriter::write_video_packet(const AVPacket* source, AVRational source_time_base) {
    State& s = *state_;
    if (!s.copied_video_packet) throw_usage("write_video_packet needs a stream from add_video_copy");
    std::lock_guard lock(s.mux_mutex);
    AVPacket* packet = s.copied_video_packet.get();
    check_output(av_packet_ref(packet, source), "av_packet_ref (video)");  // a reference, not a copy
    av_packet_rescale_ts(packet, source_time_base, s.video_stream->time_base);
    packet->stream_index = s.video_stream->index;
    packet->pos = -1;
    ++s.video_frames;
    check_output(av_interleaved_write_frame(s.output.get(), packet), "write video packet to '" + s.path + "'");
}

void MediaWriter::write_audio_packet(const AVPacket* source, AVRational source_time_base) {
    State& s = *state_;
    if (s.audio_mode != State::AudioMode::copy) return;
    std::lock_guard lock(s.mux_mutex);
    AVPacket* packet = s.copied_packet.get();
    check_output(av_packet_ref(packet, source), "av_packet_ref (audio)");  // a reference, not a copy
    av_packet_rescale_ts(packet, source_time_base, s.audio_stream->time_base);
    // A damaged source can repeat or reorder timestamps, which the muxer refuses: the fault is
    // the input's and the packet is dropped (audio decoders conceal a lost packet).
    if (packet->dts != AV_NOPTS_VALUE) {
        const bool repeated = s.last_copied_dts != AV_NOPTS_VALUE && packet->dts <= s.last_copied_dts;
        if (repeated || (packet->pts != AV_NOPTS_VALUE && packet->pts < packet->dts)) {
            log::debug("audio packet dropped: its timestamp does not follow the one before");
            av_packet_unref(packet);
            return;
        }
        s.last_copied_dts = packet->dts;
    }
    packet->stream_index = s.audio_stream->index;
    packet->pos = -1;
    check_output(av_interleaved_write_frame(s.output.get(), packet), "write audio packet to '" + s.path + "'");
}

void MediaWriter::write_audio_frame(const AVFrame* frame, AVRational source_time_base) {
    State& s = *state_;
    if (s.audio_mode != State::AudioMode::encode) return;
    AVCodecContext* enc = s.audio_encoder.get();
    if (!s.resampler) {
        SwrContext* raw = nullptr;
        check_output(swr_alloc_set_opts2(&raw, &enc->ch_layout, enc->sample_fmt, enc->sample_rate, const_cast<AVChannelLayout*>(&frame->ch_layout),
                                     AVSampleFormat(frame->format), frame->sample_rate, 0, nullptr),
                 "swr_alloc_set_opts2");
        s.resampler.reset(raw);
        check_output(swr_init(raw), "swr_init");
        s.audio_next_pts = frame->pts == AV_NOPTS_VALUE ? 0 : av_rescale_q(frame->pts, source_time_base, enc->time_base);
    }
    int capacity = swr_get_out_samples(s.resampler.get(), frame->nb_samples);
    check_output(av_audio_fifo_realloc(s.fifo.get(), av_audio_fifo_size(s.fifo.get()) + capacity), "av_audio_fifo_realloc");
    // Resample straight into a staging frame, then queue for the encoder's fixed frame size.
    if (!s.resample_staging || s.resample_staging->nb_samples < capacity) {
        s.resample_staging = make_frame();
        s.resample_staging->nb_samples = capacity;
        s.resample_staging->format = enc->sample_fmt;
        s.resample_staging->sample_rate = enc->sample_rate;
        check_output(av_channel_layout_copy(&s.resample_staging->ch_layout, &enc->ch_layout), "av_channel_layout_copy");
        check_output(av_frame_get_buffer(s.resample_staging.get(), 0), "av_frame_get_buffer (resample)");
    }
    AVFrame* staging = s.resample_staging.get();
    int converted = check_output(swr_convert(s.resampler.get(), staging->data, capacity,
                                         const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples),
                             "swr_convert");
    av_audio_fifo_write(s.fifo.get(), reinterpret_cast<void**>(staging->data), converted);
    int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
    while (av_audio_fifo_size(s.fifo.get()) >= frame_size) s.send_audio_from_fifo(frame_size);
}

void MediaWriter::finish() {
    State& s = *state_;
    if (!s.begun || s.finished) return;
    if (s.video_encoder) {
        check_output(avcodec_send_frame(s.video_encoder.get(), nullptr), "flush video encoder");
        s.drain(s.video_encoder.get(), s.video_stream, s.packet.get());
    }
    if (s.audio_mode == State::AudioMode::encode && s.resampler) {
        AVCodecContext* enc = s.audio_encoder.get();
        int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
        int remaining = av_audio_fifo_size(s.fifo.get());
        while (remaining > 0) {
            int n = std::min(remaining, frame_size);
            s.send_audio_from_fifo(n);
            remaining -= n;
        }
        check_output(avcodec_send_frame(enc, nullptr), "flush audio encoder");
        s.drain(enc, s.audio_stream, s.audio_packet.get());
    }
    check_output(av_write_trailer(s.output.get()), "av_write_trailer ('" + s.path + "')");
    if (s.output->pb) {
        int ret = avio_closep(&s.output->pb);
        if (ret < 0) throw OutputError(ErrorDomain::av, "cannot finish writing '" + s.path + "'", ret, av_error_text(ret));
    }
    s.finished = true;
}

}  // namespace avpost::media
