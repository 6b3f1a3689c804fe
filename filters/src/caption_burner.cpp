#include "avpost/filters/caption_burner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include <ass/ass.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/filters/hot_loop.hpp"
#include "avpost/filters/text_picture.hpp"

namespace avpost::filters {

void CaptionBurner::LibraryDeleter::operator()(ass_library* p) const { ass_library_done(p); }
void CaptionBurner::RendererDeleter::operator()(ass_renderer* p) const { ass_renderer_done(p); }
void CaptionBurner::TrackDeleter::operator()(ass_track* p) const { ass_free_track(p); }

CaptionLayout caption_layout(Size canvas) {
    const bool portrait = canvas.height > canvas.width;
    CaptionLayout layout;
    // About 1/18 of the picture's height, but narrow enough that 42 characters of DejaVu Sans
    // (about 0.6 em each) fit inside the side margins.
    layout.margin_side = int(std::lround(canvas.width * 0.05));
    const double width_bound = (canvas.width - 2.0 * layout.margin_side) / (double(caption_line_chars) * 0.6);
    layout.font_size = std::max(8, int(std::floor(std::min(canvas.height / 18.0, width_bound))));
    // Landscape: inside the 5% title-safe margin, with a little air. Portrait (phone feeds): above
    // the bottom ~15% the platforms cover with captions, buttons and the account line.
    layout.margin_bottom = int(std::lround(canvas.height * (portrait ? 0.20 : 0.07)));
    return layout;
}

namespace {

std::string ass_time(double seconds) {
    const long cs = std::max(0L, long(std::lround(seconds * 100.0)));
    char text[32];
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld.%02ld", cs / 360000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
    return text;
}

// Plain text as ASS dialogue text: line breaks as \N; braces and a backslash before N, n or h
// kept literal.
std::string ass_text(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') out += "\\N";
        else if (c == '{') out += "\\{";
        else if (c == '}') out += "\\}";
        else if (c == '\\') out += "\\\xE2\x81\xA0";  // a word joiner stops \N, \n, \h from forming
        else out += c;
    }
    return out;
}

std::string script_for(const std::vector<Cue>& cues, Size canvas) {
    const CaptionLayout layout = caption_layout(canvas);
    const int outline = std::max(1, int(std::lround(layout.font_size * 0.08)));
    const int shadow = std::max(1, int(std::lround(layout.font_size * 0.04)));
    std::string script = "[Script Info]\nScriptType: v4.00+\nPlayResX: " + std::to_string(canvas.width) +
                         "\nPlayResY: " + std::to_string(canvas.height) +
                         "\nWrapStyle: 2\nScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
                         "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
                         "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
                         "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
                         "Style: Default,DejaVu Sans," + std::to_string(layout.font_size) +
                         ",&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1," + std::to_string(outline) +
                         "," + std::to_string(shadow) + ",2," + std::to_string(layout.margin_side) + "," +
                         std::to_string(layout.margin_side) + "," + std::to_string(layout.margin_bottom) +
                         ",1\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n";
    for (const Cue& cue : cues)
        script += "Dialogue: 0," + ass_time(cue.start) + "," + ass_time(cue.end) + ",Default,,0,0,0,," + ass_text(cue.text) + "\n";
    return script;
}

void route_message(int level, const char* format, va_list args, void*) {
    if (level > 2) return;  // libass's informational chatter
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    log::debug(std::string("libass: ") + text);
}

}  // namespace

