#include "avpost/filters/compose_option_tables.hpp"

#include <array>

#include "avpost/media/media_writer.hpp"
#include "compose_text.hpp"

namespace avpost::filters {
namespace {

using nlohmann::json;
using Row = OptionRow<ComposeParams>;

const std::string& text(const json& v) { return v.get_ref<const std::string&>(); }
std::string size_text(Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// Rows leave OptionRow::shapes (the delivery table's column) to its default; gcc 12 warns about
// any aggregate member left out, defaulted or not.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const std::array layout_rows{
    Row{"canvas", "canvas", OptionType::text, "WxH", "Canvas WxH (default: background size; avatar size for a colour)", "",
        [](ComposeParams& p, const json& v) { p.canvas = parse_size(text(v), false); },
        [](const ComposeParams& p) { return p.canvas ? json(size_text(*p.canvas)) : json(); }},
    Row{"position", "position", OptionType::text, "X,Y", "Top-left of the avatar on the canvas, X,Y pixels", "",
        [](ComposeParams& p, const json& v) { p.position = parse_point(text(v)); },
        [](const ComposeParams& p) {
            return p.position ? json(std::to_string(p.position->x) + "," + std::to_string(p.position->y)) : json();
        }},
    Row{"size", "size", OptionType::text, "WxH", "Scale the avatar to WxH (-1 keeps the aspect ratio)", "",
        [](ComposeParams& p, const json& v) { p.size = parse_size(text(v), true); },
        [](const ComposeParams& p) { return p.size ? json(size_text(*p.size)) : json(); }},
    Row{"fit", "fit", OptionType::text, "",
        "How the avatar is scaled when no size is given (default: contain; none with a position)",
        "contain,cover,fill,none", [](ComposeParams& p, const json& v) { p.fit = parse_fit(text(v)); },
        [](const ComposeParams& p) { return p.fit ? json(to_string(*p.fit)) : json(); }},
    Row{"anchor", "anchor", OptionType::text, "", "Where the avatar goes on the canvas when no position is given",
        "center,top,bottom,left,right,top-left,top-right,bottom-left,bottom-right",
        [](ComposeParams& p, const json& v) { p.anchor = parse_anchor(text(v)); },
        [](const ComposeParams& p) { return json(to_string(p.anchor)); }},
    Row{"fit_to", "fit-to", OptionType::text, "",
        "What fit, size, anchor and position place: the whole frame, or the matte's bounding box over the clip (the "
        "person, without the render's transparent margins)",
        "frame,visible", [](ComposeParams& p, const json& v) { p.fit_to = parse_fit_to(text(v)); },
        [](const ComposeParams& p) { return json(to_string(p.fit_to)); }},
    Row{"matte", "", OptionType::object, "", "The matte's own options: mask_range, choke, feather", "",
        [](ComposeParams& p, const json& v) { read_nested_options(matte_options(), v, p.matte); },
        [](const ComposeParams& p) { return write_options(matte_options(), p.matte); }},
    Row{"despill", "despill", OptionType::text, "COLOUR",
        "The render's backdrop colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name): removed from the avatar's edge in "
        "proportion to the matte",
        "", [](ComposeParams& p, const json& v) { p.despill = parse_colour(text(v)); },
        [](const ComposeParams& p) { return p.despill ? json(compose_text::colour_text(*p.despill)) : json(); }},
    Row{"key", "key", OptionType::text_or_object, "COLOUR",
        "Instead of a mask: pull the matte from the render's colour backdrop, 'auto' (found on the frame's border) or a "
        "colour",
        "", [](ComposeParams& p, const json& v) { p.key = v.get<KeyParams>(); },
        [](const ComposeParams& p) { return p.key ? json(*p.key) : json(); }},
    Row{"key_matte_output", "key-matte-out", OptionType::text, "FILE",
        "With a key: also write the pulled matte as a grey video FILE (.mkv: FFV1, else H.264)", "",
        [](ComposeParams& p, const json& v) { p.key_matte_output = text(v); },
        [](const ComposeParams& p) { return p.key_matte_output.empty() ? json() : json(p.key_matte_output); }},
    Row{"background_end", "bg-end", OptionType::text, "", "What a background video does when it ends", "loop,hold,stop",
        [](ComposeParams& p, const json& v) { p.background_end = parse_background_end(text(v)); },
        [](const ComposeParams& p) { return json(to_string(p.background_end)); }},
    Row{"intro", "intro", OptionType::path, "",
        "A video (with or without audio) shown before the composite, contained on the canvas", "",
        [](ComposeParams& p, const json& v) { p.intro = text(v); },
        [](const ComposeParams& p) { return p.intro.empty() ? json() : json(p.intro); }},
    Row{"outro", "outro", OptionType::path, "", "A video shown after the composite, contained on the canvas", "",
        [](ComposeParams& p, const json& v) { p.outro = text(v); },
        [](const ComposeParams& p) { return p.outro.empty() ? json() : json(p.outro); }},
    Row{"transition", "transition", OptionType::text, "",
        "How the intro passes to the composite and the composite to the outro (picture and sound together)",
        "cut,crossfade,fade-through,wipe-left,wipe-right",
        [](ComposeParams& p, const json& v) { p.transition.kind = parse_transition_kind(text(v)); },
        [](const ComposeParams& p) { return json(to_string(p.transition.kind)); }},
    Row{"transition_seconds", "transition-seconds", OptionType::number, "S",
        "How long each transition overlaps the parts it joins (not for a cut)", "",
        [](ComposeParams& p, const json& v) { p.transition.seconds = number_in_range(v, 0.04, 10); },
        [](const ComposeParams& p) { return json(p.transition.seconds); }},
    Row{"transition_colour", "transition-colour", OptionType::text, "COLOUR", "The colour fade-through passes through", "",
        [](ComposeParams& p, const json& v) { p.transition.colour = parse_colour(text(v)); },
        [](const ComposeParams& p) { return json(compose_text::colour_text(p.transition.colour)); }},
    Row{"music", "", OptionType::object, "",
        "Music under the voice for the whole programme: source, level, duck, attack, release, loop, fade_in, fade_out", "",
        [](ComposeParams& p, const json& v) {
            MusicParams music;
            read_nested_options(music_options(), v, music);
            p.music = std::move(music);
        },
        [](const ComposeParams& p) { return p.music ? write_options(music_options(), *p.music) : json(); }},
    Row{"allow_mask_mismatch", "allow-mask-mismatch", OptionType::boolean, "",
        "Use a mask whose duration differs from the avatar's by more than two frames (another render's)", "",
        [](ComposeParams& p, const json& v) { p.allow_mask_mismatch = v.get<bool>(); },
        [](const ComposeParams& p) { return json(p.allow_mask_mismatch); }},
    Row{"allow_short", "allow-short", OptionType::boolean, "",
        "Use an avatar or mask that ends well before the duration its header declares (a cut file), with a warning, "
        "instead of failing",
        "", [](ComposeParams& p, const json& v) { p.allow_short = v.get<bool>(); },
        [](const ComposeParams& p) { return json(p.allow_short); }},
};

std::vector<OptionProblem> layout_cross_check(const ComposeParams& p) {
    std::vector<OptionProblem> problems;
    if (p.key && p.despill)
        problems.push_back({"despill", "not with a key: the key removes the backdrop's spill itself (this is for mattes "
                                       "that come with the render)"});
    if (!p.key_matte_output.empty() && !p.key) problems.push_back({"key_matte_output", "needs a key"});
    if (p.intro.empty() && p.outro.empty()) {
        if (p.transition.kind != Transition{}.kind) problems.push_back({"transition", "needs an intro or an outro"});
        else if (p.transition.seconds != Transition{}.seconds)
            problems.push_back({"transition_seconds", "needs an intro or an outro"});
    }
    return problems;
}

using MatteRow = OptionRow<MatteParams>;
const std::array matte_rows{
    MatteRow{"mask_range", "mask-range", OptionType::text, "",
             "The mask's code range (auto: the stream's tag; untagged H.264/HEVC is limited)", "auto,limited,full",
             [](MatteParams& p, const json& v) { p.range = parse_mask_range(text(v)); },
             [](const MatteParams& p) { return json(to_string(p.range)); }},
    MatteRow{"choke", "choke", OptionType::integer, "PX", "Erode the matte by PX pixels (negative dilates)", "",
             [](MatteParams& p, const json& v) { p.choke = int(number_in_range(v, -1000, 1000)); },
             [](const MatteParams& p) { return json(p.choke); }},
    MatteRow{"feather", "feather", OptionType::number, "PX", "Soften the matte edge by PX pixels", "",
             [](MatteParams& p, const json& v) { p.feather = number_in_range(v, 0, 1000); },
             [](const MatteParams& p) { return json(p.feather); }},
};

using KeyRow = OptionRow<KeyParams>;
const std::array key_rows{
    KeyRow{"colour", "", OptionType::text, "COLOUR", "The backdrop colour, or 'auto' (found on the frame's border)", "",
           [](KeyParams& p, const json& v) { p.colour = parse_key(text(v)).colour; },
           [](const KeyParams& p) { return json(key_colour_text(p)); }},
    KeyRow{"clip_black", "", OptionType::number, "", "Opacity at or below this is fully transparent (codec noise)", "",
           [](KeyParams& p, const json& v) { p.clip_black = number_in_range(v, 0, 1); },
           [](const KeyParams& p) { return json(p.clip_black); }},
    KeyRow{"clip_white", "", OptionType::number, "", "Opacity at or above this is fully opaque", "",
           [](KeyParams& p, const json& v) { p.clip_white = number_in_range(v, 0, 1); },
           [](const KeyParams& p) { return json(p.clip_white); }},
    KeyRow{"temporal", "", OptionType::number, "",
           "Weight of the previous frame's matte for edge pixels that barely moved (0: off)", "",
           [](KeyParams& p, const json& v) { p.temporal = number_in_range(v, 0, 1); },
           [](const KeyParams& p) { return json(p.temporal); }},
};

std::vector<OptionProblem> key_cross_check(const KeyParams& p) {
    if (p.clip_black < p.clip_white) return {};
    return {{"clip_white", "must be greater than clip_black (" + number_text(p.clip_black) + ")"}};
}

const std::array encode_rows{
    Row{"vcodec", "vcodec", OptionType::text, "", "Any libavcodec video encoder", "",
        [](ComposeParams& p, const json& v) {
            if (!media::video_encoder_exists(text(v)))
                throw_usage("unknown video encoder '" + text(v) + "' (see `ffmpeg -encoders`)");
            p.vcodec = text(v);
        },
        [](const ComposeParams& p) { return json(p.vcodec); }},
    Row{"crf", "crf", OptionType::integer, "", "Encoder quality (passed through)", "",
        [](ComposeParams& p, const json& v) { p.crf = int(number_in_range(v, 0, 63)); },
        [](const ComposeParams& p) { return p.crf ? json(*p.crf) : json(); }},
    Row{"encoder_preset", "encoder-preset", OptionType::text, "",
        "The encoder's speed preset (x264/x265: ultrafast ... medium ... placebo)", "",
        [](ComposeParams& p, const json& v) { p.preset = text(v); },
        [](const ComposeParams& p) { return p.preset.empty() ? json() : json(p.preset); }},
};
#pragma GCC diagnostic pop

}  // namespace

const OptionTable<ComposeParams>& layout_options() {
    static const OptionTable<ComposeParams> table{"compose", layout_rows, layout_cross_check};
    return table;
}
const OptionTable<MatteParams>& matte_options() {
    static const OptionTable<MatteParams> table{"matte", matte_rows};
    return table;
}
const OptionTable<KeyParams>& key_options() {
    static const OptionTable<KeyParams> table{"key", key_rows, key_cross_check};
    return table;
}
const OptionTable<ComposeParams>& encode_options() {
    static const OptionTable<ComposeParams> table{"encode", encode_rows};
    return table;
}

// JSON: "auto" or a colour, or {"colour", "clip_black", "clip_white", "temporal"}.
void to_json(nlohmann::json& j, const KeyParams& p) { j = write_options(key_options(), p); }
void from_json(const nlohmann::json& j, KeyParams& p) {
    if (j.is_string()) {
        p = parse_key(j.get<std::string>());
        return;
    }
    KeyParams parsed;
    read_nested_options(key_options(), j, parsed);
    p = parsed;
}
void to_json(nlohmann::json& j, const MatteParams& p) { j = write_options(matte_options(), p); }
void from_json(const nlohmann::json& j, MatteParams& p) {
    MatteParams parsed;
    read_nested_options(matte_options(), j, parsed);
    p = parsed;
}

}  // namespace avpost::filters
