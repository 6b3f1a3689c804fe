#pragma once
// Carries a source audio stream into a MediaWriter: stream copy when the container accepts the
// codec, else decode and re-encode (AAC, or Opus where AAC is not allowed). Timestamps are kept,
// so audio stays in sync with video that keeps the source's timestamps.
#include <memory>
#include <optional>
#include <string>

#include "avpost/media/handles.hpp"
#include "avpost/media/media_writer.hpp"

namespace avpost::media {

class AudioCarrier {
public:
    // Registers the audio stream with `writer`; call before writer.begin(). With `encoder`
    // (e.g. "aac"), the output carries that codec: copied when the source already has it,
    // else re-encoded with it.
    AudioCarrier(const AVStream* source, MediaWriter& writer, const std::string& encoder = {});
    ~AudioCarrier();
    AudioCarrier(const AudioCarrier&) = delete;
    AudioCarrier& operator=(const AudioCarrier&) = delete;

    bool copying() const;
    std::string codec_name() const;     // what the output carries, e.g. "aac"
    void push(const AVPacket* packet);  // a packet of `source`; not modified
    void finish();                // drains the decoder when re-encoding

private:
    void decode(const AVPacket* packet);

    const AVStream* source_;
    MediaWriter& writer_;
    bool copy_;
    CodecContextPtr decoder_;
    FramePtr frame_;
    std::string codec_name_;
    struct FrameFormat {
        int format = -1, sample_rate = 0, channels = 0;
        bool operator==(const FrameFormat&) const = default;
    };
    std::optional<FrameFormat> first_format_;  // of the first decoded frame
};

}  // namespace avpost::media
