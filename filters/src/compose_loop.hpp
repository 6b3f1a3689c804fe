#pragma once
// The frame loop: each avatar frame, on the output's clock, is converted, given its alpha,
// drawn and written, one stage after another. The stages decide everything the plan decided;
// the loop asks them and never which alpha source or output it has.
#include <cstdint>

#include "avpost/core/progress.hpp"
#include "avpost/filters/alpha_source.hpp"
#include "avpost/media/video_source.hpp"
#include "avatar_colour.hpp"
#include "compose_outputs.hpp"
#include "compose_picture.hpp"
#include "programme_run.hpp"

namespace avpost::filters {

struct FrameLoopStages {
    media::VideoSource& avatar;
    std::int64_t avatar_first_pts;  // the output's 0
    AvatarColour& colour;
    AlphaSource& alpha;
    ComposePicture& picture;
    ComposeOutputs& outputs;
    Progress& progress;
    ProgrammeRun* programme = nullptr;  // a programme's: it writes the frames, on its clock
};

struct FrameLoopEnd {
    std::int64_t frames = 0;
    double last_time = 0.0;        // of the last frame written, in seconds
    bool avatar_read_to_end = true;  // false when the output stopped with its background
};

FrameLoopEnd run_frame_loop(const FrameLoopStages& stages);

}  // namespace avpost::filters
