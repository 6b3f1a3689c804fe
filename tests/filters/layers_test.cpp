// Layers: parsing Akool's `elements` and our own layer JSON (every error names its field), and
// the LayerStack renderer checked pixel by pixel on generated media.
#include "avpost/filters/layer_stack.hpp"
#include "avpost/filters/layers.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ostream>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/composite.hpp"
#include "media_helpers.hpp"

using namespace avpost::filters;
using avpost::Error;
using avpost::ErrorDomain;
using avpost::testing::TempDir;
using avpost::testing::quote;
using avpost::testing::run_ffmpeg;
using nlohmann::json;

namespace {

// Runs `f`, expecting an Error of `domain` whose message contains `needle`.
template <typename F>
void expect_error(F&& f, ErrorDomain domain, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one containing: " << needle;
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), domain) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what() << "\nexpected: " << needle;
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

// The body of Akool's documented create request (talking avatar, avatar_from 3).
const json akool_example = json::parse(R"({
    "width": 3840, "height": 2160, "avatar_from": 3,
    "elements": [
        {"type": "image", "url": "https://drz0f01yeq1cx.cloudfront.net/1729480978805-talkingAvatarbg.png",
         "width": 780, "height": 438, "scale_x": 1, "scale_y": 1, "offset_x": 1920, "offset_y": 1080},
        {"type": "avatar", "url": "https://drz0f01yeq1cx.cloudfront.net/1735009621724-7ce105c6-ed9a-4d13-9061-7e3df59d9798-7953.mp4",
         "scale_x": 1, "scale_y": 1, "width": 1080, "height": 1080, "offset_x": 1920, "offset_y": 1080},
        {"type": "audio", "url": "https://drz0f01yeq1cx.cloudfront.net/1729666642023-bd6ad5f1-d558-40c7-b720-ad729688f814-6403.mp3",
         "input_text": "A military parade", "voice_id": "6889b628662160e2caad5dbc"}
    ]
})");

TEST(LayerParsing, AkoolDocumentedExample) {
    std::vector<Layer> layers = layers_from_akool_elements(akool_example["elements"]);
    ASSERT_EQ(layers.size(), 2u);  // the audio element is skipped
    EXPECT_EQ(layers[0].type, LayerType::image);
    EXPECT_EQ(layers[0].source, "https://drz0f01yeq1cx.cloudfront.net/1729480978805-talkingAvatarbg.png");
    EXPECT_EQ(layers[0].offset, (Point{1920, 1080}));
    ASSERT_TRUE(layers[0].size);
    EXPECT_EQ(*layers[0].size, (Size{780, 438}));
    EXPECT_DOUBLE_EQ(layers[0].scale_x, 1.0);
    EXPECT_DOUBLE_EQ(layers[0].scale_y, 1.0);
    EXPECT_EQ(layers[1].type, LayerType::avatar);
    EXPECT_TRUE(layers[1].source.empty());
    EXPECT_EQ(layers[1].offset, (Point{1920, 1080}));
    EXPECT_EQ(*layers[1].size, (Size{1080, 1080}));
}

TEST(LayerParsing, HexColourUrlMakesAColourLayer) {
    json elements = json::parse(R"([
        {"type": "image", "url": "#1A2B3C", "offset_x": 0, "offset_y": 0},
        {"type": "color", "url": "#00ff00", "width": 10, "height": 20, "offset_x": -4, "offset_y": 6.6},
        {"type": "video", "url": "clip.mp4", "scale_x": 0.5, "scale_y": 2},
        {"type": "avatar", "offset_x": 10, "offset_y": 20}
    ])");
    std::vector<Layer> layers = layers_from_akool_elements(elements);
    ASSERT_EQ(layers.size(), 4u);
    EXPECT_EQ(layers[0].type, LayerType::colour);
    EXPECT_EQ(layers[0].source, "#1A2B3C");
    EXPECT_FALSE(layers[0].size);
    EXPECT_EQ(layers[1].type, LayerType::colour);
    EXPECT_EQ(layers[1].offset, (Point{-4, 7}));  // fractional pixels round
    EXPECT_EQ(*layers[1].size, (Size{10, 20}));
    EXPECT_EQ(layers[2].type, LayerType::video);
    EXPECT_DOUBLE_EQ(layers[2].scale_x, 0.5);
    EXPECT_DOUBLE_EQ(layers[2].scale_y, 2.0);
    EXPECT_EQ(layers[3].type, LayerType::avatar);
    EXPECT_EQ(layers[3].offset, (Point{10, 20}));
}

