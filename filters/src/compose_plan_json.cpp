// The plan as `avpost compose --dry-run --json` prints it (docs/json/compose-plan.schema.json):
// sizes "WxH", rates in frames per second, what does not apply or is unknown null.
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/registry.hpp"
#include "compose_text.hpp"

namespace avpost::filters {
namespace {

using nlohmann::json;
using compose_text::size_text;

json or_null(bool known, json value) { return known ? std::move(value) : json(); }
json rate_json(AVRational rate) { return or_null(rate.num > 0 && rate.den > 0, av_q2d(rate)); }
json seconds_json(double seconds) { return or_null(seconds > 0, seconds); }
json text_or_null(const std::string& text) { return or_null(!text.empty(), text); }
std::string matrix_text(AVColorSpace matrix) { return matrix == AVCOL_SPC_BT709 ? "bt709" : "bt601"; }

json avatar_json(const ComposePlan::Avatar& a) {
    return {{"path", a.path},
            {"size", size_text(a.size)},
            {"frame_rate", rate_json(a.frame_rate)},
            {"duration_seconds", seconds_json(a.duration_seconds)},
            {"frames", or_null(a.frame_count > 0, a.frame_count)},
            {"alpha", a.alpha},
            {"audio", a.audio},
            {"matrix", matrix_text(a.matrix)}};
}

json mask_json(const std::optional<ComposePlan::Mask>& m) {
    if (!m) return json();
    return {{"path", m->path},
            {"size", size_text(m->size)},
            {"frame_rate", rate_json(m->frame_rate)},
            {"duration_seconds", seconds_json(m->duration_seconds)},
            {"range", m->limited ? "limited" : "full"},
            {"at_avatar_rate", m->at_avatar_rate}};
}

json background_json(const std::optional<ComposePlan::Background>& b) {
    if (!b) return json();
    const char* kind = b->kind == ComposePlan::BackgroundKind::colour  ? "colour"
                       : b->kind == ComposePlan::BackgroundKind::image ? "image"
                                                                       : "video";
    return {{"kind", kind},
            {"source", b->source},
            {"size", b->size ? json(size_text(*b->size)) : json()},
            {"duration_seconds", b->duration_seconds ? json(*b->duration_seconds) : json()},
            {"end", to_string(b->end)}};
}

json layers_json(const std::vector<Layer>& layers) {
    json list = json::array();
    for (const Layer& layer : layers)
        list.push_back({{"type", to_string(layer.type)},
                        {"source", layer.text ? json(layer.text->text) : text_or_null(layer.source)},
                        {"offset", {layer.offset.x, layer.offset.y}},
                        {"size", layer.size ? json(size_text(*layer.size)) : json()},
                        {"scale", {layer.scale_x, layer.scale_y}},
                        {"start", layer.start},
                        {"end", layer.end ? json(*layer.end) : json()},
                        {"fade_in", layer.fade_in},
                        {"fade_out", layer.fade_out}});
    return list;
}

json alpha_json(const ComposePlan::Alpha& a) {
    const bool matte = a.kind != AlphaKind::none;
    return {{"kind", to_string(a.kind)},
            {"choke", or_null(matte, a.matte.choke)},
            {"feather", or_null(matte, a.matte.feather)},
            {"codes_to_compositor", a.codes_to_compositor},
            {"despill", a.despill ? json(compose_text::colour_text(*a.despill)) : json()},
            {"key", a.key ? json(key_colour_text(*a.key)) : json()},
            {"key_matte_path", text_or_null(a.key_matte_output)}};
}

json outputs_json(const ComposePlan& plan) {
    const ComposePlan::Composite& c = plan.composite;
    json deliveries = json::array();
    if (plan.delivery)
        for (Preset preset : plan.delivery->presets)
            deliveries.push_back({{"preset", std::string(to_string(preset))},
                                  {"path", delivery_path(*plan.delivery, preset).string()},
                                  {"alpha", preset_has_alpha(preset)}});
    return {{"composite",
             {{"kind", to_string(c.kind)},
              {"path", text_or_null(c.path)},
              {"vcodec", text_or_null(c.vcodec)},
              {"alpha_preset", c.alpha_preset ? json(std::string(to_string(*c.alpha_preset))) : json()}}},
            {"deliveries", deliveries},
            {"alpha_layer", plan.alpha_layer},
            {"audio", plan.audio},
            {"audio_end_seconds", plan.audio_end_seconds ? json(*plan.audio_end_seconds) : json()}};
}

json programme_json(const ComposePlan& plan) {
    if (!plan.programme) return json();
    const ComposePlan::Programme& p = *plan.programme;
    const auto clip = [](const std::optional<ComposePlan::ProgrammeClip>& c) {
        if (!c) return json();
        return json{{"path", c->path}, {"size", size_text(c->size)}, {"frames", c->frames}, {"audio", c->audio}};
    };
    return {{"intro", clip(p.intro)},
            {"outro", clip(p.outro)},
            {"transition", to_string(p.transition.kind)},
            {"overlap_frames", p.overlap_frames},
            {"segment_start_frame", p.segment_start_frame},
            {"segment_start_seconds", plan.avatar_start_seconds()},
            {"segment_frames", p.segment_frames},
            {"outro_start_frame", p.outro_start_frame},
            {"total_frames", p.total_frames}};
}

}  // namespace

void to_json(nlohmann::json& j, const ComposePlan& plan) {
    const std::optional<Placement>& placed = plan.placement;
    j = {{"inputs",
          {{"avatar", avatar_json(plan.avatar)},
           {"mask", mask_json(plan.mask)},
           {"background", background_json(plan.background)},
           {"layers", layers_json(plan.layers)},
           {"overlays", layers_json(plan.overlays)}}},
         {"canvas", size_text(plan.canvas)},
         {"matrix", matrix_text(plan.matrix)},
         {"fit", to_string(plan.fit)},
         {"anchor", to_string(plan.anchor)},
         {"fit_to", to_string(plan.fit_to)},
         {"avatar_size", placed ? json(size_text(placed->size)) : json()},
         {"avatar_position", placed ? json{placed->position.x, placed->position.y} : json()},
         {"picture", plan.picture ? json(to_string(*plan.picture)) : json()},
         {"alpha_source", alpha_json(plan.alpha)},
         {"outputs", outputs_json(plan)},
         {"programme", programme_json(plan)},
         {"frame_rate", rate_json(plan.frame_rate)},
         {"decoding",
          {{"avatar_threads", plan.decoding.avatar_threads},
           {"mask_threads", plan.decoding.mask_threads},
           {"prefetch_depth", plan.decoding.prefetch_depth}}},
         {"warnings", plan.warnings}};
}

}  // namespace avpost::filters
