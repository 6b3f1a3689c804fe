#pragma once
// What a compose's parameters say on their face, read in one place by the checks and the plan.
#include <algorithm>

#include "avpost/filters/compose.hpp"

namespace avpost::filters::compose_facts {

// --background transparent: the avatar alone on its matte.
inline bool transparent(const ComposeParams& p) { return p.background == "transparent"; }
// Something is drawn under the avatar: a background (not "transparent") or a scene's layers.
inline bool has_backdrop(const ComposeParams& p) {
    return (!p.background.empty() && !transparent(p)) || !p.layers.empty();
}
inline bool writes_file(const ComposeParams& p) { return !p.output.empty() && p.output != "null"; }
// Some output carries the avatar alone on transparency: a transparent -o, or an alpha delivery.
inline bool needs_alpha_layer(const ComposeParams& p) {
    return (writes_file(p) && transparent(p)) ||
           (p.delivery && std::any_of(p.delivery->presets.begin(), p.delivery->presets.end(), preset_has_alpha));
}

}  // namespace avpost::filters::compose_facts
