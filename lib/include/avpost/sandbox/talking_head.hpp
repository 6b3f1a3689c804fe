#pragma once
// The sandbox's synthetic render: a face ellipse on a plain backdrop whose mouth opens with the
// loudness (RMS) of the audio in each frame, encoded to MP4 (H.264 + AAC); optionally the A2V-style
// grayscale matte of the head (luma 235 inside, 16 outside: limited range, as vendors deliver).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "avpost/sandbox/akool_scene.hpp"

namespace avpost::sandbox {

struct AudioTrack {
    int sample_rate = 16000;
    std::vector<float> samples;  // mono, -1..1
    double seconds() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

// A voice-like test signal: a buzzy 120 Hz tone with formants, in syllables separated by pauses.
AudioTrack make_voice_like_track(double seconds, int sample_rate = 16000, std::uint32_t seed = 1);

// Decodes the first audio stream of a media file to mono float at `sample_rate`, at most
// `max_seconds`. Throws Error(av/input) when the file has no decodable audio.
AudioTrack decode_audio_file(const std::filesystem::path& path, double max_seconds, int sample_rate = 16000);

// Per video frame, the audio RMS scaled to 0..1 by the loudest frame (0 for silence throughout).
std::vector<double> loudness_per_frame(const AudioTrack& audio, int fps);

struct TalkingHeadSettings {
    int width = 320;
    int height = 180;
    int fps = 25;
};

// The mouth's geometry in a frame of the given size, for tests that measure it.
struct MouthBox {
    int x0, y0, x1, y1;  // the region the mouth can occupy (inclusive-exclusive)
};
MouthBox mouth_box(int width, int height);

// Writes the talking-head MP4 to `video_path` and, when `mask_path` is not empty, its matte.
void render_talking_head(const AudioTrack& audio, const TalkingHeadSettings& settings,
                         const std::filesystem::path& video_path, const std::filesystem::path& mask_path);

// An Akool render: the talking head (the face alone, with a soft 2-pixel edge, no backdrop of its
// own) drawn into `layout.avatar` between the request's elements below and above it, encoded at
// the layout's size as H.264 yuv420p (limited-range BT.709, tagged) with the audio.
void render_akool_talking_head(const AudioTrack& audio, const AkoolLayout& layout, int fps,
                               const std::filesystem::path& video_path);

}  // namespace avpost::sandbox
