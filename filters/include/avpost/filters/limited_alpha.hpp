#pragma once
// A limited-range matte code (16 = transparent .. 235 = opaque) as 8-bit alpha:
// round((v - 16) * 255 / 219), clamped. Exact for every code (219 is odd, so no value lies half
// way), and 16-bit throughout (219 * 255 + 109 < 65536), so loops using it vectorise with the
// widest lanes. Shared by the matte builder and the compositor, which expands codes as it reads
// them.
#include <cstdint>

namespace avpost::filters {

[[gnu::always_inline]] inline std::uint16_t alpha_of_limited_code(std::uint8_t code) {
    std::uint16_t v = code < 16 ? 16 : code > 235 ? 235 : code;
    return std::uint16_t((std::uint16_t(v - 16) * 255u + 109u) / 219u);
}

}  // namespace avpost::filters
