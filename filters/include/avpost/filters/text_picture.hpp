#pragma once
// A text layer's picture: the text shaped and laid out by libass (HarfBuzz shaping, so Arabic
// and Hebrew run right to left and combining marks sit on their letters; fontconfig falls back
// to any installed font that has a character), wrapped at a width, on an optional box, rendered
// once as straight RGBA at the size of its ink plus padding.
#include <optional>
#include <string>

#include "avpost/filters/colour.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

enum class TextAlign { left, center, right };
TextAlign parse_text_align(std::string_view text);  // "left" | "center" | "right"
std::string to_string(TextAlign align);

struct Rgba8 {
    Rgb8 colour;
    std::uint8_t alpha = 255;
};
// "#RRGGBBAA", or any colour parse_colour takes (opaque). Throws Error(usage).
Rgba8 parse_rgba(std::string_view text);
std::string rgba_text(const Rgba8& colour);  // "#RRGGBBAA"

struct TextStyle {
    std::string text;                  // UTF-8; "\n" breaks a line
    std::string font = "DejaVu Sans";  // a fontconfig family ("Noto Sans CJK JP", "sans-serif") or a font file
    int size = 48;                     // pixels (the em)
    Rgb8 colour{255, 255, 255};
    std::optional<Rgba8> box;          // drawn behind the text, padding around its ink; none: no box
    int padding = 0;                   // pixels around the ink (inside the box)
    std::optional<int> max_width;      // lines wrap at this many pixels; default: the canvas's safe width
    TextAlign align = TextAlign::left;
};

// The characters of `style.text` that no installed font has (nor the font file), as written;
// empty when every one can be drawn.
std::string missing_glyphs(const TextStyle& style);

// Throws Error(usage) naming `where` ("layer 3 (text)") for a font that is not installed (a
// family fontconfig does not know; a file that is not there or is no font) or characters no
// font has, naming them.
void check_text(const TextStyle& style, const std::string& where);

// The text drawn once on a transparent picture (straight RGBA, chroma-safe: fully transparent
// pixels carry the nearest drawn colour) just large enough for its ink and padding. Throws
// check_text's errors, and Error(usage) when nothing would be drawn.
media::FramePtr render_text(const TextStyle& style, Size canvas, const std::string& where);

// Top-left of a picture of `size` placed at `anchor` inside the canvas's safe area.
Point anchored_position(Anchor anchor, Size size, Size canvas);
// The place nearest the anchored one, along the anchor's side(s) and inside the safe area, where a
// picture of `size` does not overlap `avoid`; nullopt when there is none.
std::optional<Point> position_clear_of(Anchor anchor, Size size, Size canvas, Box avoid);

}  // namespace avpost::filters
