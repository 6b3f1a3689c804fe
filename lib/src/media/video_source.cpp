#include "avpost/media/video_source.hpp"

#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "avpost/core/error.hpp"
#include "avpost/media/media_probe.hpp"
#include "luma_only_buffers.hpp"

namespace avpost::media {

struct VideoSource::State {
    std::string path;
    std::string label;
    InputFormatPtr format;
    std::unique_ptr<LumaOnlyBuffers> luma_only;  // the decoder's get_buffer2 when set: outlives it
    CodecContextPtr decoder;
    PacketPtr packet;
    int video_index = -1;
    int audio_index = -1;
    std::function<void(AVPacket*)> audio_handler;
    VideoStreamInfo info;
    DecodeStats stats;
    bool demux_done = false;
    bool flush_sent = false;
    std::int64_t next_synthetic_pts = 0;
    std::int64_t last_pts = AV_NOPTS_VALUE;  // of the last frame handed out (since the last rewind)
    // The first frame, decoded early by first_frame_pts() and handed out by the next next().
    FramePtr held_first;
    bool holding_first = false;
    bool first_looked_at = false;
    std::optional<std::int64_t> first_pts;

    // Prefetch: a worker thread decodes ahead into a bounded queue of recycled frames.
    std::size_t prefetch_depth = 0;
    std::thread worker;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<FramePtr> ready;
    std::vector<FramePtr> spare;
    bool worker_finished = false;
    bool stop_requested = false;
    std::exception_ptr worker_error;

    std::string where() const { return label + " '" + path + "'"; }

    const AVCodec* codec = nullptr;
    bool decoding_started = false;
    bool luma_only_wanted = false;

    void open_decoder(int threads);
    bool decode_next(AVFrame* frame);
    void run_worker();
    void start_worker();
    void stop_worker();
};

namespace {

bool is_still_image_format(const AVFormatContext* format) {
    std::string_view name = format->iformat->name;
    return name.find("image2") != std::string_view::npos || name.ends_with("_pipe") || name == "webp";
}

double to_seconds(std::int64_t ts, AVRational tb) { return double(ts) * av_q2d(tb); }

}  // namespace

VideoSource::VideoSource(const std::string& path, std::string label) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.path = path;
    s.label = std::move(label);
    s.packet = make_packet();

    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (ret < 0) throw Error(ErrorDomain::input, "cannot open " + s.where(), ret, av_error_text(ret));
    s.format.reset(raw);
    ret = avformat_find_stream_info(s.format.get(), nullptr);
    if (ret < 0) throw Error(ErrorDomain::input, "cannot read " + s.where(), ret, av_error_text(ret));

    const AVCodec* codec = nullptr;
    ret = av_find_best_stream(s.format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret < 0 || !codec)
        throw Error(ErrorDomain::input, s.where() + " is not a video", ret < 0 ? ret : 0,
                    ret == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream" : "it has no video stream");
    s.video_index = ret;
    s.audio_index = av_find_best_stream(s.format.get(), AVMEDIA_TYPE_AUDIO, -1, s.video_index, nullptr, 0);
    // Unused streams are not even demuxed into packets.
    for (unsigned i = 0; i < s.format->nb_streams; ++i)
        if (int(i) != s.video_index && int(i) != s.audio_index) s.format->streams[i]->discard = AVDISCARD_ALL;

    AVStream* stream = s.format->streams[s.video_index];
    if (const AVCodec* better = best_video_decoder(stream)) codec = better;  // reads VP9's alpha too
    s.codec = codec;
    s.open_decoder(0);

    VideoStreamInfo& info = s.info;
    info.width = stream->codecpar->width;
    info.height = stream->codecpar->height;
    info.pixel_format = AVPixelFormat(stream->codecpar->format);
    info.time_base = stream->time_base;
    info.frame_rate = av_guess_frame_rate(s.format.get(), stream, nullptr);
    info.codec_id = stream->codecpar->codec_id;
    info.range = stream->codecpar->color_range;
    info.colorspace = stream->codecpar->color_space;
    info.still_image = is_still_image_format(s.format.get());
    info.has_alpha = stream_has_alpha(stream);
    if (stream->start_time != AV_NOPTS_VALUE) info.start_seconds = to_seconds(stream->start_time, stream->time_base);
    // A duration guessed from the bit rate (headerless formats) declares nothing.
    const bool guessed = s.format->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
        info.duration_seconds = to_seconds(stream->duration, stream->time_base);
        if (!guessed) info.declared_duration_seconds = info.duration_seconds;
    } else if (s.format->duration > 0) {
        // The container's span starts at its earliest stream; this stream's length runs from its own start.
        const double format_start = s.format->start_time != AV_NOPTS_VALUE ? double(s.format->start_time) / AV_TIME_BASE : 0.0;
        const double stream_offset = stream->start_time != AV_NOPTS_VALUE ? std::max(0.0, info.start_seconds - format_start) : 0.0;
        info.duration_seconds = std::max(0.0, double(s.format->duration) / AV_TIME_BASE - stream_offset);
        // The container's duration spans every stream (audio may run longer): the video's only
        // when it is alone.
        if (!guessed && s.format->nb_streams == 1) info.declared_duration_seconds = info.duration_seconds;
    }
    if (stream->nb_frames > 0)
        info.frame_count = stream->nb_frames;
    else if (info.frame_rate.num > 0 && info.duration_seconds > 0)
        info.frame_count = std::int64_t(std::llround(info.duration_seconds * av_q2d(info.frame_rate)));
    if (info.width <= 0 || info.height <= 0) throw_input(s.where() + " is not a video", "its video stream has no size");
}

