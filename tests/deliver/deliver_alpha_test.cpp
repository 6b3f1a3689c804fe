// The alpha presets carry the composite's matte: WebM decoded with the libvpx decoder (the one
// that reads WebM's alpha) and ProRes 4444 compared with the alpha avpost composites with, which
// is the mask's luma expanded from limited range: (Y - 16) * 255 / 219.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

namespace {

struct AlphaError {
    double mean = 0;
    int worst = 0;
    double p99 = 0;
};

AlphaError compare_alpha(const std::vector<PlanesFrame>& frames, const std::vector<YuvFrame>& masks) {
    AlphaError e;
    std::vector<int> diffs;
    std::size_t n = std::min(frames.size(), masks.size());
    for (std::size_t f = 0; f < n; ++f) {
        EXPECT_EQ(frames[f].alpha.size(), masks[f].y.size());
        for (std::size_t i = 0; i < std::min(frames[f].alpha.size(), masks[f].y.size()); ++i) {
            const int expected = std::clamp(int(std::lround((masks[f].y[i] - 16) * 255.0 / 219.0)), 0, 255);
            diffs.push_back(std::abs(int(frames[f].alpha[i]) - expected));
        }
    }
    if (diffs.empty()) return e;
    double sum = 0;
    for (int d : diffs) sum += d;
    e.mean = sum / double(diffs.size());
    std::sort(diffs.begin(), diffs.end());
    e.worst = diffs.back();
    e.p99 = diffs[diffs.size() * 99 / 100];
    return e;
}

}  // namespace

TEST(DeliverAlpha, WebmAndProresCarryTheCompositeMatte) {
    TempDir dir;
    auto files = transcode(quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) +
                           " --background " + quote(media("background.png")) + " -o " + quote(dir.file("out")) +
                           " --preset webm-alpha,prores-alpha");
    auto masks = decode_video(media("avatar_mask.mp4"));
    ASSERT_EQ(masks.size(), 50u);

    auto webm = decode_planes(files["webm-alpha"]["path"], "libvpx-vp9");
    ASSERT_EQ(webm.size(), 50u);
    ASSERT_FALSE(webm[0].alpha.empty()) << "libvpx decoded no alpha plane";
    AlphaError vp9 = compare_alpha(webm, masks);
    RecordProperty("webm_alpha_mean_error", std::to_string(vp9.mean));
    RecordProperty("webm_alpha_p99_error", std::to_string(vp9.p99));
    RecordProperty("webm_alpha_worst_error", std::to_string(vp9.worst));
    EXPECT_LT(vp9.mean, 1.5);
    EXPECT_LE(vp9.p99, 12);

    // The native VP9 decoder ignores the alpha layer: the reason the libvpx one is used above.
    auto native = decode_planes(files["webm-alpha"]["path"], "vp9");
    ASSERT_FALSE(native.empty());
    EXPECT_TRUE(native[0].alpha.empty());

    auto prores = decode_planes(files["prores-alpha"]["path"]);
    ASSERT_EQ(prores.size(), 50u);
    AlphaError pro = compare_alpha(prores, masks);
    RecordProperty("prores_alpha_worst_error", std::to_string(pro.worst));
    EXPECT_LE(pro.worst, 1) << "ProRes 4444 keeps alpha (near) losslessly";
}

TEST(DeliverAlpha, TransparentComposeWritesTheAvatarAloneWithAlpha) {
    TempDir dir;
    CommandResult r = run_avpost("--json compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background transparent -o " +
                                 quote(dir.file("alone.webm")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The report says what the file carries: the avatar's audio, as Opus (WebM's).
    const nlohmann::json report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["audio"], true) << r.out;
    EXPECT_EQ(report["audio_codec"], "opus") << r.out;
    auto frames = decode_planes(dir.file("alone.webm"), "libvpx-vp9");
    ASSERT_EQ(frames.size(), 50u);
    ASSERT_FALSE(frames[0].alpha.empty());
    auto masks = decode_video(media("avatar_mask.mp4"));
    EXPECT_LT(compare_alpha(frames, masks).mean, 1.5);
    // The colour under the avatar is the avatar's own (straight alpha, not darkened by black).
    auto avatar = decode_video(media("avatar.mp4"), 1);
    double error = 0;
    int counted = 0;
    for (std::size_t i = 0; i < frames[0].y.size(); ++i)
        if (frames[0].alpha[i] == 255) error += std::abs(int(frames[0].y[i]) - int(avatar[0].y[i])), ++counted;
    ASSERT_GT(counted, 1000);
    EXPECT_LT(error / counted, 3.0);
}

