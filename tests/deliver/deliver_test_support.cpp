#include "deliver_test_support.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
}

#include <gtest/gtest.h>

namespace avpost::testing {

std::map<std::string, nlohmann::json> transcode(const std::string& arguments) {
    CommandResult r = run_avpost("--json transcode " + arguments);
    if (r.exit_code != 0) throw std::runtime_error("transcode failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
    auto report = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> files;
    for (const auto& d : report.at("deliveries")) files[d.at("preset").get<std::string>()] = d;
    return files;
}

FfprobeFacts ffprobe(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) +
                                  " -v error -count_packets -show_streams -show_format -of json " + quote(path));
    if (r.exit_code != 0) throw std::runtime_error("ffprobe failed on " + path + ": " + r.err);
    auto j = nlohmann::json::parse(r.out);
    FfprobeFacts facts;
    bool video = false;
    for (const auto& s : j["streams"]) {
        if (s["codec_type"] == "audio") facts.audio = true;
        if (s["codec_type"] != "video" || video) continue;
        video = true;
        facts.codec = s.value("codec_name", "");
        facts.tag = s.value("codec_tag_string", "");
        facts.pix_fmt = s.value("pix_fmt", "");
        facts.color_space = s.value("color_space", "");
        facts.width = s.value("width", 0);
        facts.height = s.value("height", 0);
        facts.frames = std::stoi(s.value("nb_read_packets", "0"));
        if (s.contains("tags") && s["tags"].contains("alpha_mode")) facts.alpha_mode = s["tags"]["alpha_mode"];
        if (s.contains("duration")) facts.duration = std::stod(s["duration"].get<std::string>());
    }
    if (facts.duration == 0 && j.contains("format") && j["format"].contains("duration"))
        facts.duration = std::stod(j["format"]["duration"].get<std::string>());
    return facts;
}

std::vector<PlanesFrame> decode_planes(const std::string& path, const std::string& decoder_name) {
    AVFormatContext* input = nullptr;
    if (avformat_open_input(&input, path.c_str(), nullptr, nullptr) < 0) throw std::runtime_error("open " + path);
    std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> input_owner(
        input, [](AVFormatContext* c) { avformat_close_input(&c); });
    avformat_find_stream_info(input, nullptr);
    int stream = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream < 0) throw std::runtime_error("no video in " + path);
    const AVCodec* codec = decoder_name.empty() ? avcodec_find_decoder(input->streams[stream]->codecpar->codec_id)
                                                : avcodec_find_decoder_by_name(decoder_name.c_str());
    if (!codec) throw std::runtime_error("no decoder " + decoder_name);
    std::unique_ptr<AVCodecContext, void (*)(AVCodecContext*)> dec(avcodec_alloc_context3(codec),
                                                                    [](AVCodecContext* c) { avcodec_free_context(&c); });
    avcodec_parameters_to_context(dec.get(), input->streams[stream]->codecpar);
    if (avcodec_open2(dec.get(), codec, nullptr) < 0) throw std::runtime_error("open decoder");
    std::unique_ptr<AVPacket, void (*)(AVPacket*)> packet(av_packet_alloc(), [](AVPacket* p) { av_packet_free(&p); });
    std::unique_ptr<AVFrame, void (*)(AVFrame*)> frame(av_frame_alloc(), [](AVFrame* f) { av_frame_free(&f); });
    std::vector<PlanesFrame> frames;
    auto receive = [&] {
        while (avcodec_receive_frame(dec.get(), frame.get()) == 0) {
            const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(AVPixelFormat(frame->format));
            const int depth = d->comp[0].depth;
            PlanesFrame out;
            out.width = frame->width;
            out.height = frame->height;
            auto read_plane = [&](int plane, std::vector<std::uint8_t>& into) {
                into.resize(std::size_t(out.width) * out.height);
                for (int y = 0; y < out.height; ++y)
                    for (int x = 0; x < out.width; ++x) {
                        const std::uint8_t* row = frame->data[plane] + std::ptrdiff_t(y) * frame->linesize[plane];
                        unsigned v = depth > 8 ? reinterpret_cast<const std::uint16_t*>(row)[x] : row[x];
                        if (depth > 8) v = (v + (1u << (depth - 9))) >> (depth - 8);
                        into[std::size_t(y) * out.width + x] = std::uint8_t(std::min(v, 255u));
                    }
            };
            read_plane(0, out.y);
            if (d->flags & AV_PIX_FMT_FLAG_ALPHA) read_plane(3, out.alpha);
            frames.push_back(std::move(out));
            av_frame_unref(frame.get());
        }
    };
    while (av_read_frame(input, packet.get()) >= 0) {
        if (packet->stream_index == stream) {
            avcodec_send_packet(dec.get(), packet.get());
            receive();
        }
        av_packet_unref(packet.get());
    }
    avcodec_send_packet(dec.get(), nullptr);
    receive();
    return frames;
}

std::vector<HlsVariant> parse_master_playlist(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::vector<HlsVariant> variants;
    std::getline(in, line);
    EXPECT_EQ(line, "#EXTM3U") << path;
    const std::regex resolution("RESOLUTION=(\\d+)x(\\d+)"), bandwidth("(^|[:,])BANDWIDTH=(\\d+)"),
        codecs("CODECS=\"([^\"]*)\"");
    HlsVariant pending;
    bool have = false;
    while (std::getline(in, line)) {
        std::smatch m;
        if (line.rfind("#EXT-X-STREAM-INF:", 0) == 0) {
            pending = {};
            have = true;
            if (std::regex_search(line, m, resolution)) pending.width = std::stoi(m[1]), pending.height = std::stoi(m[2]);
            if (std::regex_search(line, m, bandwidth)) pending.bandwidth = std::stoll(m[2]);
            if (std::regex_search(line, m, codecs)) pending.codecs = m[1];
        } else if (!line.empty() && line[0] != '#' && have) {
            pending.uri = line;
            variants.push_back(pending);
            have = false;
        }
    }
    return variants;
}

HlsMedia parse_media_playlist(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    HlsMedia media;
    double pending = -1;
    while (std::getline(in, line)) {
        if (line.rfind("#EXTINF:", 0) == 0) pending = std::stod(line.substr(8));
        else if (line == "#EXT-X-ENDLIST") media.ended = true;
        else if (line == "#EXT-X-PLAYLIST-TYPE:VOD") media.vod = true;
        else if (!line.empty() && line[0] != '#') media.segments.emplace_back(line, pending);
    }
    return media;
}

}  // namespace avpost::testing