VideoSource::~VideoSource() { state_->stop_worker(); }

void VideoSource::State::open_decoder(int threads) {
    const AVStream* stream = format->streams[video_index];
    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder.get(), stream->codecpar), "avcodec_parameters_to_context");
    decoder->pkt_timebase = stream->time_base;
    decoder->thread_count = threads;  // 0: libavcodec's choice, one per core plus one
    decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    luma_only.reset();
    if (luma_only_wanted && LumaOnlyBuffers::suits(decoder.get())) {
        luma_only = std::make_unique<LumaOnlyBuffers>(decoder.get());
        // One thread either way; without the frame-threading request libavcodec does not warn
        // about a get_buffer2 that is not thread-safe.
        decoder->thread_type = 0;
    }
    int ret = avcodec_open2(decoder.get(), codec, nullptr);
    if (ret < 0) throw Error(ErrorDomain::input, "cannot open decoder for " + where(), ret, av_error_text(ret));
}

void VideoSource::set_decoder_threads(int threads, bool luma_only) {
    State& s = *state_;
    if (s.decoding_started) throw std::logic_error("VideoSource::set_decoder_threads after decoding started");
    s.luma_only_wanted = luma_only;
    s.open_decoder(threads);
}

bool VideoSource::luma_only() const { return state_->luma_only != nullptr; }

const VideoStreamInfo& VideoSource::info() const { return state_->info; }
const std::string& VideoSource::label() const { return state_->label; }
const DecodeStats& VideoSource::stats() const { return state_->stats; }

const AVStream* VideoSource::audio_stream() const {
    return state_->audio_index >= 0 ? state_->format->streams[state_->audio_index] : nullptr;
}

void VideoSource::on_audio_packet(std::function<void(AVPacket*)> handler) { state_->audio_handler = std::move(handler); }

bool VideoSource::State::decode_next(AVFrame* frame) {
    State& s = *this;
    s.decoding_started = true;
    av_frame_unref(frame);
    for (;;) {
        int ret = avcodec_receive_frame(s.decoder.get(), frame);
        if (ret == 0) {
            std::int64_t ts = frame->best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE) ts = s.next_synthetic_pts;
            if (s.last_pts != AV_NOPTS_VALUE && ts <= s.last_pts) {
                // A damaged stream's decoder can hand out a frame again or out of order; every
                // consumer (pairing by time, encoders, muxers) needs time to move forward.
                ++s.stats.corrupt_frames;
                av_frame_unref(frame);
                continue;
            }
            if (frame->flags & AV_FRAME_FLAG_CORRUPT) ++s.stats.corrupt_frames;
            ++s.stats.frames;
            s.last_pts = ts;
            frame->pts = ts;
            std::int64_t step = frame->pkt_duration > 0 ? frame->pkt_duration
                                : s.info.frame_rate.num > 0
                                    ? av_rescale_q(1, av_inv_q(s.info.frame_rate), s.info.time_base)
                                    : 1;
            s.next_synthetic_pts = ts + std::max<std::int64_t>(step, 1);
            return true;
        }
        if (ret == AVERROR_EOF) return false;
        if (ret != AVERROR(EAGAIN)) {
            ++s.stats.errors;  // a frame lost inside a threaded decoder; keep going
            continue;
        }
        if (s.demux_done) {
            if (s.flush_sent) return false;
            s.flush_sent = true;
            avcodec_send_packet(s.decoder.get(), nullptr);
            continue;
        }
        ret = av_read_frame(s.format.get(), s.packet.get());
        if (ret < 0) {
            // A read error mid-file ends the stream like EOF; integrity is judged by frames lost.
            if (ret != AVERROR_EOF) ++s.stats.errors;
            s.demux_done = true;
            continue;
        }
        if (s.packet->stream_index == s.video_index) {
            ++s.stats.packets;
            ret = avcodec_send_packet(s.decoder.get(), s.packet.get());
            if (ret < 0 && ret != AVERROR(EAGAIN)) ++s.stats.errors;
        } else if (s.packet->stream_index == s.audio_index && s.audio_handler) {
            s.audio_handler(s.packet.get());
        }
        av_packet_unref(s.packet.get());
    }
}

