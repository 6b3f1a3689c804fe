#pragma once
// How a programme passes from one part to the next (intro -> avatar segment -> outro): a cut, or
// a transition over `seconds` during which the two parts overlap on the programme's clock. The
// picture and the audio follow the same progress, so sound and image change together.
#include <string>
#include <string_view>

#include "avpost/filters/colour.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

enum class TransitionKind {
    cut,           // no overlap: the next part starts when the last one ends
    crossfade,     // a linear blend of the two pictures; the audio crossfades at equal power
    fade_through,  // the first fades to `colour` over the first half, the second from it over the second
    wipe_left,     // the edge between them moves right to left, uncovering the second part
    wipe_right,    // ... left to right
};

// "cut", "crossfade", "fade-through", "wipe-left", "wipe-right"; throws Error(usage) otherwise.
TransitionKind parse_transition_kind(std::string_view text);
std::string to_string(TransitionKind kind);

struct Transition {
    TransitionKind kind = TransitionKind::cut;
    double seconds = 0.5;  // the overlap (not for a cut)
    Rgb8 colour{0, 0, 0};  // fade-through's
    // Seconds the two parts overlap on the programme's clock (0 for a cut).
    double overlap_seconds() const { return kind == TransitionKind::cut ? 0.0 : seconds; }
};

// The gains of the outgoing and the incoming part's audio at `progress` (0..1) through the
// transition. Crossfades and wipes keep the power constant (uncorrelated sounds do not dip);
// fade-through silences the first by the middle and brings the second up after it.
struct TransitionGains {
    float outgoing = 1.0f;
    float incoming = 0.0f;
};
TransitionGains transition_gains(TransitionKind kind, double progress);

// Draws the picture `progress` (0..1) of the way from `from` to `to` into `out`: all three the
// same size and planar 8-bit YCbCr 4:2:0, with (yuva420p) or without alpha; `colour` is
// fade-through's, in the frames' matrix and range. Blends round to nearest: a crossfade's middle
// frame is (a + b + 1) / 2 on every sample.
void draw_transition(TransitionKind kind, double progress, const AVFrame* from, const AVFrame* to, Yuv8 colour,
                     AVFrame* out);

}  // namespace avpost::filters
