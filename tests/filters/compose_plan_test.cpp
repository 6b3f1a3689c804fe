// ComposePlan: what compose decides from its options and the probed facts of its inputs, before
// any frame decodes. No media: the probes are written here as opening the files would fill them.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/timed_frames.hpp"

using namespace avpost;
using namespace avpost::filters;

namespace {

media::VideoStreamInfo video(int width, int height, double seconds = 10.0, AVRational rate = {25, 1}) {
    media::VideoStreamInfo info;
    info.width = width;
    info.height = height;
    info.pixel_format = AV_PIX_FMT_YUV420P;
    info.frame_rate = rate;
    info.time_base = {1, 12800};
    info.duration_seconds = seconds;
    info.declared_duration_seconds = seconds;
    info.frame_count = rate.num > 0 ? std::int64_t(seconds * av_q2d(rate) + 0.5) : 0;
    info.codec_id = AV_CODEC_ID_H264;
    return info;
}

media::VideoStreamInfo still(int width, int height) {
    media::VideoStreamInfo info = video(width, height, 0.0, {0, 1});
    info.codec_id = AV_CODEC_ID_PNG;
    info.pixel_format = AV_PIX_FMT_RGB24;
    info.still_image = true;
    return info;
}

// A vendor render: a 1280x720 avatar with audio and its untagged H.264 matte.
struct Job {
    ComposeParams params;
    ComposeProbe probe;
    Job() {
        params.video = "avatar.mp4";
        params.mask = "avatar-mask.mp4";
        params.background = "background.png";
        params.output = "out.mp4";
        probe.avatar = video(1280, 720);
        probe.avatar_audio = true;
        probe.mask = video(1280, 720);
        probe.background = still(1920, 1080);
        probe.cores = 4;
    }
    ComposePlan plan() const { return plan_compose(params, probe); }
    // An avatar that decodes with its own alpha (VP9 alpha WebM), no mask.
    void avatar_with_alpha() {
        params.video = "avatar.webm";
        params.mask.clear();
        probe.mask.reset();
        probe.avatar.has_alpha = true;
        probe.avatar.pixel_format = AV_PIX_FMT_YUVA420P;
    }
    void no_mask() {
        params.mask.clear();
        probe.mask.reset();
    }
    void colour_background(const std::string& colour) {
        params.background = colour;
        probe.background.reset();
    }
};

void expect_error(const std::function<void()>& f, ErrorDomain domain, const std::string& part) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one containing '" << part << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), domain) << e.what();
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

DeliveryOptions delivering(std::vector<Preset> presets) {
    DeliveryOptions options;
    options.directory = "out";
    options.name = "promo";
    options.presets = std::move(presets);
    return options;
}

}  // namespace

TEST(ComposePlan, MaskVideoOverAnImage) {
    const ComposePlan plan = Job().plan();
    EXPECT_EQ(plan.avatar.path, "avatar.mp4");
    EXPECT_EQ(plan.avatar.size, (Size{1280, 720}));
    EXPECT_TRUE(plan.avatar.audio);
    EXPECT_EQ(plan.avatar.matrix, AVCOL_SPC_BT709);  // untagged, 720 lines
    ASSERT_TRUE(plan.mask);
    EXPECT_TRUE(plan.mask->limited);  // untagged H.264: limited range
    EXPECT_TRUE(plan.mask->at_avatar_rate);
    EXPECT_DOUBLE_EQ(plan.mask->tolerance_seconds, 0.04 / 4);  // a quarter frame
    ASSERT_TRUE(plan.background);
    EXPECT_EQ(plan.background->kind, ComposePlan::BackgroundKind::image);
    EXPECT_EQ(plan.background->size, (Size{1920, 1080}));

    // The canvas is the background's; the avatar is contained in it.
    EXPECT_EQ(plan.canvas, (Size{1920, 1080}));
    EXPECT_EQ(plan.matrix, AVCOL_SPC_BT709);
    EXPECT_EQ(plan.fit, Fit::contain);
    ASSERT_TRUE(plan.placement);
    EXPECT_EQ(plan.placement->size, (Size{1920, 1080}));
    EXPECT_EQ(plan.placement->position, (Point{0, 0}));
    EXPECT_EQ(plan.picture, PictureKind::composite);

    EXPECT_EQ(plan.alpha.kind, AlphaKind::mask);
    EXPECT_TRUE(plan.alpha.codes_to_compositor);  // nothing but the compositor reads the matte
    EXPECT_FALSE(plan.alpha.despill);
    EXPECT_EQ(plan.composite.kind, CompositeKind::encoded);
    EXPECT_EQ(plan.composite.path, "out.mp4");
    EXPECT_EQ(plan.composite.vcodec, "libx264");
    EXPECT_FALSE(plan.delivery);
    EXPECT_FALSE(plan.alpha_layer);
    EXPECT_TRUE(plan.audio);
    EXPECT_FALSE(plan.audio_end_seconds);
    EXPECT_EQ(plan.frame_rate.num, 25);
    EXPECT_DOUBLE_EQ(plan.frame_seconds, 0.04);
    EXPECT_TRUE(plan.warnings.empty());
}

