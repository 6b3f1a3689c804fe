#include "compose_loop.hpp"

#include "avpost/core/interrupt.hpp"

namespace avpost::filters {

FrameLoopEnd run_frame_loop(const FrameLoopStages& stages) {
    FrameLoopEnd end;
    media::FramePtr avatar_frame = media::make_frame();
    while (stages.avatar.next(avatar_frame.get())) {
        throw_if_interrupted();
        avatar_frame->pts -= stages.avatar_first_pts;  // every output starts at 0
        const double t = stages.avatar.seconds_of(avatar_frame.get());  // also the backdrop's time: one clock
        if (stages.picture.ends_before(t)) {
            end.avatar_read_to_end = false;
            break;
        }
        const AVFrame* colour = stages.colour.convert(avatar_frame.get());
        const MattedAvatar& avatar = stages.alpha.matte(avatar_frame.get(), colour, t);
        const DeliveryFrame& drawn = stages.picture.draw(avatar, avatar_frame.get(), t);
        if (!stages.programme) {
            stages.outputs.write(drawn);
        } else if (!stages.programme->write_segment(drawn, t)) {
            end.avatar_read_to_end = false;  // the outro has taken over
            break;
        }
        ++end.frames;
        end.last_time = t;
        stages.progress.update(stages.programme ? stages.programme->frames() : end.frames);
    }
    stages.progress.finish();
    return end;
}

}  // namespace avpost::filters
