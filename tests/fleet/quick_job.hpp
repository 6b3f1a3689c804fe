#pragma once
// The short sandbox job both fleet suites queue (fleet_test, chaos_test): an A2V render, a
// 160-line composite at the bottom of the test background, a web delivery, archived under
// ARCHIVE_ROOT into STORE. `variant` makes the audio URL (and so the job) distinct.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace avpost::test {

inline nlohmann::json quick_job(const std::string& name, const std::string& variant,
                                const std::filesystem::path& archive_root, const std::string& store) {
    return {{"name", name},
            {"source", {{"a2v", {{"pose_id", "pose-kai-front"},
                                 {"audio_url", "http://127.0.0.1:9/voice.wav?v=" + variant}}}}},
            {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 60}}},
            {"composite",
             {{"background", (std::filesystem::path(AVPOST_TEST_MEDIA_DIR) / "background.png").string()},
              {"size", "-1x80"},
              {"anchor", "bottom"}}},
            {"deliver", {{"presets", {"web"}}}},
            {"archive", {{"root", archive_root.string()}, {"store", store}}}};
}

}  // namespace avpost::test
