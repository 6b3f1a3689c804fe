#include "avpost/filters/delivery_check.hpp"

#include <cmath>
#include <cstdio>

extern "C" {
#include <libavutil/avutil.h>
}

#include "avpost/core/error.hpp"

namespace avpost::filters {
namespace {

std::string seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f s", s);
    return text;
}

}  // namespace

void check_delivery(const std::filesystem::path& file, const media::ProbedMedia& probed,
                    const DeliveryExpectation& expected) {
    auto fail = [&](const std::string& why) {
        const std::filesystem::path& shown = expected.shown_as.empty() ? file : expected.shown_as;
        throw OutputError(ErrorDomain::input, std::string(to_string(expected.preset)) + " output '" + shown.string() + "'",
                          0, why);
    };
    if (probed.video_codec != expected.codec) fail("video codec is " + probed.video_codec + ", not " + expected.codec);
    if (expected.alpha && probed.alpha != *expected.alpha)
        fail(std::string(*expected.alpha ? "has no alpha channel" : "has an unexpected alpha channel") + " (" +
             probed.pixel_format + ")");
    if (expected.width && (probed.width != expected.width || probed.height != expected.height))
        fail("is " + std::to_string(probed.width) + "x" + std::to_string(probed.height) + ", not " +
             std::to_string(expected.width) + "x" + std::to_string(expected.height));
    if (expected.duration_seconds > 0 &&
        std::abs(probed.duration_seconds - expected.duration_seconds) > expected.frame_seconds * 1.01)
        fail("lasts " + seconds(probed.duration_seconds) + ", not " + seconds(expected.duration_seconds) +
             " (more than one frame off)");
    if (expected.frames && probed.frames != expected.frames)
        fail("holds " + std::to_string(probed.frames) + " frames, not the " + std::to_string(expected.frames) +
             " encoded");
    if (expected.audio && !probed.has_audio) fail("has no audio");
    if (expected.codec_tag && probed.codec_tag != expected.codec_tag) {
        char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
        av_fourcc_make_string(tag, probed.codec_tag);
        fail(std::string("is tagged '") + tag + "'");
    }
}

media::ProbedMedia check_delivery(const std::filesystem::path& file, const DeliveryExpectation& expected) {
    media::ProbedMedia probed;
    try {
        probed = media::probe_media_file(file);
    } catch (const Error& e) {
        throw OutputError(ErrorDomain::input, std::string(to_string(expected.preset)) + " output", e.code(),
                          std::string("does not read back: ") + e.what());
    }
    check_delivery(file, probed, expected);
    return probed;
}

DeliveredFile delivered_file(Preset preset, const std::filesystem::path& final_path, const media::ProbedMedia& probed) {
    DeliveredFile file;
    file.preset = preset;
    file.path = final_path;
    file.files = {final_path};
    file.codec = probed.video_codec;
    file.pixel_format = probed.pixel_format;
    file.width = probed.width;
    file.height = probed.height;
    file.duration_seconds = probed.duration_seconds;
    file.alpha = probed.alpha;
    file.audio = probed.has_audio;
    file.audio_codec = probed.audio_codec;
    file.bytes = std::int64_t(std::filesystem::file_size(final_path));
    return file;
}

}  // namespace avpost::filters
