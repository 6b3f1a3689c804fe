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

Progress::Progress(std::string label, std::int64_t total_frames, bool enabled)
    : label_(std::move(label)), total_(total_frames), enabled_(enabled && terminal_attached()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
    if (drawn_) std::fputc('\n', stderr);
}

void Progress::update(std::int64_t frames_done) {
    if (!enabled_) return;
    last_frames_ = frames_done;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    draw(frames_done, false);
}

void Progress::finish() {
    if (!enabled_ || !drawn_) return;
    if (total_ > 0 && last_frames_ < total_) total_ = last_frames_;  // the estimate was long
    draw(last_frames_, true);
    std::fputc('\n', stderr);
    drawn_ = false;
}

void Progress::draw(std::int64_t frames_done, bool) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double fps = elapsed > 0 ? double(frames_done) / elapsed : 0.0;
    char line[160];
    if (total_ > 0) {
        double fraction = std::min(1.0, double(frames_done) / double(total_));
        constexpr int width = 28;
        int filled = int(fraction * width);
        char bar[width + 1];
        for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '-';
        bar[width] = '\0';
        double eta = fps > 0 ? double(total_ - frames_done) / fps : 0.0;
        std::snprintf(line, sizeof line, "\r%s [%s] %3d%% %lld/%lld frames %6.1f fps ETA %4.0fs ",
                      label_.c_str(), bar, int(fraction * 100), (long long)frames_done, (long long)total_, fps,
                      eta < 0 ? 0.0 : eta);
    } else {
        std::snprintf(line, sizeof line, "\r%s %lld frames %6.1f fps ", label_.c_str(), (long long)frames_done, fps);
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    drawn_ = true;
}

}  // namespace avpost
