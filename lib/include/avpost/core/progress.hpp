#pragma once
// A progress line on a terminal (frames, fps, ETA); silent when stderr is not a terminal,
// in CI, or when quiet. Never prints more than a few times a second.
#include <chrono>
#include <cstdint>
#include <string>

#include "avpost/core/status_line.hpp"

namespace avpost {

class Progress {
public:
    enum class Unit { frames, bytes };

    // total may be 0 when unknown (no ETA then).
    Progress(std::string label, std::int64_t total, bool enabled, Unit unit = Unit::frames);
    // The same on `out`, shown whenever `enabled` (for tests of what the line says).
    Progress(std::string label, std::int64_t total, std::FILE* out, bool enabled, Unit unit = Unit::frames);
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(std::int64_t done);
    // For downloads, where the total is known only once the response arrives.
    void set_total(std::int64_t total) { total_ = total; }
    void finish();

    // True when a progress line would be visible: stderr is a terminal and CI is not set.
    static bool terminal_attached();

private:
    void draw(std::int64_t frames_done, bool final);

    std::string label_;
    std::int64_t total_;
    Unit unit_;
    bool enabled_;
    StatusLine line_;
    std::int64_t last_frames_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace avpost
