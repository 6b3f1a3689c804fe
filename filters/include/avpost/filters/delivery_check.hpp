#pragma once
// The check every delivered file goes through after writing: open it again and compare what it
// holds with what the preset promised. A mismatch is an OutputError naming the preset and file.
#include <filesystem>
#include <optional>
#include <string>

#include "avpost/filters/delivery.hpp"
#include "avpost/media/media_probe.hpp"

namespace avpost::filters {

struct DeliveryExpectation {
    Preset preset = Preset::web;
    std::string codec;                // libavcodec name
    std::optional<bool> alpha;        // must (not) carry alpha
    int width = 0, height = 0;
    double duration_seconds = 0.0;    // 0: not checked
    double frame_seconds = 0.04;      // tolerance for the duration
    bool audio = false;               // must carry audio
    std::uint32_t codec_tag = 0;      // 0: not checked
    std::int64_t frames = 0;          // video packets (frames encoded); 0: not checked
    // The name errors give the file: where it is going (the checked file is a temporary that
    // is gone once the error is reported). Empty: the checked file's own name.
    std::filesystem::path shown_as;
};

// Probes `file` (or takes `probed`) and throws OutputError on any difference.
media::ProbedMedia check_delivery(const std::filesystem::path& file, const DeliveryExpectation& expected);
void check_delivery(const std::filesystem::path& file, const media::ProbedMedia& probed,
                    const DeliveryExpectation& expected);

// The report of a single-file output, committed at `final_path`, from what was read back.
DeliveredFile delivered_file(Preset preset, const std::filesystem::path& final_path, const media::ProbedMedia& probed);

}  // namespace avpost::filters
