#include "avpost/media/media_probe.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::media {
namespace {

bool vp9_with_alpha(const AVStream* stream) {
    if (stream->codecpar->codec_id != AV_CODEC_ID_VP9) return false;
    const AVDictionaryEntry* mode = av_dict_get(stream->metadata, "alpha_mode", nullptr, 0);
    return mode && std::strcmp(mode->value, "1") == 0;
}

}  // namespace

const AVCodec* best_video_decoder(const AVStream* stream) {
    if (vp9_with_alpha(stream))
        if (const AVCodec* libvpx = avcodec_find_decoder_by_name("libvpx-vp9")) return libvpx;
    return avcodec_find_decoder(stream->codecpar->codec_id);
}

bool stream_has_alpha(const AVStream* stream) {
    if (vp9_with_alpha(stream)) return avcodec_find_decoder_by_name("libvpx-vp9") != nullptr;
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(stream->codecpar->format));
    return desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
}

ProbedMedia probe_media_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    auto fail = [&](const std::string& why, int code = AVERROR_INVALIDDATA) -> void {
        throw Error(ErrorDomain::input, "'" + name + "'", code, why);
    };
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, name.c_str(), nullptr, nullptr);
    if (rc < 0) fail(av_error_text(rc), rc);
    InputFormatPtr input(raw);
    rc = avformat_find_stream_info(input.get(), nullptr);
    if (rc < 0) fail("no stream info: " + av_error_text(rc), rc);

    ProbedMedia facts;
    facts.container = input->iformat->name;
    const int video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    const int audio = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (audio >= 0) {
        facts.has_audio = true;
        facts.audio_codec = avcodec_get_name(input->streams[audio]->codecpar->codec_id);
    }
    if (video < 0) fail("has no video stream");
    const AVStream* stream = input->streams[video];
    const AVCodecParameters* par = stream->codecpar;
    facts.has_video = true;
    facts.video_codec = avcodec_get_name(par->codec_id);
    facts.codec_tag = par->codec_tag;
    facts.width = par->width;
    facts.height = par->height;
    facts.color_space = av_color_space_name(par->color_space) ? av_color_space_name(par->color_space) : "unknown";
    if (stream->avg_frame_rate.num > 0) facts.frame_rate = av_q2d(stream->avg_frame_rate);

    const AVCodec* codec = best_video_decoder(stream);
    if (!codec) fail(std::string("no decoder for ") + facts.video_codec);
    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(decoder.get(), par), "avcodec_parameters_to_context");
    decoder->thread_count = 1;
    check_av(avcodec_open2(decoder.get(), codec, nullptr), "avcodec_open2 (" + name + ")");

    // Some containers (WebM's SimpleBlocks, MPEG-TS) leave packet durations unset: count a frame.
    std::int64_t frame_ticks = 0;
    if (stream->avg_frame_rate.num > 0)
        frame_ticks = av_rescale_q(1, av_inv_q(stream->avg_frame_rate), stream->time_base);
    PacketPtr packet = make_packet();
    FramePtr frame = make_frame();
    std::int64_t first = std::numeric_limits<std::int64_t>::max(), end = std::numeric_limits<std::int64_t>::min();
    bool decoded = false;
    auto try_receive = [&] {
        if (decoded) return;
        if (avcodec_receive_frame(decoder.get(), frame.get()) == 0) {
            decoded = true;
            const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(frame->format));
            facts.pixel_format = desc ? desc->name : "unknown";
            facts.alpha = desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
        }
    };
    while ((rc = av_read_frame(input.get(), packet.get())) >= 0) {
        if (packet->stream_index == video) {
            ++facts.frames;
            const std::int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
            if (pts != AV_NOPTS_VALUE) {
                first = std::min(first, pts);
                end = std::max(end, pts + (packet->duration > 0 ? packet->duration : frame_ticks));
            }
            if (!decoded && avcodec_send_packet(decoder.get(), packet.get()) >= 0) try_receive();
        }
        av_packet_unref(packet.get());
    }
    if (rc != AVERROR_EOF) fail("read error: " + av_error_text(rc), rc);
    if (!decoded) {
        avcodec_send_packet(decoder.get(), nullptr);
        try_receive();
    }
    if (!decoded) fail("no video frame decodes");
    if (end > first) facts.duration_seconds = double(end - first) * av_q2d(stream->time_base);
    if (first != std::numeric_limits<std::int64_t>::max()) facts.video_start_seconds = double(first) * av_q2d(stream->time_base);
    return facts;
}

}  // namespace avpost::media