struct BadElements {
    const char* elements;
    const char* message;
};
// Shown in the test's name (ctest lists it): the expected message, not the struct's bytes, which
// hold pointers and so differ from build to build.
void PrintTo(const BadElements& bad, std::ostream* out) { *out << '"' << bad.message << '"'; }

class AkoolElementErrors : public ::testing::TestWithParam<BadElements> {};

TEST_P(AkoolElementErrors, NameTheElementAndField) {
    json elements = json::parse(GetParam().elements);
    expect_error([&] { layers_from_akool_elements(elements); }, ErrorDomain::usage, GetParam().message);
}

#define AVATAR R"({"type": "avatar", "offset_x": 0, "offset_y": 0})"
INSTANTIATE_TEST_SUITE_P(
    Layer, AkoolElementErrors,
    ::testing::Values(
        BadElements{R"({"type": "avatar"})", "elements: must be an array"},
        BadElements{"[" AVATAR ", 3]", "elements[1]: must be an object"},
        BadElements{"[" AVATAR R"(, {"url": "a.png"}])", "elements[1].type: is required"},
        BadElements{"[" AVATAR R"(, {"type": 7}])", "elements[1].type: must be a string"},
        BadElements{"[" AVATAR R"(, {"type": "sticker", "url": "a.png"}])", "elements[1].type: unknown element type 'sticker'"},
        BadElements{"[" AVATAR R"(, {"type": "image"}, {"type": "image", "url": "a.png", "offset_x": "10"}])",
                    "elements[1].url: is required for image elements"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png"}, {"type": "image", "url": "a.png", "offset_x": "10"}])",
                    "elements[2].offset_x: must be a number"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "offset_y": true}])", "elements[1].offset_y: must be a number"},
        BadElements{"[" AVATAR R"(, {"type": "video"}])", "elements[1].url: is required for video elements"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": 5}])", "elements[1].url: must be a string"},
        BadElements{"[" AVATAR R"(, {"type": "colour", "url": "red"}])", "elements[1].url: 'red' is not a colour"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "scale_x": 0}])", "elements[1].scale_x: must be greater than 0"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "scale_y": -1}])", "elements[1].scale_y: must be greater than 0"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "scale_y": "2"}])", "elements[1].scale_y: must be a number"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "width": 0, "height": 5}])", "elements[1].width: must be greater than 0"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "width": 5, "height": -2}])", "elements[1].height: must be greater than 0"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "width": 5}])", "elements[1].height: is required with width"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "width": 1e9, "height": 5}])", "elements[1].width: is too large"},
        BadElements{"[" AVATAR R"(, {"type": "image", "url": "a.png", "offset_x": 1e12}])", "elements[1].offset_x: is out of range"},
        BadElements{R"([{"type": "image", "url": "a.png"}, {"type": "audio", "url": "a.mp3"}])",
                    "elements: exactly one avatar element is needed (found 0)"},
        BadElements{"[" AVATAR ", " AVATAR "]", "elements: exactly one avatar element is needed (found 2)"}));
#undef AVATAR

