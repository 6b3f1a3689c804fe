#pragma once
// A look-ahead true-peak limiter: the gain comes down before a peak that would pass the
// threshold (measured on a 4x oversampled estimate, so peaks between samples count) and goes
// back up slowly after it, so the level never pumps. Below the threshold it does nothing.
#include <cstdint>
#include <vector>

namespace avpost::filters {

class TruePeakLimiter {
public:
    // `threshold_dbtp`: the true peak it holds output under. Look-ahead 5 ms, release 50 ms
    // (a broadcast true-peak limiter's: long enough not to distort, short enough that an isolated
    // peak does not duck what follows it).
    TruePeakLimiter(int channels, int sample_rate, double threshold_dbtp);

    // Samples pass with a fixed delay of delay() frames: each call takes `frames` interleaved
    // frames from `in` and writes as many to `out` (the first delay() frames of the stream are
    // the silence that was in the look-ahead; the caller drops them). No allocation.
    void process(const float* in, float* out, int frames);
    int delay() const { return delay_; }
    bool engaged() const { return engaged_; }  // it reduced the gain at least once

private:
    float estimate_peak(const float* frame);

    int channels_;
    int lookahead_;  // B: the ramp length
    int window_;     // W = lookahead + interpolation skew
    int delay_;
    float threshold_;
    float release_;  // one-pole coefficient towards unity
    // 4x oversampling: 3 phases between samples, 8 taps each.
    float taps_[3][8];
    std::vector<float> history_;   // last 8 frames, per channel: ring
    int history_pos_ = 0;
    std::vector<float> delay_line_;  // (delay + 1) frames: ring
    int delay_pos_ = 0;
    // Sliding minimum of the required gain over the window: a monotonic queue in a ring.
    std::vector<float> queue_gain_;
    std::vector<std::int64_t> queue_index_;
    int queue_head_ = 0, queue_size_ = 0;
    std::vector<float> box_;  // last `lookahead` smoothed gains: ring
    int box_pos_ = 0;
    double box_sum_ = 0.0;
    float held_ = 1.0f;  // the gain after release smoothing
    std::int64_t index_ = 0;
    bool engaged_ = false;
};

}  // namespace avpost::filters
