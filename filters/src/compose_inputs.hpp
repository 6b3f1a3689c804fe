#pragma once
// A compose's inputs, opened (probed, no frame decoded): the avatar, its mask and its background.
// Their decoding is started and checked here; the stages read frames from them.
#include <optional>

#include "avpost/filters/background.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

class ComposeInputs {
public:
    // Opens them in turn, failing as early as it can: the avatar, then (the avatar known to carry
    // alpha or not) whether a matte is missing, then the mask and the background. Scene layers are
    // opened by the LayerStack.
    explicit ComposeInputs(const ComposeParams& params);

    ComposeProbe probe() const;

    // Decoder threads, before the first frame; the matte is read for its luma alone.
    void set_decoder_threads(const DecodePlan& plan);
    // Each input decodes ahead on its own thread from now on.
    void start_decoding(const DecodePlan& plan);
    // After the last frame: throws when most of an input's frames were lost to decode errors.
    void check_integrity();

    media::VideoSource& avatar() { return avatar_; }
    media::VideoSource* mask() { return mask_ ? &*mask_ : nullptr; }
    Background* background() { return background_ ? &*background_ : nullptr; }

private:
    media::VideoSource avatar_;
    std::optional<media::VideoSource> mask_;
    std::optional<Background> background_;
    std::optional<media::ProbedMedia> intro_, outro_;
};

}  // namespace avpost::filters
