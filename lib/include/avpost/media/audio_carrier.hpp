#pragma once
// Carries a source audio stream into a MediaWriter: stream copy when the container accepts the
// codec, else decode and re-encode (AAC, or Opus where AAC is not allowed). Timestamps are kept,
// so audio stays in sync with video that keeps the source's timestamps.
#include <memory>

#include "avpost/media/handles.hpp"
#include "avpost/media/media_writer.hpp"

namespace avpost::media {

class AudioCarrier {
public:
    // Registers the audio stream with `writer`; call before writer.begin().
    AudioCarrier(const AVStream* source, MediaWriter& writer);
    ~AudioCarrier();
    AudioCarrier(const AudioCarrier&) = delete;
    AudioCarrier& operator=(const AudioCarrier&) = delete;

    bool copying() const;
    void push(AVPacket* packet);  // a packet of `source`
    void finish();                // drains the decoder when re-encoding

private:
    void decode(const AVPacket* packet);

    const AVStream* source_;
    MediaWriter& writer_;
    bool copy_;
    CodecContextPtr decoder_;
    FramePtr frame_;
};

}  // namespace avpost::media
