#include "avpost/filters/timed_frames.hpp"

#include "avpost/core/error.hpp"

namespace avpost::filters {

TimedFrames::TimedFrames(media::VideoSource& source, StreamEnd at_end)
    : source_(source), at_end_(at_end), current_(media::make_frame()), next_(media::make_frame()) {}

double TimedFrames::time_of(const AVFrame* f) const { return source_.seconds_of(f) + offset_ - first_time_; }

bool TimedFrames::read_next() {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (source_.next(next_.get())) {
            double raw = source_.seconds_of(next_.get());
            if (!seen_first_) {
                first_time_ = raw;
                seen_first_ = true;
            }
            double duration = next_->pkt_duration > 0 ? double(next_->pkt_duration) * av_q2d(source_.info().time_base)
                              : source_.info().frame_rate.num > 0 ? 1.0 / av_q2d(source_.info().frame_rate)
                                                                  : 0.04;
            last_time_ = raw + offset_;
            last_duration_ = duration;
            return true;
        }
        if (at_end_ != StreamEnd::loop || !seen_first_) break;
        // Loop: the next pass starts where this one ended.
        offset_ = last_time_ + last_duration_ - first_time_;
        source_.rewind();
    }
    eof_ = true;
    return false;
}

const AVFrame* TimedFrames::at(double t, double tolerance) {
    if (!primed_) {
        primed_ = true;
        has_next_ = read_next();
    }
    while (has_next_ && time_of(next_.get()) <= t + tolerance) {
        std::swap(current_, next_);
        has_current_ = true;
        has_next_ = read_next();  // after a loop, its time carries the new offset
    }
    if (has_current_) return current_.get();
    if (has_next_) return next_.get();
    return nullptr;
}

bool TimedFrames::ended_before(double t) const { return eof_ && !has_next_ && t >= end_time(); }

}  // namespace avpost::filters
