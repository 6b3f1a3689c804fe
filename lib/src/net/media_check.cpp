// Decodability check for downloaded renders, straight on libavformat/libavcodec so the
// downloader does not depend on the compositing pipeline.
#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/net/downloader.hpp"

namespace avpost::net {

void verify_decodable_video(const std::filesystem::path& path, int frames) {
    using namespace avpost::media;
    const std::string name = path.string();
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, name.c_str(), nullptr, nullptr);
    if (rc < 0) throw Error(ErrorDomain::input, "open downloaded video " + name, rc, av_error_text(rc));
    InputFormatPtr input(raw);
    rc = avformat_find_stream_info(input.get(), nullptr);
    if (rc < 0) throw Error(ErrorDomain::input, "read stream info of " + name, rc, av_error_text(rc));
    const AVCodec* codec = nullptr;
    int stream = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream < 0 || !codec) throw Error(ErrorDomain::input, "downloaded file " + name, stream, "no decodable video stream");
    CodecContextPtr dec(avcodec_alloc_context3(codec));
    if (!dec) throw Error(ErrorDomain::av, "avcodec_alloc_context3", AVERROR(ENOMEM), "out of memory");
    check_av(avcodec_parameters_to_context(dec.get(), input->streams[stream]->codecpar), "avcodec_parameters_to_context");
    check_av(avcodec_open2(dec.get(), codec, nullptr), "avcodec_open2 (" + name + ")");
    FramePtr frame = make_frame();
    PacketPtr packet = make_packet();
    int decoded = 0;
    bool flushing = false;
    while (decoded < frames) {
        if (!flushing) {
            rc = av_read_frame(input.get(), packet.get());
            if (rc == AVERROR_EOF) {
                flushing = true;
                avcodec_send_packet(dec.get(), nullptr);
            } else if (rc < 0) {
                throw Error(ErrorDomain::input, "read downloaded video " + name, rc, av_error_text(rc));
            } else {
                if (packet->stream_index == stream) avcodec_send_packet(dec.get(), packet.get());
                av_packet_unref(packet.get());
            }
        }
        while (decoded < frames) {
            rc = avcodec_receive_frame(dec.get(), frame.get());
            if (rc == AVERROR(EAGAIN)) break;
            if (rc == AVERROR_EOF) {
                if (decoded == 0) throw Error(ErrorDomain::input, "decode downloaded video " + name, rc, "no frame decodes");
                return;
            }
            if (rc < 0) throw Error(ErrorDomain::input, "decode downloaded video " + name, rc, av_error_text(rc));
            ++decoded;
            av_frame_unref(frame.get());
        }
    }
}

}  // namespace avpost::net