TEST(ComposePlan, AnAlphaDeliveryOrDespillMakesTheMatteAPlaneOthersRead) {
    Job job;
    job.params.delivery = delivering({Preset::web, Preset::webm_alpha});
    ComposePlan plan = job.plan();
    EXPECT_TRUE(plan.alpha_layer);
    EXPECT_FALSE(plan.alpha.codes_to_compositor);
    ASSERT_TRUE(plan.delivery);
    EXPECT_EQ(plan.delivery->presets.size(), 2u);

    job.params.delivery.reset();
    job.params.despill = Rgb8{0, 177, 64};
    plan = job.plan();
    EXPECT_EQ(plan.alpha.despill, (Rgb8{0, 177, 64}));
    EXPECT_FALSE(plan.alpha.codes_to_compositor);
}

TEST(ComposePlan, KeyerOverAColourWithItsMatteWritten) {
    Job job;
    job.no_mask();
    job.colour_background("#FFFFFF");
    job.params.key = KeyParams{};
    job.params.key_matte_output = "matte.mkv";
    job.params.output = "null";
    const ComposePlan plan = job.plan();
    EXPECT_EQ(plan.alpha.kind, AlphaKind::key);
    ASSERT_TRUE(plan.alpha.key);
    EXPECT_FALSE(plan.alpha.key->colour);  // auto
    EXPECT_EQ(plan.alpha.key_matte_output, "matte.mkv");
    EXPECT_FALSE(plan.alpha.codes_to_compositor);
    EXPECT_FALSE(plan.mask);
    ASSERT_TRUE(plan.background);
    EXPECT_EQ(plan.background->kind, ComposePlan::BackgroundKind::colour);
    EXPECT_FALSE(plan.background->size);
    EXPECT_EQ(plan.canvas, (Size{1280, 720}));  // a colour has no size: the avatar's
    EXPECT_EQ(plan.picture, PictureKind::composite);
    EXPECT_EQ(plan.composite.kind, CompositeKind::null);
    EXPECT_TRUE(plan.composite.vcodec.empty());
    EXPECT_FALSE(plan.audio);  // nothing takes it
}

TEST(ComposePlan, SourceAlphaOnTransparencyGoesToTheAlphaPresetOfItsExtension) {
    Job job;
    job.avatar_with_alpha();
    job.params.background = "transparent";
    job.probe.background.reset();
    job.params.output = "t.webm";
    ComposePlan plan = job.plan();
    EXPECT_EQ(plan.alpha.kind, AlphaKind::source_alpha);
    EXPECT_TRUE(plan.avatar.alpha);
    EXPECT_FALSE(plan.background);
    EXPECT_EQ(plan.canvas, (Size{1280, 720}));
    EXPECT_EQ(plan.picture, PictureKind::avatar);  // fills the canvas: its frames are the picture
    EXPECT_EQ(plan.composite.kind, CompositeKind::transparent);
    EXPECT_EQ(plan.composite.alpha_preset, Preset::webm_alpha);
    EXPECT_EQ(plan.composite.vcodec, "libvpx-vp9");
    EXPECT_TRUE(plan.alpha_layer);

    job.params.output = "t.mov";
    plan = job.plan();
    EXPECT_EQ(plan.composite.alpha_preset, Preset::prores_alpha);
    EXPECT_EQ(plan.composite.vcodec, "prores_ks");

    job.params.output = "t.mp4";
    expect_error([&] { job.plan(); }, ErrorDomain::usage, "a transparent background needs a .webm");
}

TEST(ComposePlan, OpaqueTranscodeHandsTheAvatarOnOrDrawsItOnBlack) {
    Job job;
    job.no_mask();
    job.params.background.clear();
    job.probe.background.reset();
    job.params.output.clear();
    job.params.delivery = delivering({Preset::web});
    ComposePlan plan = job.plan();
    EXPECT_EQ(plan.alpha.kind, AlphaKind::none);
    EXPECT_EQ(plan.canvas, (Size{1280, 720}));
    EXPECT_EQ(plan.picture, PictureKind::avatar);
    EXPECT_EQ(plan.composite.kind, CompositeKind::none);
    EXPECT_TRUE(plan.audio);

    // A size alone scales the canvas with the avatar; a canvas of its own puts it on black.
    job.params.size = Size{640, -1};
    plan = job.plan();
    EXPECT_EQ(plan.canvas, (Size{640, 360}));
    EXPECT_EQ(plan.picture, PictureKind::avatar);
    job.params.canvas = Size{720, 720};
    plan = job.plan();
    EXPECT_EQ(plan.canvas, (Size{720, 720}));
    EXPECT_EQ(plan.placement->size, (Size{640, 360}));
    EXPECT_EQ(plan.placement->position, (Point{40, 180}));
    EXPECT_EQ(plan.picture, PictureKind::avatar_on_black);

    // Alpha outputs need a matte.
    job.params.delivery = delivering({Preset::webm_alpha});
    expect_error([&] { job.plan(); }, ErrorDomain::usage, "alpha outputs (transparent, webm-alpha, prores-alpha) need");
}

