#include "avpost/filters/text_picture.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" {
#include <ass/ass.h>
}
#include <fontconfig/fontconfig.h>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::filters {
namespace {

struct LibraryDeleter {
    void operator()(ASS_Library* p) const { ass_library_done(p); }
};
struct RendererDeleter {
    void operator()(ASS_Renderer* p) const { ass_renderer_done(p); }
};
struct TrackDeleter {
    void operator()(ASS_Track* p) const { ass_free_track(p); }
};
struct PatternDeleter {
    void operator()(FcPattern* p) const { FcPatternDestroy(p); }
};
struct FontSetDeleter {
    void operator()(FcFontSet* p) const { FcFontSetDestroy(p); }
};
struct CharSetDeleter {
    void operator()(FcCharSet* p) const { FcCharSetDestroy(p); }
};
using PatternPtr = std::unique_ptr<FcPattern, PatternDeleter>;

// The safe area: 5% of each side (EBU R 95's action-safe margin, as captions use).
int safe_margin(int side) { return int(std::lround(side * 0.05)); }

bool names_font_file(const std::string& font) {
    return font.find('/') != std::string::npos || font.ends_with(".ttf") || font.ends_with(".otf") ||
           font.ends_with(".ttc") || font.ends_with(".woff");
}

// UTF-8 to code points; a byte that starts no sequence stands for itself (U+FFFD is not drawn).
std::vector<std::pair<char32_t, std::string>> code_points(const std::string& text) {
    std::vector<std::pair<char32_t, std::string>> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (std::size_t k = 1; k < n && i + k < text.size(); ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
        out.emplace_back(cp, text.substr(i, n));
        i += n;
    }
    return out;
}

// The font's own pattern: a file's first face, or the family as fontconfig is asked for it.
PatternPtr font_pattern(const std::string& font) {
    if (names_font_file(font)) {
        int faces = 0;
        return PatternPtr(FcFreeTypeQuery(reinterpret_cast<const FcChar8*>(font.c_str()), 0, nullptr, &faces));
    }
    return PatternPtr(FcNameParse(reinterpret_cast<const FcChar8*>(font.c_str())));
}

std::string family_of(FcPattern* pattern) {
    FcChar8* family = nullptr;
    if (FcPatternGetString(pattern, FC_FAMILY, 0, &family) != FcResultMatch || !family) return {};
    return reinterpret_cast<const char*>(family);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

// Every character the font and fontconfig's fallbacks for it can draw.
std::unique_ptr<FcCharSet, CharSetDeleter> coverage(const TextStyle& style) {
    PatternPtr pattern(FcNameParse(reinterpret_cast<const FcChar8*>(names_font_file(style.font) ? "sans-serif"
                                                                                                  : style.font.c_str())));
    FcConfigSubstitute(nullptr, pattern.get(), FcMatchPattern);
    FcDefaultSubstitute(pattern.get());
    FcResult result = FcResultNoMatch;
    FcCharSet* all = nullptr;
    std::unique_ptr<FcFontSet, FontSetDeleter> fonts(FcFontSort(nullptr, pattern.get(), FcTrue, &all, &result));
    std::unique_ptr<FcCharSet, CharSetDeleter> union_set(all ? all : FcCharSetCreate());
    if (names_font_file(style.font))
        if (PatternPtr file = font_pattern(style.font)) {
            FcCharSet* own = nullptr;
            if (FcPatternGetCharSet(file.get(), FC_CHARSET, 0, &own) == FcResultMatch && own) FcCharSetMerge(union_set.get(), own, nullptr);
        }
    return union_set;
}

std::string ass_colour(Rgb8 c, std::uint8_t alpha = 255) {
    char text[16];
    std::snprintf(text, sizeof text, "&H%02X%02X%02X%02X", 255 - alpha, c.b, c.g, c.r);
    return text;
}

// Plain text as ASS dialogue text: line breaks as \N; braces and a backslash kept literal.
std::string ass_text(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += "\\N";
        else if (c == '{') out += "\\{";
        else if (c == '}') out += "\\}";
        else if (c == '\\') out += "\\\xE2\x81\xA0";  // a word joiner stops \N, \n, \h from forming
        else if (c != '\r') out += c;
    }
    return out;
}

void quiet_libass(int level, const char* format, va_list args, void*) {
    if (level > 2) return;
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    log::debug(std::string("libass: ") + text);
}

// The text as libass lays it out in a frame `width` wide, top-aligned, premultiplied RGBA.
struct Drawn {
    std::vector<float> rgba;  // premultiplied, 0..1
    int width = 0, height = 0;
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // the ink's box in the buffer (x1, y1 exclusive); empty: x1 <= x0
};

Drawn draw_text(const TextStyle& style, int width, int height, const std::string& family) {
    std::unique_ptr<ASS_Library, LibraryDeleter> library(ass_library_init());
    if (!library) throw_av("ass_library_init", AVERROR(ENOMEM));
    ass_set_message_cb(library.get(), quiet_libass, nullptr);
    std::vector<char> font_data;
    if (names_font_file(style.font)) {
        std::ifstream in(style.font, std::ios::binary);
        font_data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        ass_add_font(library.get(), const_cast<char*>(family.c_str()), font_data.data(), int(font_data.size()));
    }
    std::unique_ptr<ASS_Renderer, RendererDeleter> renderer(ass_renderer_init(library.get()));
    if (!renderer) throw_av("ass_renderer_init", AVERROR(ENOMEM));
    ass_set_frame_size(renderer.get(), width, height);
    ass_set_storage_size(renderer.get(), width, height);
    ass_set_fonts(renderer.get(), nullptr, "sans-serif", ASS_FONTPROVIDER_AUTODETECT, nullptr, 1);
    const int alignment = style.align == TextAlign::left ? 7 : style.align == TextAlign::center ? 8 : 9;
    const std::string script =
        "[Script Info]\nScriptType: v4.00+\nPlayResX: " + std::to_string(width) + "\nPlayResY: " + std::to_string(height) +
        "\nWrapStyle: 0\nScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\n"
        "Style: Text," + family + "," + std::to_string(style.size) + "," + ass_colour(style.colour) +
        ",&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0," + std::to_string(alignment) +
        ",0,0,0,1\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:00.00,9:00:00.00,Text,,0,0,0,," + ass_text(style.text) + "\n";
    std::unique_ptr<ASS_Track, TrackDeleter> track(
        ass_read_memory(library.get(), const_cast<char*>(script.data()), script.size(), const_cast<char*>("UTF-8")));
    if (!track) throw_av("ass_read_memory (text)", AVERROR_INVALIDDATA);
    int changed = 0;
    const ASS_Image* images = ass_render_frame(renderer.get(), track.get(), 0, &changed);

    // Only the images' rectangle gets memory (the frame is the canvas's height: a float buffer of
    // a 4K frame would be over 100 MB); coordinates below are relative to it.
    int rx0 = width, ry0 = height, rx1 = 0, ry1 = 0;
    for (const ASS_Image* image = images; image; image = image->next) {
        if (image->w <= 0 || image->h <= 0) continue;
        rx0 = std::min(rx0, std::max(0, image->dst_x)), rx1 = std::max(rx1, std::min(width, image->dst_x + image->w));
        ry0 = std::min(ry0, std::max(0, image->dst_y)), ry1 = std::max(ry1, std::min(height, image->dst_y + image->h));
    }
    Drawn drawn;
    if (rx1 <= rx0 || ry1 <= ry0) return drawn;  // nothing drawn
    width = rx1 - rx0, height = ry1 - ry0;
    drawn.width = width;
    drawn.height = height;
    drawn.rgba.assign(std::size_t(width) * height * 4, 0.0f);
    drawn.x0 = width, drawn.y0 = height;
    for (const ASS_Image* image = images; image; image = image->next) {
        const float r = float((image->color >> 24) & 0xFF) / 255.0f, g = float((image->color >> 16) & 0xFF) / 255.0f,
                    b = float((image->color >> 8) & 0xFF) / 255.0f;
        const float opacity = float(255 - (image->color & 0xFF)) / 255.0f;
        for (int y = 0; y < image->h; ++y) {
            const int cy = image->dst_y + y - ry0;
            if (cy < 0 || cy >= height) continue;
            for (int x = 0; x < image->w; ++x) {
                const int cx = image->dst_x + x - rx0;
                const unsigned char cover = image->bitmap[std::ptrdiff_t(y) * image->stride + x];
                if (cx < 0 || cx >= width || cover == 0) continue;
                const float a = cover / 255.0f * opacity;
                float* px = &drawn.rgba[(std::size_t(cy) * width + cx) * 4];
                px[0] = r * a + px[0] * (1 - a);
                px[1] = g * a + px[1] * (1 - a);
                px[2] = b * a + px[2] * (1 - a);
                px[3] = a + px[3] * (1 - a);
                drawn.x0 = std::min(drawn.x0, cx), drawn.x1 = std::max(drawn.x1, cx + 1);
                drawn.y0 = std::min(drawn.y0, cy), drawn.y1 = std::max(drawn.y1, cy + 1);
            }
        }
    }
    return drawn;
}

}  // namespace