CaptionBurner::CaptionBurner(const std::vector<Cue>& cues, Size canvas, AVColorSpace matrix)
    : canvas_(canvas), burned_(media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height)) {
    // A character no installed font has would burn as an empty box: refused, by name, first.
    // Asked once for all the cues (fontconfig sorts every font per question); the first cue with a
    // missing character is then named.
    TextStyle probe;
    for (const Cue& cue : cues) probe.text += cue.text + "\n";
    if (const std::string missing = missing_glyphs(probe); !missing.empty())
        for (std::size_t i = 0; i < cues.size(); ++i) {
            probe.text = cues[i].text;
            if (const std::string in_cue = missing_glyphs(probe); !in_cue.empty())
                throw_usage("captions: cue " + std::to_string(i + 1) + " at " + ass_time(cues[i].start) +
                            ": no installed font has '" + in_cue +
                            "' (a font package with them, e.g. fonts-noto-core or fonts-noto-cjk, draws them)");
        }
    if (matrix == AVCOL_SPC_BT709) kr_ = 0.2126f, kb_ = 0.0722f;
    else if (matrix == AVCOL_SPC_BT2020_NCL || matrix == AVCOL_SPC_BT2020_CL) kr_ = 0.2627f, kb_ = 0.0593f;
    else kr_ = 0.299f, kb_ = 0.114f;
    library_.reset(ass_library_init());
    if (!library_) throw_av("ass_library_init", AVERROR(ENOMEM));
    ass_set_message_cb(library_.get(), route_message, nullptr);
    renderer_.reset(ass_renderer_init(library_.get()));
    if (!renderer_) throw_av("ass_renderer_init", AVERROR(ENOMEM));
    ass_set_frame_size(renderer_.get(), canvas.width, canvas.height);
    ass_set_storage_size(renderer_.get(), canvas.width, canvas.height);
    ass_set_fonts(renderer_.get(), nullptr, "sans-serif", ASS_FONTPROVIDER_AUTODETECT, nullptr, 1);
    std::string script = script_for(cues, canvas);
    track_.reset(ass_read_memory(library_.get(), script.data(), script.size(), const_cast<char*>("UTF-8")));
    if (!track_) throw_av("ass_read_memory (captions)", AVERROR_INVALIDDATA);
    overlay_.assign(std::size_t(canvas.width) * canvas.height * 4, 0);
}

CaptionBurner::~CaptionBurner() = default;

// The libass images (alpha coverage in one colour each, back to front) over a transparent
// overlay: premultiplied RGBA "over".
void CaptionBurner::compose_overlay(const void* first) {
    for (int y = dirty_.y; y < dirty_.y + dirty_.height; ++y)
        std::memset(&overlay_[(std::size_t(y) * canvas_.width + dirty_.x) * 4], 0, std::size_t(dirty_.width) * 4);
    int x0 = canvas_.width, y0 = canvas_.height, x1 = 0, y1 = 0;
    for (const ASS_Image* image = static_cast<const ASS_Image*>(first); image; image = image->next) {
        if (image->w <= 0 || image->h <= 0) continue;
        const float r = float((image->color >> 24) & 0xFF), g = float((image->color >> 16) & 0xFF),
                    b = float((image->color >> 8) & 0xFF);
        const float opacity = float(255 - (image->color & 0xFF)) / (255.0f * 255.0f);
        for (int y = 0; y < image->h; ++y) {
            const int cy = image->dst_y + y;
            if (cy < 0 || cy >= canvas_.height) continue;
            const unsigned char* coverage = image->bitmap + std::ptrdiff_t(y) * image->stride;
            for (int x = 0; x < image->w; ++x) {
                const int cx = image->dst_x + x;
                if (cx < 0 || cx >= canvas_.width || coverage[x] == 0) continue;
                const float a = float(coverage[x]) * opacity;
                std::uint8_t* px = &overlay_[(std::size_t(cy) * canvas_.width + cx) * 4];
                px[0] = std::uint8_t(std::lround(r * a + px[0] * (1.0f - a)));
                px[1] = std::uint8_t(std::lround(g * a + px[1] * (1.0f - a)));
                px[2] = std::uint8_t(std::lround(b * a + px[2] * (1.0f - a)));
                px[3] = std::uint8_t(std::lround(255.0f * a + px[3] * (1.0f - a)));
            }
        }
        x0 = std::min(x0, std::max(0, image->dst_x));
        y0 = std::min(y0, std::max(0, image->dst_y));
        x1 = std::max(x1, std::min(canvas_.width, image->dst_x + image->w));
        y1 = std::max(y1, std::min(canvas_.height, image->dst_y + image->h));
    }
    if (x1 <= x0 || y1 <= y0) {
        dirty_ = {0, 0, 0, 0};
        return;
    }
    // Whole 2x2 chroma blocks.
    x0 &= ~1, y0 &= ~1;
    x1 = std::min(canvas_.width, (x1 + 1) & ~1), y1 = std::min(canvas_.height, (y1 + 1) & ~1);
    dirty_ = {x0, y0, x1 - x0, y1 - y0};
}