TEST(LayerParsing, JsonRoundTrip) {
    Layer logo{LayerType::image, "logo.png", {-5, 12}, Size{64, 32}, 1.5, 0.5};
    json j = logo;
    EXPECT_EQ(j, json::parse(R"({"type": "image", "source": "logo.png", "offset": [-5, 12], "size": [64, 32],
                                 "scale": [1.5, 0.5]})"));
    Layer back = j.get<Layer>();
    EXPECT_EQ(back.type, logo.type);
    EXPECT_EQ(back.source, logo.source);
    EXPECT_EQ(back.offset, logo.offset);
    EXPECT_EQ(back.size, logo.size);
    EXPECT_DOUBLE_EQ(back.scale_x, 1.5);
    EXPECT_DOUBLE_EQ(back.scale_y, 0.5);

    Layer avatar = json::parse(R"({"type": "avatar"})").get<Layer>();
    EXPECT_EQ(avatar.type, LayerType::avatar);
    EXPECT_EQ(avatar.offset, (Point{0, 0}));
    EXPECT_FALSE(avatar.size);
    EXPECT_DOUBLE_EQ(avatar.scale_x, 1.0);
    json avatar_json = avatar;
    EXPECT_FALSE(avatar_json.contains("source"));
    EXPECT_FALSE(avatar_json.contains("size"));
    EXPECT_EQ(json::parse(R"({"type": "color", "source": "#102030"})").get<Layer>().type, LayerType::colour);

    std::vector<Layer> scene = layers_from_json(json::parse(R"([{"type": "colour", "source": "#000000"}, {"type": "avatar"}])"));
    ASSERT_EQ(scene.size(), 2u);
    EXPECT_EQ(scene[0].type, LayerType::colour);
}

TEST(LayerParsing, JsonErrorsNameTheField) {
    auto parse = [](const char* text) { return [text] { json::parse(text).get<Layer>(); }; };
    expect_error(parse(R"({"source": "a.png"})"), ErrorDomain::usage, "layer.type: is required");
    expect_error(parse(R"({"type": "sticker"})"), ErrorDomain::usage, "layer.type: unknown layer type 'sticker'");
    expect_error(parse(R"({"type": "image"})"), ErrorDomain::usage, "layer.source: is required for image layers");
    expect_error(parse(R"({"type": "video", "source": 3})"), ErrorDomain::usage, "layer.source: must be a string");
    expect_error(parse(R"({"type": "colour", "source": "blue"})"), ErrorDomain::usage, "layer.source: 'blue' is not a colour");
    expect_error(parse(R"({"type": "avatar", "offset": [1]})"), ErrorDomain::usage, "layer.offset: must be [x, y]");
    expect_error(parse(R"({"type": "avatar", "offset": [1, "2"]})"), ErrorDomain::usage, "layer.offset: must be a number");
    expect_error(parse(R"({"type": "avatar", "size": "10x10"})"), ErrorDomain::usage, "layer.size: must be [width, height]");
    expect_error(parse(R"({"type": "avatar", "size": [10, 0]})"), ErrorDomain::usage, "layer.size: must be greater than 0");
    expect_error(parse(R"({"type": "avatar", "scale": [1, -2]})"), ErrorDomain::usage, "layer.scale: must be greater than 0");
    expect_error(parse("[1, 2]"), ErrorDomain::usage, "layer: must be an object");
    expect_error([] { layers_from_json(json::parse(R"([{"type": "avatar"}, {"type": "image", "source": "a.png", "offset": {}}])")); },
                 ErrorDomain::usage, "layers[1].offset: must be [x, y]");
    expect_error([] { layers_from_json(json::object()); }, ErrorDomain::usage, "layers: must be an array");
}

// ---------------------------------------------------------------------------------------------
// Rendering

constexpr AVColorSpace canvas_matrix = AVCOL_SPC_BT709;
const Yuv8 black{16, 128, 128};

int luma(const AVFrame* f, int x, int y) { return f->data[0][y * f->linesize[0] + x]; }
int cb(const AVFrame* f, int cx, int cy) { return f->data[1][cy * f->linesize[1] + cx]; }
int cr(const AVFrame* f, int cx, int cy) { return f->data[2][cy * f->linesize[2] + cx]; }

Yuv8 yuv_of(const char* hex) { return rgb_to_yuv(parse_hex_colour(hex), canvas_matrix, AVCOL_RANGE_MPEG); }

Layer colour_layer(const char* hex, Point offset, std::optional<Size> size = std::nullopt) {
    return Layer{LayerType::colour, hex, offset, size, 1.0, 1.0};
}
Layer avatar_layer(Point offset = {}) { return Layer{LayerType::avatar, "", offset, std::nullopt, 1.0, 1.0}; }

struct Rect {
    int x0, y0, x1, y1;  // [x0, x1) x [y0, y1), luma pixels
    bool contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

// Luma is `inside` within `rect` and `outside` elsewhere, within `tolerance`.
void expect_luma(const AVFrame* f, Rect rect, int inside, int outside, int tolerance = 0) {
    int wrong = 0;
    for (int y = 0; y < f->height; ++y)
        for (int x = 0; x < f->width; ++x) {
            int expected = rect.contains(x, y) ? inside : outside;
            if (std::abs(luma(f, x, y) - expected) > tolerance && wrong++ < 5)
                ADD_FAILURE() << "luma at " << x << "," << y << " is " << luma(f, x, y) << ", expected " << expected;
        }
}

// Every chroma sample whose 2x2 block lies in `rect` is `inside`; blocks wholly outside are `outside`.
void expect_chroma(const AVFrame* f, Rect rect, Yuv8 inside, Yuv8 outside, int tolerance = 0) {
    int wrong = 0;
    for (int cy = 0; cy < (f->height + 1) / 2; ++cy)
        for (int cx = 0; cx < (f->width + 1) / 2; ++cx) {
            bool in = rect.contains(2 * cx, 2 * cy) && rect.contains(2 * cx + 1, 2 * cy + 1);
            bool out = !rect.contains(2 * cx, 2 * cy) && !rect.contains(2 * cx + 1, 2 * cy) &&
                       !rect.contains(2 * cx, 2 * cy + 1) && !rect.contains(2 * cx + 1, 2 * cy + 1);
            if (!in && !out) continue;  // an edge block mixes both
            Yuv8 e = in ? inside : outside;
            if ((std::abs(cb(f, cx, cy) - e.u) > tolerance || std::abs(cr(f, cx, cy) - e.v) > tolerance) && wrong++ < 5)
                ADD_FAILURE() << "chroma at " << cx << "," << cy << " is " << cb(f, cx, cy) << "/" << cr(f, cx, cy)
                              << ", expected " << int(e.u) << "/" << int(e.v);
        }
}

TEST(LayerStack, ColourLayerAtOffsetIsExactInsideAndBlackOutside) {
    LayerStack stack({colour_layer("#FF8000", {8, 4}, Size{16, 12}), avatar_layer()}, {64, 48}, canvas_matrix, {32, 32});
    const AVFrame* f = stack.below(0.0);
    ASSERT_EQ(f->format, AV_PIX_FMT_YUV420P);
    EXPECT_EQ(f->width, 64);
    EXPECT_EQ(f->height, 48);
    EXPECT_EQ(f->colorspace, canvas_matrix);
    EXPECT_EQ(f->color_range, AVCOL_RANGE_MPEG);
    Yuv8 orange = yuv_of("#FF8000");
    Rect rect{8, 4, 24, 16};
    expect_luma(f, rect, orange.y, black.y);
    expect_chroma(f, rect, orange, black);
    EXPECT_FALSE(stack.has_layers_above());
}

TEST(LayerStack, OddOffsetsKeepLumaExact) {
    LayerStack stack({colour_layer("#FFFFFF", {7, 5}, Size{9, 9}), avatar_layer()}, {32, 32}, canvas_matrix, {8, 8});
    const AVFrame* f = stack.below(0.0);
    expect_luma(f, {7, 5, 16, 14}, 235, black.y);
    expect_chroma(f, {7, 5, 16, 14}, yuv_of("#FFFFFF"), black);
}

TEST(LayerStack, StacksInOrderAndColourDefaultsToTheCanvas) {
    // A canvas-sized grey, then a scaled white square over it: size 10x10 * (2, 1.5) = 20x15.
    Layer square = colour_layer("#FFFFFF", {4, 6}, Size{10, 10});
    square.scale_x = 2.0;
    square.scale_y = 1.5;
    LayerStack stack({colour_layer("#808080", {}), square, avatar_layer()}, {40, 30}, canvas_matrix, {8, 8});
    const AVFrame* f = stack.below(0.0);
    Yuv8 grey = yuv_of("#808080");
    expect_luma(f, {4, 6, 24, 21}, 235, grey.y);
}

TEST(LayerStack, OffCanvasLayersAreClipped) {
    LayerStack stack({colour_layer("#FFFFFF", {-10, -6}, Size{20, 12}),   // top-left corner
                      colour_layer("#FFFFFF", {1000, 1000}, Size{20, 20}),  // nowhere
                      colour_layer("#FFFFFF", {-500, 10}, Size{20, 20}),    // left of the canvas
                      avatar_layer()},
                     {64, 48}, canvas_matrix, {8, 8});
    expect_luma(stack.below(0.0), {0, 0, 10, 6}, 235, black.y);

    LayerStack corner({avatar_layer(), colour_layer("#FFFFFF", {61, 45}, Size{20, 20})}, {64, 48}, canvas_matrix, {8, 8});
    avpost::media::FramePtr canvas = avpost::media::make_video_frame(AV_PIX_FMT_YUV420P, 64, 48);
    std::memcpy(canvas->data[0], corner.below(0.0)->data[0], std::size_t(canvas->linesize[0]) * 48);
    corner.draw_above(0.0, canvas.get());
    expect_luma(canvas.get(), {61, 45, 64, 48}, 235, black.y);
}

TEST(LayerStack, StaticStackRendersOnce) {
    LayerStack stack({colour_layer("#336699", {2, 2}, Size{4, 4}), avatar_layer()}, {16, 16}, canvas_matrix, {8, 8});
    EXPECT_TRUE(stack.is_static());
    const AVFrame* first = stack.below(0.0);
    const AVFrame* second = stack.below(1.0);
    EXPECT_EQ(first, second);
    expect_luma(second, {2, 2, 6, 6}, yuv_of("#336699").y, black.y);
}

TEST(LayerStack, AvatarPlacementIsOffsetAndScaledSize) {
    Layer avatar = avatar_layer({-3, 7});
    avatar.size = Size{100, 50};
    avatar.scale_x = 1.5;
    avatar.scale_y = 2.0;
    LayerStack sized({avatar}, {640, 360}, canvas_matrix, {640, 360});
    EXPECT_EQ(sized.avatar_placement().position, (Point{-3, 7}));
    EXPECT_EQ(sized.avatar_placement().size, (Size{150, 100}));

    Layer native = avatar_layer({20, 30});
    native.scale_x = native.scale_y = 0.5;
    LayerStack by_native({native}, {640, 360}, canvas_matrix, {641, 360});
    EXPECT_EQ(by_native.avatar_placement().position, (Point{20, 30}));
    EXPECT_EQ(by_native.avatar_placement().size, (Size{321, 180}));  // 320.5 rounds away from zero
}

TEST(LayerStack, LayerAboveTheAvatarIsDrawnOverTheCanvas) {
    LayerStack stack({avatar_layer(), colour_layer("#00FF00", {10, 10}, Size{8, 8})}, {32, 32}, canvas_matrix, {32, 32});
    EXPECT_TRUE(stack.has_layers_above());
    expect_luma(stack.below(0.0), {0, 0, 0, 0}, 0, black.y);  // nothing below the avatar

    avpost::media::FramePtr canvas = avpost::media::make_video_frame(AV_PIX_FMT_YUV420P, 32, 32);
    Yuv8 backdrop{100, 120, 140};
    for (int y = 0; y < 32; ++y) std::memset(canvas->data[0] + y * canvas->linesize[0], backdrop.y, 32);
    for (int y = 0; y < 16; ++y) {
        std::memset(canvas->data[1] + y * canvas->linesize[1], backdrop.u, 16);
        std::memset(canvas->data[2] + y * canvas->linesize[2], backdrop.v, 16);
    }
    stack.draw_above(0.0, canvas.get());
    Yuv8 green = yuv_of("#00FF00");
    expect_luma(canvas.get(), {10, 10, 18, 18}, green.y, backdrop.y);
    expect_chroma(canvas.get(), {10, 10, 18, 18}, green, backdrop);

    avpost::media::FramePtr wrong = avpost::media::make_video_frame(AV_PIX_FMT_YUV420P, 16, 16);
    expect_error([&] { stack.draw_above(0.0, wrong.get()); }, ErrorDomain::input, "layers");
}

TEST(LayerStack, PngAlphaBlendsOverTheLayersBelow) {
    TempDir dir;
    // 16x16 blue: the left half fully transparent, the right half alpha 128.
    std::string png = dir.file("half.png");
    run_ffmpeg("-f lavfi -i \"color=c=blue:s=16x16,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,8),0,128)'\" "
               "-frames:v 1 " + quote(png));
    LayerStack stack({colour_layer("#FFFFFF", {}), Layer{LayerType::image, png, {16, 8}, std::nullopt, 1.0, 1.0}, avatar_layer()},
                     {48, 32}, canvas_matrix, {8, 8});
    const AVFrame* f = stack.below(0.0);
    Yuv8 white = yuv_of("#FFFFFF"), blue = yuv_of("#0000FF");
    Yuv8 half{blend_pixel(white.y, blue.y, 128), blend_pixel(white.u, blue.u, 128), blend_pixel(white.v, blue.v, 128)};
    Rect right_half{24, 8, 32, 24};
    expect_luma(f, right_half, half.y, white.y, 2);
    expect_chroma(f, right_half, half, white, 2);
}

TEST(LayerStack, ScaledTransparentImageHasNoDarkFringe) {
    TempDir dir;
    // A white disc on transparent *black* (what most PNG tools write under alpha 0), shrunk by a
    // non-integer factor over white: every pixel must stay white. Scaling straight colour would
    // mix the hidden black into the edge.
    std::string png = dir.file("disc.png");
    run_ffmpeg("-f lavfi -i \"color=c=black:s=64x64,format=rgba,geq=r='255*lt(hypot(X-32,Y-32),20)':"
               "g='255*lt(hypot(X-32,Y-32),20)':b='255*lt(hypot(X-32,Y-32),20)':a='255*lt(hypot(X-32,Y-32),20)'\" "
               "-frames:v 1 " + quote(png));
    LayerStack stack({colour_layer("#FFFFFF", {}), Layer{LayerType::image, png, {8, 8}, Size{27, 27}, 1.0, 1.0},
                      avatar_layer()},
                     {48, 48}, canvas_matrix, {8, 8});
    const AVFrame* f = stack.below(0.0);
    Yuv8 white = yuv_of("#FFFFFF");
    expect_luma(f, {0, 0, 48, 48}, white.y, white.y, 2);
    expect_chroma(f, {0, 0, 48, 48}, white, white, 2);
}

TEST(LayerStack, OpaqueImageIsScaledToItsSize) {
    TempDir dir;
    std::string png = dir.file("red.png");
    run_ffmpeg("-f lavfi -i color=c=red:s=8x8 -frames:v 1 -pix_fmt rgb24 " + quote(png));
    LayerStack stack({Layer{LayerType::image, png, {4, 2}, Size{16, 8}, 1.0, 2.0}, avatar_layer()}, {32, 32}, canvas_matrix,
                     {8, 8});
    const AVFrame* f = stack.below(0.0);
    Yuv8 red = yuv_of("#FF0000");
    Rect drawn{4, 2, 20, 18};  // 16x8 * (1, 2)
    expect_luma(f, drawn, red.y, black.y, 1);
    expect_chroma(f, drawn, red, black, 1);
}

TEST(LayerStack, VideoLayerLoops) {
    TempDir dir;
    // Four grey frames at 10 fps, lossless: luma 16, 76, 136, 196.
    std::string video = dir.file("steps.mkv");
    run_ffmpeg("-f lavfi -i \"color=c=black:s=32x32:r=10:d=0.4,format=yuv420p,geq=lum='16+60*N':cb=128:cr=128\" "
               "-c:v ffv1 " + quote(video));
    LayerStack stack({Layer{LayerType::video, video, {}, std::nullopt, 1.0, 1.0}, avatar_layer()}, {32, 32}, canvas_matrix,
                     {8, 8});
    EXPECT_FALSE(stack.is_static());
    const struct {
        double t;
        int luma;
    } expected[] = {{0.0, 16},  {0.15, 76}, {0.25, 136}, {0.35, 196}, {0.45, 16},  // loops at 0.4
                    {0.55, 76}, {0.75, 196},                                      // two frames on in one step
                    {0.85, 16}, {1.05, 136}, {1.45, 136}, {1.65, 16}};
    for (auto e : expected) {
        const AVFrame* f = stack.below(e.t);
        EXPECT_NEAR(luma(f, 16, 16), e.luma, 2) << "t=" << e.t;
        EXPECT_NEAR(luma(f, 0, 31), e.luma, 2) << "t=" << e.t;
    }
}

TEST(LayerStack, BadLayersAndUnreadableSources) {
    expect_error([] { LayerStack({colour_layer("#000000", {})}, {16, 16}, canvas_matrix, {8, 8}); }, ErrorDomain::usage,
                 "layers: exactly one avatar layer is needed (found 0)");
    expect_error([] { LayerStack({avatar_layer(), avatar_layer()}, {16, 16}, canvas_matrix, {8, 8}); }, ErrorDomain::usage,
                 "(found 2)");
    expect_error([] { LayerStack({colour_layer("navy", {}), avatar_layer()}, {16, 16}, canvas_matrix, {8, 8}); },
                 ErrorDomain::usage, "layer 0 (colour) 'navy': not a colour");
    Layer huge = colour_layer("#000000", {}, Size{100, 100});
    huge.scale_x = 1000;
    expect_error([&] { LayerStack({huge, avatar_layer()}, {16, 16}, canvas_matrix, {8, 8}); }, ErrorDomain::usage,
                 "drawn size is too large");
    expect_error([] { LayerStack({avatar_layer()}, {0, 16}, canvas_matrix, {8, 8}); }, ErrorDomain::usage, "canvas is empty");
    try {
        LayerStack({avatar_layer(), Layer{LayerType::image, "/nonexistent/logo.png", {}, std::nullopt, 1.0, 1.0}}, {16, 16},
                   canvas_matrix, {8, 8});
        ADD_FAILURE() << "an unreadable image was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::input) << e.what();
        EXPECT_NE(std::string(e.what()).find("layer 1 (image) '/nonexistent/logo.png'"), std::string::npos) << e.what();
    }
}

}  // namespace
