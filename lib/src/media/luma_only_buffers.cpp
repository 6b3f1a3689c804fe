#include "luma_only_buffers.hpp"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace avpost::media {
namespace {

constexpr int kAlign = 64;  // libavcodec's widest SIMD stride alignment (AVX-512)

int align_up(int value, int alignment) { return (value + alignment - 1) / alignment * alignment; }

}  // namespace

bool LumaOnlyBuffers::suits(const AVCodecContext* decoder) {
    const bool codec = decoder->codec_id == AV_CODEC_ID_H264 || decoder->codec_id == AV_CODEC_ID_HEVC ||
                       decoder->codec_id == AV_CODEC_ID_VP9;
    const bool format = decoder->pix_fmt == AV_PIX_FMT_YUV420P || decoder->pix_fmt == AV_PIX_FMT_YUVJ420P;
    return codec && format && decoder->thread_count == 1;
}

LumaOnlyBuffers::LumaOnlyBuffers(AVCodecContext* decoder) {
    decoder->opaque = this;
    decoder->get_buffer2 = &LumaOnlyBuffers::get_buffer;
}

LumaOnlyBuffers::~LumaOnlyBuffers() {
    av_buffer_pool_uninit(&luma_pool_);  // freed once the last frame returns its plane
    av_buffer_unref(&chroma_);
}

int LumaOnlyBuffers::get_buffer(AVCodecContext* decoder, AVFrame* frame, int flags) {
    auto* self = static_cast<LumaOnlyBuffers*>(decoder->opaque);
    const bool planar_420 = frame->format == AV_PIX_FMT_YUV420P || frame->format == AV_PIX_FMT_YUVJ420P;
    // Anything unexpected (a stream switching format mid-way) gets libavcodec's own buffers.
    if (!planar_420 || !self) return avcodec_default_get_buffer2(decoder, frame, flags);
    return self->fill(decoder, frame);
}

int LumaOnlyBuffers::fill(AVCodecContext* decoder, AVFrame* frame) {
    // The decoder writes whole macroblocks/superblocks past the visible size: the padded
    // dimensions and stride alignment libavcodec asks for, as its own allocator uses.
    int width = frame->width, height = frame->height;
    int linesize_align[AV_NUM_DATA_POINTERS];
    avcodec_align_dimensions2(decoder, &width, &height, linesize_align);
    const int luma_stride = align_up(width, kAlign);
    const int chroma_stride = align_up((width + 1) / 2, kAlign);
    const int chroma_rows = (height + 1) / 2;
    // Slack after each plane for the decoders' over-reads, as avcodec_default_get_buffer2 leaves.
    const std::size_t slack = 16 + kAlign - 1;
    const std::size_t luma_size = std::size_t(luma_stride) * height + slack;
    // Rounded up so that the second plane starts aligned too.
    const std::size_t chroma_plane = (std::size_t(chroma_stride) * chroma_rows + slack + kAlign - 1) / kAlign * kAlign;
    if (!luma_pool_ || luma_size != luma_size_) {
        av_buffer_pool_uninit(&luma_pool_);
        luma_pool_ = av_buffer_pool_init(luma_size, av_buffer_allocz);
        luma_size_ = luma_size;
    }
    if (!chroma_ || std::size_t(chroma_->size) < 2 * chroma_plane) {
        av_buffer_unref(&chroma_);
        chroma_ = av_buffer_allocz(2 * chroma_plane);
    }
    if (!luma_pool_ || !chroma_) return AVERROR(ENOMEM);
    frame->buf[0] = av_buffer_pool_get(luma_pool_);
    frame->buf[1] = av_buffer_ref(chroma_);
    if (!frame->buf[0] || !frame->buf[1]) {
        av_buffer_unref(&frame->buf[0]);
        av_buffer_unref(&frame->buf[1]);
        return AVERROR(ENOMEM);
    }
    frame->data[0] = frame->buf[0]->data;
    frame->data[1] = frame->buf[1]->data;
    frame->data[2] = frame->buf[1]->data + chroma_plane;
    frame->linesize[0] = luma_stride;
    frame->linesize[1] = chroma_stride;
    frame->linesize[2] = chroma_stride;
    frame->extended_data = frame->data;
    return 0;
}

}  // namespace avpost::media