TEST(ComposePlan, TransparentWithACanvasOfItsOwnDrawsTheOpaquePictureOnBlack) {
    Job job;
    job.params.background = "transparent";
    job.probe.background.reset();
    job.params.output = "t.webm";
    job.params.canvas = Size{800, 400};
    const ComposePlan plan = job.plan();
    EXPECT_EQ(plan.alpha.kind, AlphaKind::mask);
    EXPECT_EQ(plan.picture, PictureKind::avatar_on_black);
    EXPECT_TRUE(plan.alpha_layer);
    EXPECT_EQ(plan.placement->size, (Size{711, 400}));
    EXPECT_EQ(plan.placement->position, (Point{44, 0}));
}

TEST(ComposePlan, OddSizesAreKeptAndOddDeliveriesWarned) {
    Job job;
    job.probe.avatar = video(719, 1279);
    job.probe.mask = video(719, 1279);
    job.colour_background("#102030");
    job.params.delivery = delivering({Preset::web, Preset::poster});
    ComposePlan plan = job.plan();
    EXPECT_EQ(plan.canvas, (Size{719, 1279}));
    EXPECT_EQ(plan.matrix, AVCOL_SPC_BT709);  // 1279 lines
    EXPECT_EQ(plan.placement->size, (Size{719, 1279}));
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "canvas 719x1279 is odd: 4:2:0 deliveries drop its last column and row "
                                "(--canvas sets an even size)");

    // An odd avatar contained in an even canvas: centred, scaled to the canvas height.
    job.params.canvas = Size{1080, 1920};
    plan = job.plan();
    EXPECT_TRUE(plan.warnings.empty());
    EXPECT_EQ(plan.placement->size.height, 1920);
    EXPECT_EQ(plan.placement->position.x, (1080 - plan.placement->size.width) / 2);
    EXPECT_EQ(plan.placement->position.y, 0);

    job.params.canvas = Size{719, 1280};
    plan = job.plan();
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_NE(plan.warnings[0].find("drop its last column (--canvas"), std::string::npos) << plan.warnings[0];
}

TEST(ComposePlan, NegativeOffsetsPlaceTheAvatarPartlyOffTheCanvas) {
    Job job;
    job.probe.avatar = video(719, 1279);
    job.probe.mask = video(719, 1279);
    job.params.position = Point{-100, -51};
    ComposePlan plan = job.plan();
    EXPECT_EQ(plan.fit, Fit::none);  // a position places the avatar at its own size
    EXPECT_EQ(plan.placement->size, (Size{719, 1279}));
    EXPECT_EQ(plan.placement->position, (Point{-100, -51}));
    EXPECT_EQ(plan.picture, PictureKind::composite);

    // A scene's avatar layer places it, off the canvas's top-left too.
    job.params.position.reset();
    job.params.background.clear();
    job.probe.background.reset();
    job.params.canvas = Size{1920, 1080};
    Layer colour;
    colour.type = LayerType::colour;
    colour.source = "#000000";
    Layer avatar;
    avatar.type = LayerType::avatar;
    avatar.offset = {-40, -7};
    avatar.scale_x = avatar.scale_y = 0.5;
    job.params.layers = {colour, avatar};
    plan = job.plan();
    EXPECT_FALSE(plan.background);
    EXPECT_EQ(plan.layers.size(), 2u);
    EXPECT_EQ(plan.placement->size, (Size{360, 640}));  // 719 * 0.5 rounds to 360
    EXPECT_EQ(plan.placement->position, (Point{-40, -7}));
    EXPECT_EQ(plan.picture, PictureKind::composite);
}