TextAlign parse_text_align(std::string_view text) {
    if (text == "left") return TextAlign::left;
    if (text == "center" || text == "centre") return TextAlign::center;
    if (text == "right") return TextAlign::right;
    throw_usage("unknown align '" + std::string(text) + "' (left, center, right)");
}

std::string to_string(TextAlign align) {
    return align == TextAlign::left ? "left" : align == TextAlign::center ? "center" : "right";
}

Rgba8 parse_rgba(std::string_view text) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (text.size() == 9 && text[0] == '#' && std::all_of(text.begin() + 1, text.end(), hex)) {
        Rgba8 out{parse_colour(text.substr(0, 7)), 255};
        out.alpha = std::uint8_t(std::stoi(std::string(text.substr(7, 2)), nullptr, 16));
        return out;
    }
    try {
        return {parse_colour(text), 255};
    } catch (const Error&) {
        throw_usage("'" + std::string(text) + "' is not a colour (#RRGGBBAA, or #RRGGBB, 0xRRGGBB, RRGGBB or a CSS name)");
    }
}

std::string rgba_text(const Rgba8& c) {
    char text[16];
    std::snprintf(text, sizeof text, "#%02X%02X%02X%02X", c.colour.r, c.colour.g, c.colour.b, c.alpha);
    return text;
}

