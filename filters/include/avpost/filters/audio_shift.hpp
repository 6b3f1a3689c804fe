#pragma once
// Moves the avatar's audio onto the output's clock, whose 0 is the avatar's first presented
// frame, so the audio keeps its offset from the picture (lip sync) whatever the container's start
// offset. Packets read before that frame is known are kept (by reference) and handed on, shifted,
// once it is.
#include <cstdint>
#include <functional>
#include <vector>

#include "avpost/media/handles.hpp"

namespace avpost::filters {

class AudioShift {
public:
    AudioShift(AVRational audio_time_base, std::function<void(AVPacket*)> deliver);

    // The avatar's audio handler: shifts and delivers the packet, or keeps it until start().
    void take(AVPacket* packet);
    // From now on every packet moves by the avatar's first frame time; the kept ones go first.
    void start(std::int64_t first_video_pts, AVRational video_time_base);

private:
    void deliver_shifted(AVPacket* packet);

    AVRational audio_time_base_;
    std::function<void(AVPacket*)> deliver_;
    bool started_ = false;
    std::int64_t shift_ = 0;  // in the audio's time base
    std::vector<media::PacketPtr> kept_;
};

}  // namespace avpost::filters
