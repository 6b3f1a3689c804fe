#include "compose_inputs.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/cpu.h>
}

#include "avpost/core/error.hpp"
#include "compose_params_facts.hpp"

namespace avpost::filters {
namespace {

// An intro or outro: a file with a video stream to show (Error(usage) naming `field` otherwise).
media::ProbedMedia probe_programme_clip(const std::string& path, const char* field) {
    AVFormatContext* raw = nullptr;
    const int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (ret < 0) throw_input(std::string(field) + " '" + path + "'", "cannot be opened: " + av_error_text(ret));
    const media::InputFormatPtr input(raw);
    check_av(avformat_find_stream_info(raw, nullptr), "avformat_find_stream_info (programme clip)");
    if (av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0) < 0)
        throw_usage(std::string(field) + ": '" + path + "' has no video stream (an intro or outro is shown)");
    return media::probe_media_file(path);
}

}  // namespace

ComposeInputs::ComposeInputs(const ComposeParams& params) : avatar_(params.video, "avatar") {
    choose_alpha(params, avatar_.info().has_alpha);
    if (!params.mask.empty()) mask_.emplace(params.mask, "mask");
    if (compose_facts::has_backdrop(params) && params.layers.empty()) background_.emplace(params.background);
    if (avatar_.info().still_image) throw_input("avatar '" + params.video + "'", "is a still image, not a video");
    if (!params.intro.empty()) intro_ = probe_programme_clip(params.intro, "intro");
    if (!params.outro.empty()) outro_ = probe_programme_clip(params.outro, "outro");
}

ComposeProbe ComposeInputs::probe() const {
    ComposeProbe probe;
    probe.avatar = avatar_.info();
    probe.avatar_audio = avatar_.audio_stream() != nullptr;
    if (mask_) probe.mask = mask_->info();
    if (background_) probe.background = background_->stream_info();  // empty for a colour
    probe.intro = intro_;
    probe.outro = outro_;
    probe.cores = av_cpu_count();
    return probe;
}

void ComposeInputs::set_decoder_threads(const DecodePlan& plan) {
    if (plan.avatar_threads) avatar_.set_decoder_threads(plan.avatar_threads);
    if (mask_ && plan.mask_threads) mask_->set_decoder_threads(plan.mask_threads, true);
}

void ComposeInputs::start_decoding(const DecodePlan& plan) {
    avatar_.enable_prefetch(plan.prefetch_depth);
    if (mask_) mask_->enable_prefetch(plan.prefetch_depth);
}

void ComposeInputs::check_integrity() {
    avatar_.check_integrity();
    if (mask_) mask_->check_integrity();
}

ComposePlan plan_compose(const ComposeParams& params) {
    check_compose_params(params);
    const ComposeInputs inputs(params);
    return plan_compose(params, inputs.probe());
}

}  // namespace avpost::filters
