#pragma once
// A progress line on a terminal (frames, fps, ETA); silent when stderr is not a terminal,
// in CI, or when quiet. Never prints more than a few times a second.
#include <chrono>
#include <cstdint>
#include <string>

namespace avpost {

class Progress {
public:
    enum class Unit { frames, bytes };

    // total may be 0 when unknown (no ETA then).
    Progress(std::string label, std::int64_t total, bool enabled, Unit unit = Unit::frames);
    ~Progress();
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
    bool drawn_ = false;
    std::int64_t last_frames_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace avpost
