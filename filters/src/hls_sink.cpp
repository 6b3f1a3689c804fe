// The hls preset: an H.264/AAC ladder (e.g. 1080p, 720p, 480p) in MPEG-TS segments with one
// media playlist per rendition and a master playlist. Everything is written into a temporary
// directory beside the final one, checked (playlists parse, segments exist and decode, durations
// add up), and only then renamed into place.
#include <cmath>
#include <optional>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/filters/delivery_check.hpp"
#include "preset_sinks.hpp"

namespace avpost::filters {
namespace {

struct Rendition {
    Size size;
    std::string name;        // "720p"
    std::string level;       // H.264 level, so CODECS can be stated without parsing the stream
    int level_idc = 0;
    std::int64_t max_bitrate = 0;
    std::unique_ptr<EncodedOutput> output;
};

// Peak rates per height for crf-capped encodes; the level covers the size at up to 60 fps.
void pick_rate_and_level(Rendition& r) {
    const int h = short_side(r.size);
    if (h > 720) r.max_bitrate = 6'000'000, r.level = "4.1", r.level_idc = 41;
    else if (h > 480) r.max_bitrate = 3'000'000, r.level = "3.2", r.level_idc = 32;
    else r.max_bitrate = 1'400'000, r.level = "3.1", r.level_idc = 31;
}

struct MediaPlaylist {
    std::vector<std::pair<std::string, double>> segments;  // file, seconds
    bool ended = false;
};

MediaPlaylist parse_media_playlist(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw OutputError(ErrorDomain::input, "hls playlist '" + file.string() + "'", 0, "cannot be read");
    MediaPlaylist playlist;
    std::string line;
    double pending = -1;
    bool first = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (first && line != "#EXTM3U")
            throw OutputError(ErrorDomain::input, "hls playlist '" + file.string() + "'", 0, "does not start with #EXTM3U");
        first = false;
        if (line.rfind("#EXTINF:", 0) == 0) pending = std::strtod(line.c_str() + 8, nullptr);
        else if (line == "#EXT-X-ENDLIST") playlist.ended = true;
        else if (!line.empty() && line[0] != '#') {
            if (pending < 0)
                throw OutputError(ErrorDomain::input, "hls playlist '" + file.string() + "'", 0, "segment without #EXTINF");
            playlist.segments.emplace_back(line, pending);
            pending = -1;
        }
    }
    return playlist;
}

class HlsSink final : public DeliverySink {
public:
    HlsSink(const DeliveryOptions& options, const SinkContext& context)
        : options_(options), context_(context), final_dir_(delivery_path(options, Preset::hls)) {
        std::error_code ignored;
        std::filesystem::create_directories(final_dir_.parent_path(), ignored);
        partial_.emplace(final_dir_);  // locked while this run lives; swept after a kill -9
        temp_dir_ = partial_->path();
        // Rungs are named by their short side ("720p" is 1280x720, or 720x1280 in portrait).
        const Size top = fit_within(context.canvas, oriented_limit(context.canvas, options.max_size));
        std::vector<int> rungs{short_side(top)};
        for (int h : options.hls_heights)
            if (h < short_side(top) && h >= 16) rungs.push_back(h);
        std::sort(rungs.rbegin(), rungs.rend());
        rungs.erase(std::unique(rungs.begin(), rungs.end()), rungs.end());
        const int gop = std::max(1, int(std::lround(options.hls_segment_seconds * av_q2d(context.frame_rate))));
        for (int rung : rungs) {
            Rendition r;
            const double scale = double(rung) / short_side(top);
            r.size = fit_within(top, {int(std::lround(top.width * scale)), int(std::lround(top.height * scale))});
            // A rung within 10% of the one above adds nothing (e.g. a 1078-line canvas and 1080p).
            if (!renditions_.empty() && short_side(r.size) * 10 > short_side(renditions_.back().size) * 9) continue;
            r.name = std::to_string(short_side(r.size)) + "p";
            pick_rate_and_level(r);
            EncodedOutputSpec spec;
            spec.path = temp_dir_ / (r.name + ".m3u8");
            spec.container = "hls";
            spec.video.codec = "libx264";
            spec.video.width = r.size.width;
            spec.video.height = r.size.height;
            spec.video.pixel_format = AV_PIX_FMT_YUV420P;
            spec.matrix = AVCOL_SPC_BT709;
            // Fixed GOPs of one segment, no scene-cut keyframes: segments start on keyframes and
            // every rendition switches at the same instants.
            spec.video.options = {{"crf", "21"},
                                  {"preset", "veryfast"},
                                  {"profile", "high"},
                                  {"level", r.level},
                                  {"maxrate", std::to_string(r.max_bitrate)},
                                  {"bufsize", std::to_string(r.max_bitrate * 2)},
                                  {"g", std::to_string(gop)},
                                  {"keyint_min", std::to_string(gop)},
                                  {"x264-params", "scenecut=0:open-gop=0"}};
            spec.audio_encoder = "aac";
            spec.muxer_options = {{"hls_time", std::to_string(options.hls_segment_seconds)},
                                  {"hls_playlist_type", "vod"},
                                  {"hls_flags", "independent_segments"},
                                  {"hls_segment_type", "mpegts"},
                                  {"hls_segment_filename", (temp_dir_ / (r.name + "_%03d.ts")).string()}};
            r.output = std::make_unique<EncodedOutput>(std::move(spec), context);
            renditions_.push_back(std::move(r));
        }
    }

    ~HlsSink() override = default;  // the partial directory goes unless it was moved into place

