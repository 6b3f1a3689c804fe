#include "media_helpers.hpp"
#include <cstdlib>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "avpost/media/handles.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::testing {
namespace {

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::string quote(const std::string& text) {
    std::string q = "'";
    for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

CommandResult run_command(const std::string& command_line) {
    TempDir capture;
    std::string out = capture.file("stdout"), err = capture.file("stderr");
    std::string full = command_line + " >" + quote(out) + " 2>" + quote(err) + " </dev/null";
    int status = std::system(full.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
}

CommandResult run_avpost(const std::string& arguments) {
    return run_command(std::string("CI=true ") + quote(AVPOST_BINARY) + " " + arguments);
}

void run_ffmpeg(const std::string& arguments) {
    CommandResult r = run_command(quote(FFMPEG_EXECUTABLE) + " -hide_banner -loglevel error -y " + arguments);
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg " + arguments + " failed: " + r.err);
}

std::string media(const std::string& name) { return std::string(AVPOST_TEST_MEDIA_DIR) + "/" + name; }

std::vector<YuvFrame> decode_video(const std::string& path, int max_frames) {
    media::VideoSource source(path, "test input");
    media::FramePtr frame = media::make_frame();
    media::SwsContextPtr scaler;
    std::vector<YuvFrame> frames;
    while (int(frames.size()) < max_frames && source.next(frame.get())) {
        YuvFrame f;
        f.width = frame->width;
        f.height = frame->height;
        f.seconds = source.seconds_of(frame.get());
        int cw = (f.width + 1) / 2, ch = (f.height + 1) / 2;
        f.y.resize(std::size_t(f.width) * f.height);
        f.u.resize(std::size_t(cw) * ch);
        f.v.resize(std::size_t(cw) * ch);
        std::uint8_t* planes[4] = {f.y.data(), f.u.data(), f.v.data(), nullptr};
        int strides[4] = {f.width, cw, cw, 0};
        if (frame->format == AV_PIX_FMT_YUV420P) {
            for (int y = 0; y < f.height; ++y) std::copy_n(frame->data[0] + y * frame->linesize[0], f.width, planes[0] + y * f.width);
            for (int y = 0; y < ch; ++y) {
                std::copy_n(frame->data[1] + y * frame->linesize[1], cw, planes[1] + y * cw);
                std::copy_n(frame->data[2] + y * frame->linesize[2], cw, planes[2] + y * cw);
            }
        } else {
            scaler.reset(sws_getCachedContext(scaler.release(), f.width, f.height, AVPixelFormat(frame->format), f.width,
                                              f.height, AV_PIX_FMT_YUV420P, SWS_POINT, nullptr, nullptr, nullptr));
            sws_scale(scaler.get(), frame->data, frame->linesize, 0, f.height, planes, strides);
        }
        frames.push_back(std::move(f));
    }
    return frames;
}

double psnr(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    if (a.size() != b.size() || a.empty()) throw std::runtime_error("psnr: planes differ in size");
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        double d = double(a[i]) - b[i];
        sum += d * d;
    }
    double mse = sum / double(a.size());
    return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

double psnr(const std::vector<double>& reference, const std::vector<std::uint8_t>& actual) {
    if (reference.size() != actual.size() || actual.empty()) throw std::runtime_error("psnr: planes differ in size");
    double sum = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        double d = reference[i] - actual[i];
        sum += d * d;
    }
    double mse = sum / double(actual.size());
    return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

TempDir::TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("avpost-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    if (std::getenv("AVPOST_TEST_KEEP")) return;
    std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> TempDir::entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    return names;
}

}  // namespace avpost::testing
