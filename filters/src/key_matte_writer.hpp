#pragma once
// `--key-matte-out`: the pulled matte as a grey video in limited range, as vendors deliver
// mattes, so it can be looked at or given back as --mask. FFV1 for .mkv, else H.264.
#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "avpost/core/atomic_output.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/media_writer.hpp"

namespace avpost::filters {

class KeyMatteWriter {
public:
    KeyMatteWriter(const std::string& path, Size size, AVRational frame_rate, AVRational time_base);

    void write(const cv::Mat& alpha, std::int64_t pts);
    // Flushes and moves the file to its name.
    void finish();

private:
    AtomicOutput atomic_;
    std::unique_ptr<media::MediaWriter> writer_;
    media::FramePtr frame_;
    std::uint8_t to_limited_[256];
};

}  // namespace avpost::filters