    void begin() override {
        for (auto& r : renditions_) r.output->begin();
    }
    void write(const DeliveryFrame& frame) override {
        for (auto& r : renditions_) r.output->write(frame);
    }
    void push_audio_frame(const AVFrame* frame) override {
        for (auto& r : renditions_) r.output->push_audio_frame(frame);
    }
    void push_audio(const AVPacket* packet) override {
        for (auto& r : renditions_) r.output->push_audio(packet);
    }

    DeliveredFile finish(double duration_seconds) override {
        DeliveredFile file;
        file.preset = Preset::hls;
        std::ostringstream master;
        master << "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
        const double frame_seconds = 1.0 / av_q2d(context_.frame_rate);
        std::vector<std::filesystem::path> names;
        for (auto& r : renditions_) {
            r.output->finish();
            const std::filesystem::path playlist_file = temp_dir_ / (r.name + ".m3u8");
            MediaPlaylist playlist = parse_media_playlist(playlist_file);
            if (!playlist.ended || playlist.segments.empty())
                throw OutputError(ErrorDomain::input, "hls playlist '" + playlist_file.string() + "'", 0,
                                  "is not a finished VOD playlist");
            double total = 0, peak = 0;
            std::int64_t bytes = 0;
            for (const auto& [segment, seconds] : playlist.segments) {
                const std::filesystem::path path = temp_dir_ / segment;
                std::error_code error;
                const auto size = std::filesystem::file_size(path, error);
                if (error)
                    throw OutputError(ErrorDomain::input, "hls segment '" + segment + "'", 0, "listed but missing");
                total += seconds;
                bytes += std::int64_t(size);
                if (seconds > 0) peak = std::max(peak, double(size) * 8 / seconds);
                names.push_back(segment);
            }
            // The first segment must decode with the right codec, size and audio.
            DeliveryExpectation expected;
            expected.preset = Preset::hls;
            expected.codec = "h264";
            expected.alpha = false;
            expected.width = r.size.width;
            expected.height = r.size.height;
            expected.audio = r.output->has_audio();
            expected.shown_as = final_dir_ / playlist.segments.front().first;
            check_delivery(temp_dir_ / playlist.segments.front().first, expected);
            if (std::abs(total - duration_seconds) > frame_seconds * 1.01 + 0.01)
                throw OutputError(ErrorDomain::input, "hls rendition " + r.name, 0,
                                  "segments last " + std::to_string(total) + " s, not " +
                                      std::to_string(duration_seconds) + " s");
            char codecs[64];
            std::snprintf(codecs, sizeof codecs, "avc1.6400%02x%s", r.level_idc, r.output->has_audio() ? ",mp4a.40.2" : "");
            master << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::int64_t(std::ceil(peak * 1.1))
                   << ",AVERAGE-BANDWIDTH=" << std::int64_t(std::ceil(double(bytes) * 8 / std::max(total, 0.001)))
                   << ",RESOLUTION=" << r.size.width << "x" << r.size.height << ",FRAME-RATE="
                   << std::to_string(av_q2d(context_.frame_rate)).substr(0, 6) << ",CODECS=\"" << codecs << "\"\n"
                   << r.name << ".m3u8\n";
            names.push_back(r.name + ".m3u8");
            file.bytes += bytes + std::int64_t(std::filesystem::file_size(playlist_file));
            if (&r == &renditions_.front()) {
                file.width = r.size.width;
                file.height = r.size.height;
                file.duration_seconds = total;
                file.audio = r.output->has_audio();
            }
        }
        write_file_atomically(temp_dir_ / "master.m3u8", master.str());
        file.bytes += std::int64_t(std::filesystem::file_size(temp_dir_ / "master.m3u8"));
        names.push_back("master.m3u8");
        replace_directory();
        file.path = final_dir_ / "master.m3u8";
        for (const auto& name : names) file.files.push_back(final_dir_ / name);
        file.codec = "h264";
        file.pixel_format = "yuv420p";
        return file;
    }

private:
    // Swaps the finished directory in: the old one (a previous run's) is moved aside first and
    // removed only once the new one is in place.
    void replace_directory() {
        std::error_code error;
        std::filesystem::path old;
        if (std::filesystem::exists(final_dir_)) {
            // Named like a partial of this process: should it die here, the next run sweeps it.
            old = final_dir_.parent_path() / ("." + final_dir_.filename().string() + ".partial-" +
                                               std::to_string(::getpid()) + "-" +
                                               std::to_string(100000 + std::random_device()() % 100000));
            std::filesystem::rename(final_dir_, old, error);
            if (error) throw OutputError(ErrorDomain::system, "move aside '" + final_dir_.string() + "'", error.value(), error.message());
        }
        std::filesystem::rename(temp_dir_, final_dir_, error);
        if (error) {
            if (!old.empty()) std::filesystem::rename(old, final_dir_);
            throw OutputError(ErrorDomain::system, "rename into '" + final_dir_.string() + "'", error.value(), error.message());
        }
        partial_->release();
        if (!old.empty()) std::filesystem::remove_all(old, error);
    }

    const DeliveryOptions& options_;
    const SinkContext& context_;
    std::filesystem::path final_dir_;
    std::optional<PartialDirectory> partial_;
    std::filesystem::path temp_dir_;
    std::vector<Rendition> renditions_;
};

}  // namespace

std::unique_ptr<DeliverySink> make_hls_sink(const DeliveryOptions& options, const SinkContext& context) {
    return std::make_unique<HlsSink>(options, context);
}

}  // namespace avpost::filters
