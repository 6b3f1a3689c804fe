#pragma once
// Pairs a secondary stream (mask, background video, video layer) with the avatar by timestamp,
// not by arrival order: at(t) gives the frame on screen at time t. The clock rule: a stream's
// clock starts at its own first presented frame (as the avatar's does), whatever its container's
// start offset. At the end of the stream it either holds the last frame or loops back to the start.
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

enum class StreamEnd { hold, loop };

// Timestamps of two streams closer than this are the same instant (rounding of time bases).
inline constexpr double same_instant_seconds = 1e-6;

class TimedFrames {
public:
    TimedFrames(media::VideoSource& source, StreamEnd at_end);

    // The latest frame whose time is <= t + tolerance; before the first frame, the first frame.
    // Null only when the stream has no frame at all. Times are on the stream's clock.
    const AVFrame* at(double t, double tolerance);

    // True once the stream ended (without looping) and t is past its last frame.
    bool ended_before(double t) const;
    double end_time() const { return last_time_ + last_duration_ - first_time_; }
    bool has_frames() const { return has_current_ || has_next_; }

private:
    bool read_next();
    double time_of(const AVFrame* f) const;

    media::VideoSource& source_;
    StreamEnd at_end_;
    media::FramePtr current_, next_;
    bool has_current_ = false, has_next_ = false, primed_ = false, eof_ = false;
    double offset_ = 0.0;  // added to timestamps after each loop
    double first_time_ = 0.0;  // the clock's 0, subtracted from every time
    double last_time_ = 0.0, last_duration_ = 0.0;
    bool seen_first_ = false;
};

}  // namespace avpost::filters
