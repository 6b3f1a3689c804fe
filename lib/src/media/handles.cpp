#include "avpost/media/handles.hpp"

#include "avpost/core/error.hpp"

namespace avpost::media {

FramePtr make_frame() {
    FramePtr frame(av_frame_alloc());
    if (!frame) throw_av("av_frame_alloc", AVERROR(ENOMEM));
    return frame;
}

PacketPtr make_packet() {
    PacketPtr packet(av_packet_alloc());
    if (!packet) throw_av("av_packet_alloc", AVERROR(ENOMEM));
    return packet;
}

FramePtr make_video_frame(AVPixelFormat format, int width, int height) {
    FramePtr frame = make_frame();
    frame->format = format;
    frame->width = width;
    frame->height = height;
    check_av(av_frame_get_buffer(frame.get(), 32), "av_frame_get_buffer");
    return frame;
}

}  // namespace avpost::media
