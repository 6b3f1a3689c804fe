#pragma once
// Test helpers: run commands, decode videos to plain planes, compare pixels.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace avpost::testing {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs a shell command line; captures stdout and stderr separately.
CommandResult run_command(const std::string& command_line);
// Runs the avpost binary with `arguments` (already shell-quoted where needed).
CommandResult run_avpost(const std::string& arguments);
// Runs the ffmpeg CLI quietly; throws std::runtime_error on failure.
void run_ffmpeg(const std::string& arguments);

std::string media(const std::string& name);  // path of a committed sample
std::string quote(const std::string& text);

// A decoded frame as 8-bit yuv420p planes (converted with swscale if needed, same range).
struct YuvFrame {
    int width = 0, height = 0;
    double seconds = 0;
    std::vector<std::uint8_t> y, u, v;
    std::uint8_t Y(int x, int yy) const { return y[std::size_t(yy) * width + x]; }
    std::uint8_t U(int cx, int cy) const { return u[std::size_t(cy) * ((width + 1) / 2) + cx]; }
    std::uint8_t V(int cx, int cy) const { return v[std::size_t(cy) * ((width + 1) / 2) + cx]; }
};

std::vector<YuvFrame> decode_video(const std::string& path, int max_frames = 1 << 30);

double psnr(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b);
double psnr(const std::vector<double>& reference, const std::vector<std::uint8_t>& actual);

// A fresh directory under the system temp dir, removed at destruction (kept for inspection when
// AVPOST_TEST_KEEP is set).
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Names of all entries (to prove nothing half-written was left behind).
    std::vector<std::string> entries() const;

private:
    std::filesystem::path path_;
};

}  // namespace avpost::testing
