// The hls preset: an H.264 (or HEVC)/AAC ladder (e.g. 1080p, 720p, 480p) in fMP4 (CMAF) segments
// with an init segment per rendition (EXT-X-MAP), or MPEG-TS segments, with one media playlist per
// rendition and a master playlist. When the web (or hevc) preset is made in the same run, its
// encode is the top rung: its packets are cut into segments here, so that size is not encoded a
// second time. Everything is written into a temporary directory beside the final one, checked
// (playlists parse, every rendition reads back through its playlist with the right codec, size,
// frame count and duration), and only then renamed into place.
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
#include "avpost/filters/webvtt_rendition.hpp"
#include "avpost/media/loudness_meter.hpp"
#include "codec_string.hpp"
#include "preset_sinks.hpp"

namespace avpost::filters {
namespace {

struct Rendition {
    Size size;
    std::string name;        // "720p"
    std::string level;       // H.264 level: covers the size at up to 60 fps
    std::int64_t max_bitrate = 0;
    bool shared = false;     // cut from another preset's encode
    std::unique_ptr<EncodedOutput> output;
};

// Peak rates per height for crf-capped encodes (HEVC: about 70% of H.264's for the same look).
void pick_rate_and_level(Rendition& r, HlsCodec codec) {
    const int h = short_side(r.size);
    if (h > 720) r.max_bitrate = 6'000'000, r.level = "4.1";
    else if (h > 480) r.max_bitrate = 3'000'000, r.level = "3.2";
    else r.max_bitrate = 1'400'000, r.level = "3.1";
    if (codec == HlsCodec::hevc) r.max_bitrate = r.max_bitrate * 7 / 10;
}

// The encoder settings of one rung. Fixed GOPs of one segment, no scene-cut keyframes: segments
// start on keyframes and every rendition switches at the same instants.
media::VideoEncodeSettings rung_encoder(const Rendition& r, HlsCodec codec, int gop) {
    media::VideoEncodeSettings video;
    video.width = r.size.width;
    video.height = r.size.height;
    video.pixel_format = AV_PIX_FMT_YUV420P;
    const std::string rate = std::to_string(r.max_bitrate), buffer = std::to_string(r.max_bitrate * 2);
    if (codec == HlsCodec::h264) {
        video.codec = "libx264";
        video.options = {{"crf", "21"},
                         {"preset", "veryfast"},
                         {"profile", "high"},
                         {"level", r.level},
                         {"maxrate", rate},
                         {"bufsize", buffer},
                         {"g", std::to_string(gop)},
                         {"keyint_min", std::to_string(gop)},
                         {"x264-params", "scenecut=0:open-gop=0"}};
    } else {
        video.codec = "libx265";
        video.codec_tag = MKTAG('h', 'v', 'c', '1');  // Apple players refuse hev1
        video.options = {{"crf", "24"},
                         {"preset", "fast"},
                         {"g", std::to_string(gop)},
                         {"keyint_min", std::to_string(gop)},
                         {"x265-params", "log-level=error:scenecut=0:open-gop=0:keyint=" + std::to_string(gop) +
                                             ":min-keyint=" + std::to_string(gop) + ":vbv-maxrate=" +
                                             std::to_string(r.max_bitrate / 1000) + ":vbv-bufsize=" +
                                             std::to_string(r.max_bitrate * 2 / 1000)}};
    }
    return video;
}

struct MediaPlaylist {
    std::vector<std::pair<std::string, double>> segments;  // file, seconds
    std::string init;  // EXT-X-MAP's URI (fMP4), or empty
    int version = 0;
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
        else if (line.rfind("#EXT-X-VERSION:", 0) == 0) playlist.version = std::atoi(line.c_str() + 15);
        else if (line.rfind("#EXT-X-MAP:URI=\"", 0) == 0) playlist.init = line.substr(16, line.find('"', 16) - 16);
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
    HlsSink(const DeliveryOptions& options, const SinkContext& context, EncodedOutput* top_rung)
        : options_(options), context_(context), final_dir_(delivery_path(options, Preset::hls)) {
        if (options.hls_codec == HlsCodec::hevc && options.hls_segments == HlsSegments::mpegts)
            throw_usage("HEVC HLS rungs need fMP4 segments (HLS carries HEVC only in fMP4)");
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
        const int gop = hls_gop_frames(options, context.frame_rate);
        const bool fmp4 = options.hls_segments == HlsSegments::fmp4;
        for (int rung : rungs) {
            Rendition r;
            const double scale = double(rung) / short_side(top);
            r.size = fit_within(top, {int(std::lround(top.width * scale)), int(std::lround(top.height * scale))});
            // A rung within 10% of the one above adds nothing (e.g. a 1078-line canvas and 1080p).
            if (!renditions_.empty() && short_side(r.size) * 10 > short_side(renditions_.back().size) * 9) continue;
            r.name = std::to_string(short_side(r.size)) + "p";
            pick_rate_and_level(r, options.hls_codec);
            EncodedOutputSpec spec;
            spec.path = temp_dir_ / (r.name + ".m3u8");
            spec.container = "hls";
            spec.video = rung_encoder(r, options.hls_codec, gop);
            spec.matrix = AVCOL_SPC_BT709;
            if (renditions_.empty() && top_rung) {
                const AVCodecParameters* shared = top_rung->video_parameters();
                if (shared->width != r.size.width || shared->height != r.size.height)
                    throw_usage("the encode shared as the HLS top rung is " + std::to_string(shared->width) + "x" +
                                std::to_string(shared->height) + ", not " + std::to_string(r.size.width) + "x" +
                                std::to_string(r.size.height));
                spec.video_from = top_rung;
                r.shared = true;
            }
            spec.audio_encoder = "aac";
            spec.muxer_options = {{"hls_time", std::to_string(options.hls_segment_seconds)},
                                  {"hls_playlist_type", "vod"},
                                  {"hls_flags", "independent_segments"}};
            if (fmp4) {
                spec.muxer_options["hls_segment_type"] = "fmp4";
                spec.muxer_options["hls_fmp4_init_filename"] = r.name + "_init.mp4";
                spec.muxer_options["hls_segment_filename"] = (temp_dir_ / (r.name + "_%03d.m4s")).string();
            } else {
                spec.muxer_options["hls_segment_type"] = "mpegts";
                spec.muxer_options["hls_segment_filename"] = (temp_dir_ / (r.name + "_%03d.ts")).string();
            }
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
        std::ostringstream master, variants;
        const bool fmp4 = options_.hls_segments == HlsSegments::fmp4;
        // fMP4: version 7, as libavformat writes the media playlists (EXT-X-MAP outside I-frame
        // playlists needs 6 or more); MPEG-TS needs only 3, which the oldest players take.
        master << "#EXTM3U\n#EXT-X-VERSION:" << (fmp4 ? 7 : 3) << "\n#EXT-X-INDEPENDENT-SEGMENTS\n";
        const double frame_seconds = 1.0 / av_q2d(context_.frame_rate);
        const bool captions = context_.captions && !context_.captions->empty();
        std::vector<std::filesystem::path> names;
        std::vector<double> top_segments;  // the top rung's segment lengths, which every rung shares
        double first_frame_seconds = 0;
        for (auto& r : renditions_) {
            r.output->finish();
            const std::filesystem::path playlist_file = temp_dir_ / (r.name + ".m3u8");
            MediaPlaylist playlist = parse_media_playlist(playlist_file);
            double total = 0, peak = 0;
            std::int64_t bytes = 0;
            if (!playlist.ended || playlist.segments.empty())
                throw OutputError(ErrorDomain::input, "hls playlist '" + playlist_file.string() + "'", 0,
                                  "is not a finished VOD playlist");
            if (fmp4 && (playlist.init.empty() || playlist.version < 7 ||
                         !std::filesystem::exists(temp_dir_ / playlist.init)))
                throw OutputError(ErrorDomain::input, "hls playlist '" + playlist_file.string() + "'", 0,
                                  "has no EXT-X-MAP init segment at version 7");
            if (!playlist.init.empty()) {
                names.push_back(playlist.init);
                bytes += std::int64_t(std::filesystem::file_size(temp_dir_ / playlist.init));
            }
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
            // The rendition, read through its playlist as a player would (init segment and all
            // segments): codec, size, every frame, the duration and audio.
            DeliveryExpectation expected;
            expected.preset = Preset::hls;
            expected.codec = options_.hls_codec == HlsCodec::h264 ? "h264" : "hevc";
            expected.alpha = false;
            expected.width = r.size.width;
            expected.height = r.size.height;
            expected.duration_seconds = duration_seconds;
            expected.frame_seconds = frame_seconds;
            expected.frames = r.output->frames();
            expected.audio = r.output->has_audio();
            expected.shown_as = final_dir_ / playlist_file.filename();
            const media::ProbedMedia probed = check_delivery(playlist_file, expected);
            if (std::abs(total - duration_seconds) > frame_seconds * 1.01 + 0.01)
                throw OutputError(ErrorDomain::input, "hls rendition " + r.name, 0,
                                  "segments last " + std::to_string(total) + " s, not " +
                                      std::to_string(duration_seconds) + " s");
            const std::string codecs =
                codec_string(*r.output->video_parameters()) + (r.output->has_audio() ? ",mp4a.40.2" : "");
            variants << "#EXT-X-STREAM-INF:BANDWIDTH=" << std::int64_t(std::ceil(peak * 1.1))
                     << ",AVERAGE-BANDWIDTH=" << std::int64_t(std::ceil(double(bytes) * 8 / std::max(total, 0.001)))
                     << ",RESOLUTION=" << r.size.width << "x" << r.size.height << ",FRAME-RATE="
                     << std::to_string(av_q2d(context_.frame_rate)).substr(0, 6) << ",CODECS=\"" << codecs << "\""
                     << (captions ? ",SUBTITLES=\"" + std::string(webvtt_group_id) + "\"" : std::string()) << "\n"
                     << r.name << ".m3u8\n";
            names.push_back(r.name + ".m3u8");
            file.bytes += bytes + std::int64_t(std::filesystem::file_size(playlist_file));
            if (&r == &renditions_.front()) {
                file.width = r.size.width;
                file.height = r.size.height;
                file.duration_seconds = total;
                file.audio = r.output->has_audio();
                first_frame_seconds = probed.video_start_seconds;
                for (const auto& segment : playlist.segments) top_segments.push_back(segment.second);
                // The loudness stage's result as delivered: the top rung's audio, decoded through
                // its playlist (every rung encodes the same processed audio the same way).
                if (context_.measure_loudness && r.output->has_audio())
                    file.loudness = media::measure_file_loudness(playlist_file);
            } else if (playlist.segments.size() != top_segments.size()) {
                // Players switch rungs (and the subtitle rendition follows) at segment boundaries.
                throw OutputError(ErrorDomain::input, "hls rendition " + r.name, 0,
                                  "has " + std::to_string(playlist.segments.size()) + " segments, the top rung " +
                                      std::to_string(top_segments.size()));
            }
        }
        if (captions) {
            const WebvttRendition subtitles = write_webvtt_rendition(
                temp_dir_, "captions", *context_.captions, top_segments, first_frame_seconds, options_.captions_language);
            master << subtitles.media_tag << "\n";
            for (const auto& name : subtitles.files) {
                names.push_back(name);
                file.bytes += std::int64_t(std::filesystem::file_size(temp_dir_ / name));
            }
            file.caption_cues = subtitles.cues;
        }
        master << variants.str();
        write_file_atomically(temp_dir_ / "master.m3u8", master.str());
        file.bytes += std::int64_t(std::filesystem::file_size(temp_dir_ / "master.m3u8"));
        names.push_back("master.m3u8");
        replace_directory();
        file.path = final_dir_ / "master.m3u8";
        for (const auto& name : names) file.files.push_back(final_dir_ / name);
        file.codec = options_.hls_codec == HlsCodec::h264 ? "h264" : "hevc";
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
            // Appended, not "." + ...: gcc 12 warns falsely (-Wrestrict) about "literal" + std::string&&.
            std::string name = ".";
            name.append(final_dir_.filename().string()).append(".partial-").append(std::to_string(::getpid()));
            name.append("-").append(std::to_string(100000 + std::random_device()() % 100000));
            old = final_dir_.parent_path() / name;
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

std::unique_ptr<DeliverySink> make_hls_sink(Preset, const DeliveryOptions& options, const SinkContext& context,
                                            EncodedOutput* top_rung) {
    return std::make_unique<HlsSink>(options, context, top_rung);
}

}  // namespace avpost::filters
