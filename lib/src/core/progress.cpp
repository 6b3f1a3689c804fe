#include "avpost/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace avpost {

bool Progress::terminal_attached() {
    const char* ci = std::getenv("CI");
    if (ci && *ci && std::string_view(ci) != "0" && std::string_view(ci) != "false") return false;
    return isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string label, std::int64_t total, bool enabled, Unit unit)
    : Progress(std::move(label), total, stderr, enabled && terminal_attached(), unit) {}

Progress::Progress(std::string label, std::int64_t total, std::FILE* out, bool enabled, Unit unit)
    : label_(std::move(label)), total_(total), unit_(unit), enabled_(enabled), line_(out, enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(std::int64_t done) {
    if (!enabled_) return;
    last_frames_ = done;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    draw(done, false);
}

void Progress::finish() {
    if (!enabled_) return;  // the final line is shown even when the work was too quick for any other
    if (total_ > 0 && last_frames_ < total_) total_ = last_frames_;  // the estimate was long
    draw(last_frames_, true);
    line_.end();
}

void Progress::draw(std::int64_t done, bool) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
    const bool bytes = unit_ == Unit::bytes;
    // Bytes read better in MB; frames are counted as they are.
    const double scale = bytes ? 1e-6 : 1.0;
    const char* unit = bytes ? "MB" : "frames";
    const char* rate_unit = bytes ? "MB/s" : "fps";
    char line[200];
    if (total_ > 0) {
        double fraction = std::min(1.0, double(done) / double(total_));
        constexpr int width = 28;
        int filled = int(fraction * width);
        char bar[width + 1];
        for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '-';
        bar[width] = '\0';
        double eta = rate > 0 ? double(total_ - done) / rate : 0.0;
        std::snprintf(line, sizeof line, "%s [%s] %3d%% %.*f/%.*f %s %6.1f %s ETA %4.0fs ", label_.c_str(), bar,
                      int(fraction * 100), bytes ? 1 : 0, double(done) * scale, bytes ? 1 : 0, double(total_) * scale,
                      unit, rate * scale, rate_unit, eta < 0 ? 0.0 : eta);
    } else {
        std::snprintf(line, sizeof line, "%s %.*f %s %6.1f %s ", label_.c_str(), bytes ? 1 : 0, double(done) * scale,
                      unit, rate * scale, rate_unit);
    }
    line_.draw(line);
}

}  // namespace avpost
