#pragma once
// Loudness metering after ITU-R BS.1770 (EBU R128): integrated loudness with its gating and the
// true peak (4x oversampled), over libebur128. Measurement only; what to do with it is the
// loudness stage's business (filters/loudness.hpp).
#include <filesystem>
#include <memory>
#include <optional>

#include "avpost/media/handles.hpp"

namespace avpost::media {

struct LoudnessReading {
    // -inf for silence (every block gated out): no level to speak of.
    double integrated_lufs = 0.0;
    double true_peak_dbtp = 0.0;  // the loudest channel's; -inf for digital silence
    bool silent() const;
};

class LoudnessMeter {
public:
    LoudnessMeter(int channels, int sample_rate);
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;

    // Interleaved float samples, `channels` per frame.
    void add(const float* interleaved, std::size_t frames);
    LoudnessReading reading() const;

private:
    struct State;  // owns libebur128's state (an unnamed struct in its header)
    std::unique_ptr<State> state_;
    int channels_;
};

// Decodes the audio of `file` (the stream `stream_index`, or the best audio stream when -1) and
// measures it; empty when the file has no audio. Throws Error(input) when it cannot be read.
std::optional<LoudnessReading> measure_file_loudness(const std::filesystem::path& file, int stream_index = -1);

}  // namespace avpost::media