std::string missing_glyphs(const TextStyle& style) {
    FcInit();
    auto covered = coverage(style);
    std::string missing;
    for (const auto& [cp, written] : code_points(style.text)) {
        if (cp == '\n' || cp == '\r' || cp == '\t' || cp == ' ' || cp == 0x200D || cp == 0x200C || cp == 0xFE0F) continue;
        if (!FcCharSetHasChar(covered.get(), FcChar32(cp)) && missing.find(written) == std::string::npos) missing += written;
    }
    return missing;
}

void check_text(const TextStyle& style, const std::string& where) {
    FcInit();
    if (style.text.empty()) throw_usage(where + ": the text is empty");
    if (names_font_file(style.font)) {
        std::error_code ignored;
        if (!std::filesystem::is_regular_file(style.font, ignored))
            throw_usage(where + ": font file '" + style.font + "' does not exist");
        PatternPtr file = font_pattern(style.font);
        if (!file || family_of(file.get()).empty()) throw_usage(where + ": '" + style.font + "' is not a font file");
    } else {
        // A family fontconfig does not know matches some other font: say so rather than draw in it.
        static const std::vector<std::string> generic{"sans-serif", "sans", "serif", "monospace", "mono", "cursive", "fantasy"};
        const std::string wanted = lower(family_of(font_pattern(style.font).get()));
        if (std::find(generic.begin(), generic.end(), wanted) == generic.end()) {
            PatternPtr pattern = font_pattern(style.font);
            FcConfigSubstitute(nullptr, pattern.get(), FcMatchPattern);
            FcDefaultSubstitute(pattern.get());
            FcResult result = FcResultNoMatch;
            PatternPtr match(FcFontMatch(nullptr, pattern.get(), &result));
            bool found = false;
            for (int i = 0; match && !found; ++i) {
                FcChar8* family = nullptr;
                if (FcPatternGetString(match.get(), FC_FAMILY, i, &family) != FcResultMatch) break;
                found = lower(reinterpret_cast<const char*>(family)) == wanted;
            }
            if (!found)
                throw_usage(where + ": font '" + style.font + "' is not installed (`fc-list : family` lists those that are)");
        }
    }
    if (const std::string missing = missing_glyphs(style); !missing.empty())
        throw_usage(where + ": no installed font has '" + missing + "' (a font package with them, e.g. fonts-noto-core or "
                                                                      "fonts-noto-cjk, draws them)");
}

Point anchored_position(Anchor anchor, Size size, Size canvas) {
    const int mx = safe_margin(canvas.width), my = safe_margin(canvas.height);
    const int free_x = canvas.width - 2 * mx - size.width, free_y = canvas.height - 2 * my - size.height;
    const int mid_x = mx + int(std::floor(free_x / 2.0)), mid_y = my + int(std::floor(free_y / 2.0));
    const int right = mx + free_x, bottom = my + free_y;
    switch (anchor) {
        case Anchor::center: return {mid_x, mid_y};
        case Anchor::top: return {mid_x, my};
        case Anchor::bottom: return {mid_x, bottom};
        case Anchor::left: return {mx, mid_y};
        case Anchor::right: return {right, mid_y};
        case Anchor::top_left: return {mx, my};
        case Anchor::top_right: return {right, my};
        case Anchor::bottom_left: return {mx, bottom};
        case Anchor::bottom_right: return {right, bottom};
    }
    return {mid_x, mid_y};
}

