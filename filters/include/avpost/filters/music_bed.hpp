#pragma once
// Music under the voice (a job's "music"): a music file looped or cut to the programme, brought to
// a static level, ducked by the avatar's voice through a sidechain on the voice's envelope (not a
// fixed volume), faded in and out at the programme's ends and added to the voice. The deliveries'
// loudness target applies to the mix afterwards (loudness.hpp); this does not touch the voice.
//
// Use: one MusicBed per programme (its length known up front: the fade-out ends there), fed the
// programme's voice in order, block by block:
//     MusicBed bed(params, 48000, 2, programme_frames);
//     for each block: bed.mix(block, frames);   // in place; any block sizes, same result
//     json report = bed.report();
//
// Memory: the music is decoded once, in the constructor, to interleaved float at the programme's
// rate and channels, and only as much of it as the programme uses (min(music, programme) frames):
// 4 * channels * sample_rate bytes per second held, 23 MB per minute of 48 kHz stereo. mix()
// allocates nothing. Decoding in mix() instead would put file I/O and libav's own allocations in
// the audio path; for avatar programmes (minutes) holding the music is the simpler trade.
#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/option_table.hpp"

namespace avpost::filters {

struct MusicParams {
    std::filesystem::path source;  // required: a file with an audio stream
    // Static level of the music alone (its integrated loudness, as measured over the part the
    // programme uses), before ducking and before the deliveries' loudness target moves the mix.
    // -26 LUFS sits about 10 LU under a typical avatar voice (-16 to -20 LUFS): clearly a bed.
    double level_lufs = -26.0;
    double duck_db = 12.0;  // how far the music goes down while the voice speaks (0: no ducking)
    // Time the music takes to go fully down once the voice starts: short, so a word's onset is not
    // covered, long enough not to click. No look-ahead (that would need the voice delayed): the
    // duck starts a few milliseconds after the voice, which the voice's own onset masks.
    double attack_seconds = 0.05;
    // Time the music takes to come fully back once the voice stops (linear in dB): long enough
    // that the gaps between words do not pump it up and down by much, short enough that a
    // sentence pause is heard as music.
    double release_seconds = 0.5;
    bool loop = true;  // a music shorter than the programme repeats (no gap); false: silence after it
    // Raised-cosine fades at the programme's start and end (the fade-out ends exactly at its last
    // sample): 1 s in (the voice usually starts at once), 2 s out (an ending, not a cut).
    double fade_in_seconds = 1.0;
    double fade_out_seconds = 2.0;
};

// source, level, duck, attack, release, loop, fade_in, fade_out (a job's "music"). Standalone for
// now: the job and compose tables take it as an object row when music is wired into the audio path
// (and docs/job.schema.json lists its keys then).
const OptionTable<MusicParams>& music_options();
// JSON: the table's keys; reading reports every bad key, named ("duck: must be from 0 to 40, ...").
void to_json(nlohmann::json& j, const MusicParams& p);
void from_json(const nlohmann::json& j, MusicParams& p);

// The voice counts as speaking while its RMS over the last 10 ms is above this: under any speech
// syllable of a voice rendered anywhere near a delivery level (-14 to -30 LUFS), above the hiss and
// room noise of a real recording's pauses (-60 dBFS and lower), and fixed, so the verdict on one
// moment never depends on what came before or on block boundaries.
inline constexpr double music_voice_gate_dbfs = -45.0;
inline constexpr double music_voice_window_seconds = 0.010;

// What the bed did, for the job's report.
struct MusicReport {
    std::filesystem::path source;
    double source_seconds = 0;   // the music's own length (its header's when cut before its end)
    double source_lufs = 0;      // its integrated loudness before the gain; -inf: silent
    double gain_db = 0;          // static gain to level_lufs (0 for a silent music)
    int loops = 0;               // how many times it started again (0: it played once, or was cut)
    // The music as mixed (after gain, ducking and fades; K-weighted, energy mean over 400 ms
    // blocks), in blocks where the voice was speaking for at least half the block and in the
    // others. Blocks that touch a fade or are silent (under -70 LUFS, the music over) are left
    // out. -inf: no such block.
    double speech_lufs = 0;
    double pause_lufs = 0;
    double speech_seconds = 0;   // of blocks counted
    double pause_seconds = 0;
};
void to_json(nlohmann::json& j, const MusicReport& r);  // rounded to 0.01; -inf as null

class MusicBed {
public:
    // Opens and decodes `p.source` into memory. Throws Error(usage) "music.source: '...' has no
    // audio stream" for a file without audio, Error(input) naming the path when it cannot be
    // opened or read. sample_rate > 0, channels 1 or 2, programme_frames >= 0 (per channel).
    MusicBed(const MusicParams& p, int sample_rate, int channels, std::int64_t programme_frames);

    // Adds the music to the next `frames` frames of the programme's voice (interleaved float,
    // `channels` per frame), in place. Blocks of any size, consecutive; the result is the same
    // however the programme is split. Frames past programme_frames get no music.
    void mix(float* voice_interleaved, int frames);

    // Up to what has been mixed so far.
    MusicReport report() const;

    // The programme's length changed (its segment ended before its probed end): the fade-out
    // ends at the new end; frames already mixed stay as they are. Longer than constructed only
    // when the whole music is held (it ended within the programme); else throws Error(usage).
    void set_programme_frames(std::int64_t frames);

    // Back to the programme's start (the music stays decoded, the length as last set): for a second pass
    // over the same voice, e.g. one that measures the mix for the loudness plan and one that
    // delivers it.
    void restart();

    std::int64_t position() const { return position_; }  // frames mixed so far
    double gain_db() const { return gain_db_; }

private:
    void close_block(double (&energy)[2], std::int64_t (&frames)[2]) const;

    MusicParams params_;
    int sample_rate_;
    int channels_;
    std::int64_t programme_frames_;
    std::vector<float> music_;  // interleaved, at the programme's rate and channels
    std::int64_t music_frames_ = 0;
    bool music_whole_ = false;  // decoded to its end (not cut at the programme's length)
    double source_seconds_ = 0, source_lufs_ = 0, gain_db_ = 0;
    float gain_ = 1.0f;

    std::int64_t position_ = 0;
    // Sidechain: a sliding sum of the voice's squared samples over the window.
    std::vector<double> window_;  // per frame: mean square over channels
    std::size_t window_at_ = 0;
    double window_sum_ = 0;
    double gate_sum_ = 0;         // the window's sum at the gate
    double duck_ = 0;             // current gain change, dB (0 .. -duck_db)
    float duck_gain_ = 1.0f;      // duck_ as a factor
    double attack_step_ = 0, release_step_ = 0;  // dB per frame
    std::int64_t fade_in_frames_ = 0, fade_out_frames_ = 0;

    // The report's meter: K-weighting (BS.1770) of the mixed music, per 400 ms block.
    struct Biquad {
        double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
    };
    Biquad shelf_, highpass_;
    double k_state_[2][4] = {};   // per channel: two stages, two states each
    std::int64_t block_frames_ = 0, block_filled_ = 0, block_speaking_ = 0;
    double block_energy_ = 0;
    bool block_in_fade_ = false;
    // Per class (0 speech, 1 pause): summed energy and frames of the blocks counted.
    double class_energy_[2] = {};
    std::int64_t class_frames_[2] = {};
};

}  // namespace avpost::filters
