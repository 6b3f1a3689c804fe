// AlphaSource: the matte pulled from the render's colour backdrop (keyer.hpp), which also takes
// the backdrop out of the avatar's colour; with --key-matte-out the pulled matte is written too.
#include <optional>

#include "avpost/filters/alpha_source.hpp"
#include "avpost/filters/keyer.hpp"
#include "compose_text.hpp"
#include "key_matte_writer.hpp"

namespace avpost::filters {
namespace {

class KeyAlpha final : public AlphaSource {
public:
    KeyAlpha(const ComposePlan& plan, Warn warn)
        : keyer_(*plan.alpha.key, plan.alpha.matte, plan.placement->size.width, plan.placement->size.height,
                 plan.matrix),
          warn_(std::move(warn)),
          matte_path_(plan.alpha.key_matte_output) {
        if (!matte_path_.empty())
            matte_writer_.emplace(matte_path_, plan.placement->size, plan.avatar.frame_rate, plan.avatar.time_base);
    }

    const MattedAvatar& matte(const AVFrame* decoded, const AVFrame* colour, double /*t*/) override {
        const Keyer::Keyed pulled = keyer_.key(colour);
        // The first frame found the backdrop (for `auto`) or checked the given one.
        if (key_.empty()) {
            key_ = compose_text::colour_text(keyer_.backdrop_colour());
            if (!keyer_.backdrop_warning().empty()) warn_(keyer_.backdrop_warning());
        }
        if (matte_writer_) matte_writer_->write(keyer_.pulled_matte(), decoded->pts);
        matted_.picture = pulled.picture;
        matted_.alpha = CompositeAlpha{*pulled.alpha, false};
        return matted_;
    }

    void finish(ComposeReport& report) override {
        report.key = key_;
        if (!matte_writer_) return;
        matte_writer_->finish();
        report.key_matte_output = matte_path_;
    }

private:
    Keyer keyer_;
    Warn warn_;
    std::string matte_path_;
    std::optional<KeyMatteWriter> matte_writer_;
    std::string key_;  // the backdrop keyed, "#RRGGBB"
    MattedAvatar matted_;
};

}  // namespace

std::unique_ptr<AlphaSource> make_key_alpha(const ComposePlan& plan, Warn warn) {
    return std::make_unique<KeyAlpha>(plan, std::move(warn));
}

}  // namespace avpost::filters
