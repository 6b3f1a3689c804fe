#pragma once
// Frame buffers for a decoder whose output is read for its luma alone (a matte): each frame gets
// its own luma plane, and every frame shares one chroma scratch area. A 4K 4:2:0 reference frame
// then costs 8.3 MB instead of 12.4 MB. Sound because luma is decoded from luma alone (intra and
// inter prediction, residuals and deblocking are per plane in H.264, HEVC and VP9); the chroma
// planes hold garbage. Only for a decoder without threads: two threads must never write the
// shared area at once.
extern "C" {
#include <libavcodec/avcodec.h>
}

#include <memory>

namespace avpost::media {

class LumaOnlyBuffers {
public:
    // True when `decoder` (not yet opened) can use them: a single-threaded decoder of H.264, HEVC
    // or VP9 in 8-bit 4:2:0.
    static bool suits(const AVCodecContext* decoder);
    // Installs the buffers as `decoder`'s get_buffer2; they must outlive the decoder's frames,
    // which the pools' reference counts ensure.
    explicit LumaOnlyBuffers(AVCodecContext* decoder);
    ~LumaOnlyBuffers();
    LumaOnlyBuffers(const LumaOnlyBuffers&) = delete;
    LumaOnlyBuffers& operator=(const LumaOnlyBuffers&) = delete;

private:
    static int get_buffer(AVCodecContext* decoder, AVFrame* frame, int flags);
    int fill(AVCodecContext* decoder, AVFrame* frame);

    AVBufferPool* luma_pool_ = nullptr;
    std::size_t luma_size_ = 0;
    AVBufferRef* chroma_ = nullptr;
};

}  // namespace avpost::media