// Reported as exit 3 "matte and avatar differ in size": with a canvas of its own, the opaque
// picture beside the alpha output is the avatar on black, drawn opaque whatever its matte.
TEST(DeliverAlpha, TransparentComposeOnACanvasOfItsOwnPlacesTheAvatarOnIt) {
    TempDir dir;
    CommandResult r = run_avpost("--json compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background transparent --canvas 800x400 -o " +
                                 quote(dir.file("alone.webm")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["canvas"], "800x400");
    EXPECT_EQ(report["avatar_size"], "711x400");  // 640x360 contained
    EXPECT_EQ(report["avatar_position"], nlohmann::json::array({44, 0}));
    auto frames = decode_planes(dir.file("alone.webm"), "libvpx-vp9");
    ASSERT_EQ(frames.size(), 50u);
    ASSERT_EQ(frames[0].width, 800);
    ASSERT_EQ(frames[0].height, 400);
    ASSERT_FALSE(frames[0].alpha.empty());
    // Transparent beside the avatar, opaque in its middle (the ellipse of the matte).
    for (const PlanesFrame* f : {&frames.front(), &frames.back()}) {
        int outside = 0;
        for (int y = 0; y < 400; ++y)
            for (int x : {0, 20, 40, 760, 799}) outside = std::max<int>(outside, f->alpha[std::size_t(y) * 800 + x]);
        EXPECT_LE(outside, 2);
        EXPECT_GE(f->alpha[std::size_t(200) * 800 + 400], 250);
    }
}

TEST(DeliverAlpha, TransparentComposeRefusesContainersWithoutAlpha) {
    TempDir dir;
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background transparent -o " +
                                 quote(dir.file("x.mp4")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(".webm"), std::string::npos) << r.err;
    EXPECT_TRUE(dir.entries().empty());
}

TEST(DeliverAlpha, AnAvatarWithItsOwnAlphaNeedsNoMask) {
    TempDir dir;
    // A VP9-alpha WebM made by avpost, then used as the only input: its alpha is the matte.
    auto made = transcode(quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) + " -o " +
                          quote(dir.file("made")) + " --preset webm-alpha");
    const std::string webm = made["webm-alpha"]["path"];
    auto files = transcode(quote(webm) + " -o " + quote(dir.file("again")) + " --preset prores-alpha");
    auto prores = decode_planes(files["prores-alpha"]["path"]);
    ASSERT_EQ(prores.size(), 50u);
    auto masks = decode_video(media("avatar_mask.mp4"));
    EXPECT_LT(compare_alpha(prores, masks).mean, 1.5) << "the WebM's alpha did not carry over";

    // Composited over a colour with no --mask: the same picture as from avatar + mask.
    CommandResult own = run_avpost("compose --video " + quote(webm) + " --background '#2040A0' --vcodec ffv1 -o " +
                                   quote(dir.file("own.mkv")));
    ASSERT_EQ(own.exit_code, 0) << own.err;
    CommandResult masked = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                      quote(media("avatar_mask.mp4")) + " --background '#2040A0' --vcodec ffv1 -o " +
                                      quote(dir.file("masked.mkv")));
    ASSERT_EQ(masked.exit_code, 0) << masked.err;
    auto a = decode_video(dir.file("own.mkv")), b = decode_video(dir.file("masked.mkv"));
    ASSERT_EQ(a.size(), b.size());
    std::vector<std::uint8_t> ya, yb;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ya.insert(ya.end(), a[i].y.begin(), a[i].y.end());
        yb.insert(yb.end(), b[i].y.begin(), b[i].y.end());
    }
    EXPECT_GT(psnr(ya, yb), 35.0);  // VP9 at crf 30 in between
}

namespace {

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// A re-run that composes again must make the same bytes, or the archive keeps a second copy
// (NAME-<hash>.webm) of the same picture. The WebM muxer wrote the date and random UIDs.
TEST(DeliverAlpha, EncodingTheSameFramesTwiceGivesTheSameBytes) {
    TempDir dir;
    std::map<std::string, std::string> first;
    for (const char* run : {"a", "b"}) {
        auto files = transcode(quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) + " -o " +
                               quote(dir.file(run)) + " --deliver webm-alpha,prores-alpha,web");
        ASSERT_EQ(files.size(), 3u);
        for (const auto& [preset, file] : files) {
            const std::string bytes = file_bytes(file["path"].get<std::string>());
            ASSERT_FALSE(bytes.empty()) << preset;
            if (first.count(preset) == 0) first[preset] = bytes;
            else EXPECT_TRUE(first[preset] == bytes) << preset << " differs between two encodes of the same frames";
        }
    }
    // compose --background transparent -o X.webm goes through the same writer.
    for (const char* out : {"c.webm", "d.webm"}) {
        CommandResult r = run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                     quote(media("avatar_mask.mp4")) + " --background transparent -o " + quote(dir.file(out)));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_TRUE(file_bytes(dir.file("c.webm")) == file_bytes(dir.file("d.webm")));
}