void VideoSource::State::run_worker() {
    try {
        for (;;) {
            FramePtr frame;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return stop_requested || !spare.empty(); });
                if (stop_requested) break;
                frame = std::move(spare.back());
                spare.pop_back();
            }
            bool got = decode_next(frame.get());
            std::lock_guard lock(mutex);
            if (!got) {
                spare.push_back(std::move(frame));
                break;
            }
            ready.push_back(std::move(frame));
            changed.notify_all();
        }
    } catch (...) {
        std::lock_guard lock(mutex);
        worker_error = std::current_exception();
    }
    std::lock_guard lock(mutex);
    worker_finished = true;
    changed.notify_all();
}

void VideoSource::State::start_worker() {
    worker_finished = false;
    stop_requested = false;
    while (ready.size() + spare.size() < prefetch_depth) spare.push_back(make_frame());
    worker = std::thread([this] { run_worker(); });
}

void VideoSource::State::stop_worker() {
    if (!worker.joinable()) return;
    {
        std::lock_guard lock(mutex);
        stop_requested = true;
        changed.notify_all();
    }
    worker.join();
    for (auto& frame : ready) {
        av_frame_unref(frame.get());
        spare.push_back(std::move(frame));
    }
    ready.clear();
}

void VideoSource::enable_prefetch(std::size_t depth) {
    State& s = *state_;
    if (s.prefetch_depth > 0 || depth == 0) return;
    s.prefetch_depth = depth;
    s.start_worker();
}

void VideoSource::stop_prefetch() { state_->stop_worker(); }

std::optional<std::int64_t> VideoSource::first_frame_pts() {
    State& s = *state_;
    if (s.first_looked_at) return s.first_pts;
    if (s.worker.joinable() || s.decoding_started)
        throw std::logic_error("VideoSource::first_frame_pts after decoding started");
    s.first_looked_at = true;
    s.held_first = make_frame();
    s.holding_first = s.decode_next(s.held_first.get());
    if (s.holding_first) s.first_pts = s.held_first->pts;
    return s.first_pts;
}

bool VideoSource::next(AVFrame* frame) {
    State& s = *state_;
    if (s.holding_first) {
        s.holding_first = false;
        av_frame_unref(frame);
        av_frame_move_ref(frame, s.held_first.get());
        return true;
    }
    if (s.prefetch_depth == 0) return s.decode_next(frame);
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&] { return !s.ready.empty() || s.worker_finished; });
    if (s.ready.empty()) {
        if (s.worker_error) std::rethrow_exception(s.worker_error);
        av_frame_unref(frame);
        return false;
    }
    FramePtr decoded = std::move(s.ready.front());
    s.ready.pop_front();
    av_frame_unref(frame);
    av_frame_move_ref(frame, decoded.get());
    s.spare.push_back(std::move(decoded));
    s.changed.notify_all();
    return true;
}

double VideoSource::seconds_of(const AVFrame* frame) const { return to_seconds(frame->pts, state_->info.time_base); }

void VideoSource::rewind() {
    State& s = *state_;
    bool prefetching = s.worker.joinable();
    s.stop_worker();
    AVStream* stream = s.format->streams[s.video_index];
    std::int64_t start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
    int ret = av_seek_frame(s.format.get(), s.video_index, start, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) ret = avformat_seek_file(s.format.get(), -1, INT64_MIN, 0, 0, 0);
    if (ret < 0) throw Error(ErrorDomain::input, "cannot seek to the start of " + s.where(), ret, av_error_text(ret));
    avcodec_flush_buffers(s.decoder.get());
    s.holding_first = false;
    s.last_pts = AV_NOPTS_VALUE;
    s.demux_done = false;
    s.flush_sent = false;
    if (prefetching) s.start_worker();
}

void VideoSource::check_integrity() {
    State& s = *state_;
    s.stop_worker();  // the counters belong to the worker while it runs
    std::int64_t lost = s.stats.errors + s.stats.corrupt_frames;
    if (s.stats.frames == 0)
        throw_input(s.where() + " is corrupt", "no frame could be decoded");
    if (lost * 2 > std::max(s.stats.packets, s.stats.frames))
        throw Error(ErrorDomain::input, s.where() + " is corrupt", lost,
                    std::to_string(lost) + " of " + std::to_string(std::max(s.stats.packets, s.stats.frames)) +
                        " frames could not be decoded");
}

}  // namespace avpost::media
