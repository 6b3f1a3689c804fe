#include "avpost/filters/true_peak_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace avpost::filters {

namespace {

// A Hann-windowed sinc at `t` samples from the centre, over +-4.5 samples.
double windowed_sinc(double t) {
    if (std::abs(t) >= 4.5) return 0.0;
    const double sinc = t == 0.0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
    return sinc * 0.5 * (1.0 + std::cos(std::numbers::pi * t / 4.5));
}

constexpr int taps = 8;
// The interval estimated when frame n arrives lies between n-4 and n-3: its taps reach n.
constexpr int interpolation_skew = 4;

}  // namespace

TruePeakLimiter::TruePeakLimiter(int channels, int sample_rate, double threshold_dbtp)
    : channels_(channels),
      lookahead_(std::max(1, int(std::lround(0.005 * sample_rate)))),
      window_(lookahead_ + interpolation_skew + 4),
      delay_(window_),
      threshold_(float(std::pow(10.0, threshold_dbtp / 20.0))),
      release_(float(1.0 - std::exp(-1.0 / (0.050 * sample_rate)))) {
    for (int phase = 0; phase < 3; ++phase) {
        const double f = 0.25 * (phase + 1);
        double sum = 0.0;
        for (int j = 0; j < taps; ++j) sum += windowed_sinc(f - (j - 3));
        for (int j = 0; j < taps; ++j) taps_[phase][j] = float(windowed_sinc(f - (j - 3)) / sum);
    }
    history_.assign(std::size_t(taps) * channels_, 0.0f);
    delay_line_.assign(std::size_t(delay_ + 1) * channels_, 0.0f);
    queue_gain_.assign(std::size_t(window_ + 2), 1.0f);
    queue_index_.assign(std::size_t(window_ + 2), 0);
    box_.assign(std::size_t(lookahead_), 1.0f);
    box_sum_ = lookahead_;
}

float TruePeakLimiter::estimate_peak(const float* frame) {
    std::copy(frame, frame + channels_, history_.begin() + std::ptrdiff_t(history_pos_) * channels_);
    history_pos_ = (history_pos_ + 1) % taps;  // now the oldest frame
    float peak = 0.0f;
    for (int c = 0; c < channels_; ++c) {
        peak = std::max(peak, std::abs(frame[c]));
        for (int phase = 0; phase < 3; ++phase) {
            float v = 0.0f;
            for (int j = 0; j < taps; ++j) v += taps_[phase][j] * history_[std::size_t((history_pos_ + j) % taps) * channels_ + c];
            peak = std::max(peak, std::abs(v));
        }
    }
    return peak;
}

void TruePeakLimiter::process(const float* in, float* out, int frames) {
    const int capacity = int(queue_gain_.size());
    const int ring = delay_ + 1;
    for (int f = 0; f < frames; ++f, ++index_) {
        const float* x = in + std::ptrdiff_t(f) * channels_;
        std::copy(x, x + channels_, delay_line_.begin() + std::ptrdiff_t(index_ % ring) * channels_);
        const float peak = estimate_peak(x);
        const float required = peak > threshold_ ? threshold_ / peak : 1.0f;
        if (required < 1.0f) engaged_ = true;

        // The smallest gain any frame in the window needs.
        while (queue_size_ > 0 && queue_gain_[(queue_head_ + queue_size_ - 1) % capacity] >= required) --queue_size_;
        queue_gain_[(queue_head_ + queue_size_) % capacity] = required;
        queue_index_[(queue_head_ + queue_size_) % capacity] = index_;
        ++queue_size_;
        while (queue_index_[queue_head_] < index_ - window_) {
            queue_head_ = (queue_head_ + 1) % capacity;
            --queue_size_;
        }
        const float window_min = queue_gain_[queue_head_];
        // Down at once (the look-ahead has time), back up slowly; then a moving average over the
        // look-ahead so the gain ramps instead of stepping. Each value stays at or under every
        // requirement in the window, so the average does too when the peak arrives.
        held_ = std::min(window_min, held_ + (1.0f - held_) * release_);
        box_sum_ += double(held_) - double(box_[box_pos_]);
        box_[box_pos_] = held_;
        box_pos_ = (box_pos_ + 1) % lookahead_;
        const float gain = float(box_sum_ / lookahead_);

        const float* delayed = delay_line_.data() + std::ptrdiff_t((index_ + 1) % ring) * channels_;
        float* y = out + std::ptrdiff_t(f) * channels_;
        for (int c = 0; c < channels_; ++c) y[c] = delayed[c] * gain;
    }
}

}  // namespace avpost::filters
