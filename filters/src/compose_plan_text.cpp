// The plan as `avpost compose --dry-run` prints it for people: one line per part.
#include <sstream>

#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/registry.hpp"
#include "compose_text.hpp"

namespace avpost::filters {
namespace {

using compose_text::rate_text;
using compose_text::seconds_text;
using compose_text::size_text;

std::string clock_text(Size size, AVRational rate, double duration) {
    std::string text = size_text(size);
    if (rate.num > 0) text += ", " + rate_text(rate) + " fps";
    if (duration > 0) text += ", " + seconds_text(duration);
    return text;
}

void describe_inputs(std::ostream& out, const ComposePlan& plan) {
    const ComposePlan::Avatar& a = plan.avatar;
    out << "avatar: " << a.path << " (" << clock_text(a.size, a.frame_rate, a.duration_seconds)
        << (a.alpha ? ", with alpha" : "") << (a.audio ? ", audio" : ", no audio") << ")\n";
    if (plan.mask) {
        const ComposePlan::Mask& m = *plan.mask;
        out << "mask: " << m.path << " (" << clock_text(m.size, m.frame_rate, m.duration_seconds) << ", "
            << (m.limited ? "limited" : "full") << " range"
            << (m.at_avatar_rate ? "" : ", the latest frame at or before each avatar frame") << ")\n";
    }
    if (plan.background) {
        const ComposePlan::Background& b = *plan.background;
        out << "background: " << b.source;
        if (b.size)
            out << " (" << (b.kind == ComposePlan::BackgroundKind::video ? "video " : "image ") << size_text(*b.size)
                << (b.kind == ComposePlan::BackgroundKind::video ? ", at its end: " + to_string(b.end) : "") << ")";
        out << "\n";
    }
    for (std::size_t i = 0; i < plan.layers.size(); ++i) {
        const Layer& layer = plan.layers[i];
        out << "layer " << i << ": " << to_string(layer.type) << (layer.source.empty() ? "" : " " + layer.source)
            << " at " << layer.offset.x << "," << layer.offset.y << "\n";
    }
}

std::string alpha_text(const ComposePlan::Alpha& a) {
    switch (a.kind) {
        case AlphaKind::mask:
            return a.codes_to_compositor ? "the mask (its codes read by the compositor)" : "the mask";
        case AlphaKind::key: return "keyed from the backdrop (" + key_colour_text(*a.key) + ")";
        case AlphaKind::source_alpha: return "the avatar's own alpha";
        case AlphaKind::none: return "none (opaque)";
    }
    return "?";
}

void describe_outputs(std::ostream& out, const ComposePlan& plan) {
    const ComposePlan::Composite& c = plan.composite;
    if (c.kind == CompositeKind::encoded || c.kind == CompositeKind::transparent)
        out << "output: " << c.path << " (" << c.vcodec << (c.kind == CompositeKind::transparent ? ", with alpha" : "")
            << ")\n";
    if (c.kind == CompositeKind::null) out << "output: none (-o null: composited, not encoded)\n";
    if (plan.delivery)
        for (Preset preset : plan.delivery->presets)
            out << "deliver " << to_string(preset) << ": " << delivery_path(*plan.delivery, preset).string() << "\n";
    if (!plan.alpha.key_matte_output.empty()) out << "key matte: " << plan.alpha.key_matte_output << "\n";
    out << "audio: " << (plan.audio ? "the avatar's" : "none");
    if (plan.audio_end_seconds) out << ", ending with the background at " << seconds_text(*plan.audio_end_seconds);
    out << "\n";
}

}  // namespace

std::string describe(const ComposePlan& plan) {
    std::ostringstream out;
    describe_inputs(out, plan);
    out << "canvas: " << size_text(plan.canvas) << " (" << (plan.matrix == AVCOL_SPC_BT709 ? "bt709" : "bt601")
        << ")\n";
    if (plan.placement)
        out << "avatar placed: " << size_text(plan.placement->size) << " at " << plan.placement->position.x << ","
            << plan.placement->position.y << "\n";
    else
        out << "avatar placed: after a pass over the matte (--fit-to visible)\n";
    if (plan.picture) out << "picture: " << to_string(*plan.picture) << "\n";
    out << "alpha: " << alpha_text(plan.alpha) << "\n";
    describe_outputs(out, plan);
    if (const auto& p = plan.programme) {
        out << "programme: ";
        if (p->intro) out << "intro " << p->intro->path << " (" << p->intro->frames << " frames), ";
        out << "avatar from frame " << p->segment_start_frame << " (" << seconds_text(plan.avatar_start_seconds())
            << ", on the programme's clock like layer times; " << p->segment_frames << " frames)";
        if (p->outro) out << ", outro " << p->outro->path << " from frame " << p->outro_start_frame << " (" << p->outro->frames << " frames)";
        out << "; " << to_string(p->transition.kind);
        if (p->overlap_frames > 0) out << " over " << p->overlap_frames << " frames";
        out << "; " << p->total_frames << " frames in all\n";
    }
    for (const std::string& warning : plan.warnings) out << "warning: " << warning << "\n";
    return out.str();
}

}  // namespace avpost::filters