std::optional<Point> position_clear_of(Anchor anchor, Size size, Size canvas, Box avoid) {
    const Point base = anchored_position(anchor, size, canvas);
    const int mx = safe_margin(canvas.width), my = safe_margin(canvas.height);
    auto overlaps = [&](Point p) {
        return p.x < avoid.x + avoid.width && avoid.x < p.x + size.width && p.y < avoid.y + avoid.height &&
               avoid.y < p.y + size.height;
    };
    auto inside = [&](Point p) {
        return p.x >= mx && p.y >= my && p.x + size.width <= canvas.width - mx && p.y + size.height <= canvas.height - my;
    };
    if (!overlaps(base)) return base;
    // Along a top or bottom side it moves sideways; along a left or right side, up or down; in a
    // corner or the centre, either.
    const bool sideways = anchor != Anchor::left && anchor != Anchor::right;
    const bool upright = anchor != Anchor::top && anchor != Anchor::bottom;
    std::vector<Point> candidates;
    if (sideways) candidates.insert(candidates.end(), {{avoid.x + avoid.width, base.y}, {avoid.x - size.width, base.y}});
    if (upright) candidates.insert(candidates.end(), {{base.x, avoid.y + avoid.height}, {base.x, avoid.y - size.height}});
    std::optional<Point> best;
    auto distance = [&](Point p) { return std::abs(p.x - base.x) + std::abs(p.y - base.y); };
    for (const Point& p : candidates)
        if (inside(p) && !overlaps(p) && (!best || distance(p) < distance(*best))) best = p;
    return best;
}

media::FramePtr render_text(const TextStyle& style, Size canvas, const std::string& where) {
    check_text(style, where);
    const std::string family = names_font_file(style.font) ? family_of(font_pattern(style.font).get()) : style.font;
    const int width = std::max(1, style.max_width.value_or(canvas.width - 2 * safe_margin(canvas.width)));
    // Tall enough for the lines the width makes (a line is about 1.2 em).
    const int height = std::clamp(canvas.height, 1, 16384);
    const Drawn drawn = draw_text(style, width, height, family);
    if (drawn.x1 <= drawn.x0) throw_usage(where + ": the text draws nothing");
    const int pad = std::max(0, style.padding);
    const int w = drawn.x1 - drawn.x0 + 2 * pad, h = drawn.y1 - drawn.y0 + 2 * pad;
    media::FramePtr out = media::make_video_frame(AV_PIX_FMT_RGBA, w, h);
    const float box_a = style.box ? style.box->alpha / 255.0f : 0.0f;
    const Rgb8 box_colour = style.box ? style.box->colour : style.colour;
    for (int y = 0; y < h; ++y) {
        std::uint8_t* row = out->data[0] + std::ptrdiff_t(y) * out->linesize[0];
        for (int x = 0; x < w; ++x) {
            const int sx = drawn.x0 + x - pad, sy = drawn.y0 + y - pad;
            const bool inside = sx >= 0 && sy >= 0 && sx < drawn.width && sy < drawn.height;
            const float* px = inside ? &drawn.rgba[(std::size_t(sy) * drawn.width + sx) * 4] : nullptr;
            const float ta = px ? px[3] : 0.0f;
            // Text over the box, premultiplied.
            float r = (px ? px[0] : 0) + box_colour.r / 255.0f * box_a * (1 - ta);
            float g = (px ? px[1] : 0) + box_colour.g / 255.0f * box_a * (1 - ta);
            float b = (px ? px[2] : 0) + box_colour.b / 255.0f * box_a * (1 - ta);
            const float a = ta + box_a * (1 - ta);
            std::uint8_t* dst = row + 4 * x;
            if (a <= 0) {
                // Transparent: the text's colour underneath, so 4:2:0 chroma averaged across the edge does not fringe.
                dst[0] = style.colour.r, dst[1] = style.colour.g, dst[2] = style.colour.b, dst[3] = 0;
                continue;
            }
            dst[0] = std::uint8_t(std::lround(std::clamp(r / a, 0.0f, 1.0f) * 255));
            dst[1] = std::uint8_t(std::lround(std::clamp(g / a, 0.0f, 1.0f) * 255));
            dst[2] = std::uint8_t(std::lround(std::clamp(b / a, 0.0f, 1.0f) * 255));
            dst[3] = std::uint8_t(std::lround(a * 255));
        }
    }
    return out;
}

}  // namespace avpost::filters