TEST(ComposePlan, AMaskAtAnotherRateIsResampledAndAnotherRendersIsRefused) {
    Job job;
    job.probe.mask = video(1280, 720, 10.0, {30, 1});
    ComposePlan plan = job.plan();
    EXPECT_FALSE(plan.mask->at_avatar_rate);
    EXPECT_DOUBLE_EQ(plan.mask->tolerance_seconds, same_instant_seconds);
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "mask runs at 30.000 fps, the avatar at 25.000 fps: each avatar frame takes the "
                                "latest mask frame at or before it");

    job.probe.mask = video(720, 720, 12.0);
    expect_error([&] { job.plan(); }, ErrorDomain::input, "mask 'avatar-mask.mp4' lasts 12.00 s, the avatar 10.00 s");
    job.params.allow_mask_mismatch = true;
    plan = job.plan();
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "mask is 720x720, the avatar 1280x720: another aspect ratio, stretched to fit");
}

TEST(ComposePlan, FitToVisibleIsPlacedAfterThePassOverTheMatte) {
    Job job;
    job.params.fit_to = FitTo::visible;
    job.params.anchor = Anchor::bottom_right;
    ComposePlan plan = job.plan();
    EXPECT_FALSE(plan.placement);
    EXPECT_FALSE(plan.picture);
    place_visible(plan, Box{400, 100, 480, 620});
    ASSERT_TRUE(plan.placement);
    EXPECT_EQ(plan.visible, (Box{400, 100, 480, 620}));
    EXPECT_EQ(plan.picture, PictureKind::composite);
    // The visible box, not the frame, sits in the bottom-right corner.
    const double scale = double(plan.placement->size.width) / 1280;
    EXPECT_NEAR(plan.placement->position.x + (400 + 480) * scale, 1920, 2);
    EXPECT_NEAR(plan.placement->position.y + (100 + 620) * scale, 1080, 2);

    job.no_mask();
    job.params.key = KeyParams{};
    expect_error([&] { job.plan(); }, ErrorDomain::usage, "--fit-to visible needs a mask or an avatar with alpha, not --key");
}

TEST(ComposePlan, AVideoBackgroundTheOutputStopsWithEndsTheAudioToo) {
    Job job;
    job.params.background = "background.mp4";
    job.probe.background = video(1920, 1080, 3.0);
    job.params.background_end = BackgroundEnd::stop;
    const ComposePlan plan = job.plan();
    EXPECT_EQ(plan.background->kind, ComposePlan::BackgroundKind::video);
    EXPECT_EQ(plan.background->duration_seconds, 3.0);
    EXPECT_EQ(plan.audio_end_seconds, 3.0);
}

TEST(ComposePlan, OptionsThatCannotWorkFailBeforeAnyFileIsRead) {
    Job job;
    job.no_mask();
    expect_error([&] { job.plan(); }, ErrorDomain::usage, "no mask video given (--mask): compositing over a background");
    job.params.mask = "m.mp4";
    job.params.key = KeyParams{};
    expect_error([&] { check_compose_params(job.params); }, ErrorDomain::usage, "give either a mask (--mask) or a key");
    job.params.key.reset();
    job.params.vcodec = "no-such-encoder";
    expect_error([&] { check_compose_params(job.params); }, ErrorDomain::usage, "unknown video encoder 'no-such-encoder'");
}

TEST(ComposePlan, PrintsAsJsonAndText) {
    Job job;
    job.params.delivery = delivering({Preset::web, Preset::webm_alpha});
    const nlohmann::json j = job.plan();
    EXPECT_EQ(j["canvas"], "1920x1080");
    EXPECT_EQ(j["avatar_size"], "1920x1080");
    EXPECT_EQ(j["avatar_position"], nlohmann::json::array({0, 0}));
    EXPECT_EQ(j["picture"], "composite");
    EXPECT_EQ(j["inputs"]["mask"]["range"], "limited");
    EXPECT_EQ(j["inputs"]["background"]["kind"], "image");
    EXPECT_EQ(j["alpha_source"]["kind"], "mask");
    EXPECT_EQ(j["outputs"]["composite"]["path"], "out.mp4");
    EXPECT_EQ(j["outputs"]["deliveries"][1]["preset"], "webm-alpha");
    EXPECT_EQ(j["outputs"]["deliveries"][1]["path"], "out/promo.webm");
    EXPECT_EQ(j["outputs"]["deliveries"][1]["alpha"], true);
    EXPECT_TRUE(j["outputs"]["alpha_layer"].get<bool>());

    job.params.fit_to = FitTo::visible;
    const nlohmann::json unplaced = job.plan();
    EXPECT_TRUE(unplaced["avatar_size"].is_null());
    EXPECT_TRUE(unplaced["picture"].is_null());

    const std::string text = describe(job.plan());
    EXPECT_NE(text.find("mask: avatar-mask.mp4 (1280x720, 25.000 fps, 10.00 s, limited range)"), std::string::npos)
        << text;
    EXPECT_NE(text.find("deliver webm-alpha: out/promo.webm"), std::string::npos) << text;
    EXPECT_NE(text.find("after a pass over the matte"), std::string::npos) << text;
}