// The overlay into limited-range 4:2:0: luma per pixel from the premultiplied colour, chroma per
// 2x2 block from the block's average premultiplied colour and coverage (what converting the RGBA
// overlay to 4:2:0 and blending it would give).
AVPOST_HOT_LOOP void CaptionBurner::blend(AVFrame* frame) const {
    const float kg = 1.0f - kr_ - kb_;
    const float cb_scale = 224.0f / 255.0f / (2.0f * (1.0f - kb_)), cr_scale = 224.0f / 255.0f / (2.0f * (1.0f - kr_));
    const int w = canvas_.width;
    for (int y = dirty_.y; y < dirty_.y + dirty_.height; y += 2) {
        const int rows = std::min(2, canvas_.height - y);
        std::uint8_t* u = frame->data[1] + std::ptrdiff_t(y / 2) * frame->linesize[1];
        std::uint8_t* v = frame->data[2] + std::ptrdiff_t(y / 2) * frame->linesize[2];
        for (int x = dirty_.x; x < dirty_.x + dirty_.width; x += 2) {
            const int cols = std::min(2, w - x);
            float sum_a = 0, sum_cb = 0, sum_cr = 0;
            for (int dy = 0; dy < rows; ++dy) {
                std::uint8_t* luma = frame->data[0] + std::ptrdiff_t(y + dy) * frame->linesize[0];
                for (int dx = 0; dx < cols; ++dx) {
                    const std::uint8_t* px = &overlay_[(std::size_t(y + dy) * w + x + dx) * 4];
                    if (px[3] == 0) continue;
                    const float a = px[3] / 255.0f;
                    const float lp = kr_ * px[0] + kg * px[1] + kb_ * px[2];  // premultiplied, 0..255
                    const float yp = 16.0f * a + 219.0f / 255.0f * lp;
                    luma[x + dx] = std::uint8_t(std::clamp(std::lround(yp + (1.0f - a) * luma[x + dx]), 0L, 255L));
                    sum_a += a;
                    sum_cb += 128.0f * a + cb_scale * (px[2] - lp);
                    sum_cr += 128.0f * a + cr_scale * (px[0] - lp);
                }
            }
            if (sum_a == 0) continue;
            const float n = float(rows * cols);
            const float a = sum_a / n;
            u[x / 2] = std::uint8_t(std::clamp(std::lround(sum_cb / n + (1.0f - a) * u[x / 2]), 0L, 255L));
            v[x / 2] = std::uint8_t(std::clamp(std::lround(sum_cr / n + (1.0f - a) * v[x / 2]), 0L, 255L));
        }
    }
}

const AVFrame* CaptionBurner::burn(const AVFrame* picture, double seconds) {
    int changed = 0;
    const ASS_Image* images =
        ass_render_frame(renderer_.get(), track_.get(), static_cast<long long>(std::llround(seconds * 1000.0)), &changed);
    if (changed) compose_overlay(images);
    if (dirty_.width == 0) return picture;
    // The encoders may still hold the previous burned frame; this copies only in that case.
    check_av(av_frame_make_writable(burned_.get()), "av_frame_make_writable (captions)");
    check_av(av_frame_copy(burned_.get(), picture), "av_frame_copy (captions)");
    check_av(av_frame_copy_props(burned_.get(), picture), "av_frame_copy_props (captions)");
    blend(burned_.get());
    return burned_.get();
}

}  // namespace avpost::filters
