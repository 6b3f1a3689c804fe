#include "avpost/sandbox/talking_head.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/media_writer.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace avpost::sandbox {

AudioTrack make_voice_like_track(double seconds, int sample_rate, std::uint32_t seed) {
    AudioTrack track;
    track.sample_rate = sample_rate;
    const std::size_t n = static_cast<std::size_t>(std::max(0.0, seconds) * sample_rate);
    track.samples.resize(n);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> syllable_len(0.12, 0.3), pause_len(0.05, 0.25), pitch(100, 140);
    double t_next = 0.2;  // a short silence first
    double t_start = 0, t_end = 0, f0 = 120;
    bool voiced = false;
    double phase = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double t = double(i) / sample_rate;
        if (t >= t_next) {
            voiced = !voiced;
            if (voiced) {
                t_start = t;
                t_end = t + syllable_len(rng);
                f0 = pitch(rng);
                t_next = t_end;
            } else {
                t_next = t + pause_len(rng);
            }
        }
        double v = 0;
        if (voiced) {
            // Each syllable rises and falls.
            double env = std::sin(std::clamp((t - t_start) / (t_end - t_start), 0.0, 1.0) * M_PI);
            phase += 2 * M_PI * f0 / sample_rate;
            // Harmonics shaped by two fixed formants (~700 Hz, ~1200 Hz): vowel-like.
            for (int h = 1; h <= 12; ++h) {
                double f = h * f0;
                double formant = std::exp(-std::pow((f - 700) / 250, 2)) + 0.6 * std::exp(-std::pow((f - 1200) / 300, 2));
                v += (0.2 + formant) / h * std::sin(h * phase);
            }
            v *= 0.35 * std::max(0.0, env);
        }
        track.samples[i] = static_cast<float>(std::clamp(v, -1.0, 1.0));
    }
    return track;
}

AudioTrack decode_audio_file(const std::filesystem::path& path, double max_seconds, int sample_rate) {
    using namespace avpost::media;
    const std::string name = path.string();
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, name.c_str(), nullptr, nullptr);
    if (rc < 0) throw Error(ErrorDomain::input, "open audio " + name, rc, av_error_text(rc));
    InputFormatPtr input(raw);
    check_av(avformat_find_stream_info(input.get(), nullptr), "avformat_find_stream_info (audio)");
    const AVCodec* codec = nullptr;
    int stream = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream < 0 || !codec) throw Error(ErrorDomain::input, "audio " + name, stream, "no audio stream");
    CodecContextPtr dec(avcodec_alloc_context3(codec));
    if (!dec) throw_av("avcodec_alloc_context3", AVERROR(ENOMEM));
    check_av(avcodec_parameters_to_context(dec.get(), input->streams[stream]->codecpar), "avcodec_parameters_to_context");
    check_av(avcodec_open2(dec.get(), codec, nullptr), "avcodec_open2 (audio)");

    SwrContextPtr swr;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AudioTrack track;
    track.sample_rate = sample_rate;
    const std::size_t limit = static_cast<std::size_t>(max_seconds * sample_rate);
    FramePtr frame = make_frame();
    PacketPtr packet = make_packet();
    auto drain = [&] {
        while (avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
            if (!swr) {
                SwrContext* s = nullptr;
                check_av(swr_alloc_set_opts2(&s, &mono, AV_SAMPLE_FMT_FLT, sample_rate, &frame->ch_layout,
                                             AVSampleFormat(frame->format), frame->sample_rate, 0, nullptr),
                         "swr_alloc_set_opts2");
                swr.reset(s);
                check_av(swr_init(s), "swr_init");
            }
            int cap = swr_get_out_samples(swr.get(), frame->nb_samples);
            std::vector<float> out(static_cast<std::size_t>(std::max(cap, 0)));
            auto* dst = reinterpret_cast<uint8_t*>(out.data());
            int got = check_av(swr_convert(swr.get(), &dst, cap, const_cast<const uint8_t**>(frame->extended_data),
                                           frame->nb_samples),
                               "swr_convert");
            track.samples.insert(track.samples.end(), out.begin(), out.begin() + got);
            av_frame_unref(frame.get());
        }
    };
    while (track.samples.size() < limit && av_read_frame(input.get(), packet.get()) >= 0) {
        if (packet->stream_index == stream && avcodec_send_packet(dec.get(), packet.get()) >= 0) drain();
        av_packet_unref(packet.get());
    }
    avcodec_send_packet(dec.get(), nullptr);
    drain();
    if (track.samples.size() > limit) track.samples.resize(limit);
    if (track.samples.empty()) throw Error(ErrorDomain::input, "audio " + name, 0, "no samples decoded");
    return track;
}

std::vector<double> loudness_per_frame(const AudioTrack& audio, int fps) {
    std::size_t per_frame = static_cast<std::size_t>(audio.sample_rate / std::max(1, fps));
    std::size_t frames = per_frame ? (audio.samples.size() + per_frame - 1) / per_frame : 0;
    std::vector<double> rms(frames, 0.0);
    for (std::size_t f = 0; f < frames; ++f) {
        double sum = 0;
        std::size_t begin = f * per_frame, end = std::min(audio.samples.size(), begin + per_frame);
        for (std::size_t i = begin; i < end; ++i) sum += double(audio.samples[i]) * audio.samples[i];
        rms[f] = end > begin ? std::sqrt(sum / double(end - begin)) : 0.0;
    }
    double peak = rms.empty() ? 0.0 : *std::max_element(rms.begin(), rms.end());
    if (peak > 1e-6)
        for (double& v : rms) v /= peak;
    else
        std::fill(rms.begin(), rms.end(), 0.0);
    return rms;
}

MouthBox mouth_box(int width, int height) {
    int cx = width / 2, cy = height / 2 + height * 22 / 100;
    int rx = width * 6 / 100, ry = height * 9 / 100;
    return {cx - rx, cy - ry, cx + rx + 1, cy + ry + 1};
}

namespace {

struct Ellipse {
    double cx, cy, rx, ry;
    bool contains(double x, double y) const {
        double dx = (x - cx) / rx, dy = (y - cy) / ry;
        return dx * dx + dy * dy <= 1.0;
    }
};

// Fills a yuv420p frame: every luma pixel gets luma(x, y); chroma takes the value at the
// top-left of its 2x2 block.
template <class F>
void paint(AVFrame* f, F&& yuv_at) {
    for (int y = 0; y < f->height; ++y) {
        uint8_t* row = f->data[0] + y * f->linesize[0];
        for (int x = 0; x < f->width; ++x) row[x] = yuv_at(x, y)[0];
    }
    for (int y = 0; y < (f->height + 1) / 2; ++y) {
        uint8_t* u = f->data[1] + y * f->linesize[1];
        uint8_t* v = f->data[2] + y * f->linesize[2];
        for (int x = 0; x < (f->width + 1) / 2; ++x) {
            auto p = yuv_at(2 * x, 2 * y);
            u[x] = p[1];
            v[x] = p[2];
        }
    }
}

// The audio, in 1024-sample frames, cut to the video's length.
void write_audio(media::MediaWriter& video, const AudioTrack& audio, std::size_t frames, int fps) {
    using namespace avpost::media;
    const std::size_t total = std::min(audio.samples.size(), frames * static_cast<std::size_t>(audio.sample_rate / fps));
    FramePtr af = make_frame();
    for (std::size_t pos = 0; pos < total; pos += 1024) {
        int n = static_cast<int>(std::min<std::size_t>(1024, total - pos));
        av_frame_unref(af.get());
        af->nb_samples = n;
        af->format = AV_SAMPLE_FMT_FLT;
        af->sample_rate = audio.sample_rate;
        AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
        av_channel_layout_copy(&af->ch_layout, &mono);
        check_av(av_frame_get_buffer(af.get(), 0), "av_frame_get_buffer (sandbox audio)");
        std::copy_n(audio.samples.data() + pos, n, reinterpret_cast<float*>(af->data[0]));
        af->pts = static_cast<std::int64_t>(pos);
        video.write_audio_frame(af.get(), AVRational{1, audio.sample_rate});
    }
}

void add_sandbox_streams(media::MediaWriter& video, int width, int height, int fps) {
    media::VideoEncodeSettings ves;
    ves.width = width;
    ves.height = height;
    ves.frame_rate = AVRational{fps, 1};
    ves.time_base = AVRational{1, fps};
    ves.pixel_format = AV_PIX_FMT_YUV420P;
    ves.preset = "veryfast";
    ves.crf = 20;
    video.add_video(ves);
    media::AudioEncodeSettings aes;
    aes.channels = 1;
    aes.sample_rate = 48000;
    aes.bit_rate = 64000;
    video.add_audio_encode(aes);
}

// The face of the talking head drawn into a rectangle: its colour and coverage at a pixel.
class Face {
public:
    Face(const PixelRect& r)
        : cx_(r.x + r.width / 2.0), cy_(r.y + r.height / 2.0), head_{cx_, cy_, r.width * 0.17, r.height * 0.42},
          eye_l_{cx_ - r.width * 0.06, cy_ - r.height * 0.1, r.width * 0.018, r.height * 0.035},
          eye_r_{cx_ + r.width * 0.06, cy_ - r.height * 0.1, r.width * 0.018, r.height * 0.035},
          mouth_{cx_, cy_ + r.height * 0.22, r.width * 0.06, r.height * 0.09}, mouth_ry_max_(r.height * 0.09) {}

    // The mouth opens with the frame's loudness (0..1); closed, it is a thin line.
    void set_loudness(double loudness) { mouth_.ry = std::max(1.0, mouth_ry_max_ * loudness); }

    // The head's bounding box, with room for its soft edge.
    PixelRect bounds() const {
        const int x0 = int(std::floor(head_.cx - head_.rx - 2)), y0 = int(std::floor(head_.cy - head_.ry - 2));
        const int x1 = int(std::ceil(head_.cx + head_.rx + 2)), y1 = int(std::ceil(head_.cy + head_.ry + 2));
        return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
    }

    // Coverage 0..1 (a soft 2-pixel edge, as real mattes have) and the colour where covered.
    float alpha(double x, double y) const {
        const double dx = (x - head_.cx) / head_.rx, dy = (y - head_.cy) / head_.ry;
        const double inside_px = (1.0 - std::sqrt(dx * dx + dy * dy)) * std::min(head_.rx, head_.ry);
        return float(std::clamp(inside_px / 2.0 + 0.5, 0.0, 1.0));
    }
    std::array<float, 3> colour(double x, double y) const {
        if (mouth_.contains(x, y)) return {40, 120, 150};
        if (eye_l_.contains(x, y) || eye_r_.contains(x, y)) return {30, 128, 128};
        return {170, 110, 150};
    }

private:
    double cx_, cy_;
    Ellipse head_, eye_l_, eye_r_, mouth_;
    double mouth_ry_max_;
};

}  // namespace

void render_talking_head(const AudioTrack& audio, const TalkingHeadSettings& s, const std::filesystem::path& video_path,
                         const std::filesystem::path& mask_path) {
    using namespace avpost::media;
    const int w = s.width & ~1, h = s.height & ~1;
    if (w < 16 || h < 16) throw_usage("sandbox render size must be at least 16x16");
    std::vector<double> loud = loudness_per_frame(audio, s.fps);
    if (loud.empty()) loud.assign(static_cast<std::size_t>(s.fps), 0.0);

    MediaWriter video(video_path.string(), "mp4");
    add_sandbox_streams(video, w, h, s.fps);
    video.begin();
    std::unique_ptr<MediaWriter> mask;
    if (!mask_path.empty()) {
        mask = std::make_unique<MediaWriter>(mask_path.string(), "mp4");
        // Near-lossless: a matte's flat 16 and 235 must survive encoding.
        VideoEncodeSettings mask_settings;
        mask_settings.width = w;
        mask_settings.height = h;
        mask_settings.frame_rate = AVRational{s.fps, 1};
        mask_settings.time_base = AVRational{1, s.fps};
        mask_settings.pixel_format = AV_PIX_FMT_YUV420P;
        mask_settings.preset = "veryfast";
        mask_settings.crf = 8;
        mask->add_video(mask_settings);
        mask->begin();
    }

    const Ellipse head{w / 2.0, h / 2.0, w * 0.17, h * 0.42};
    const Ellipse eye_l{w / 2.0 - w * 0.06, h / 2.0 - h * 0.1, w * 0.018, h * 0.035};
    const Ellipse eye_r{w / 2.0 + w * 0.06, h / 2.0 - h * 0.1, w * 0.018, h * 0.035};
    const MouthBox mb = mouth_box(w, h);
    const double mouth_cx = (mb.x0 + mb.x1 - 1) / 2.0, mouth_cy = (mb.y0 + mb.y1 - 1) / 2.0;
    const double mouth_rx = (mb.x1 - mb.x0) / 2.0, mouth_ry_max = (mb.y1 - mb.y0) / 2.0;

    FramePtr frame = make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    FramePtr matte = make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    using Px = std::array<uint8_t, 3>;
    for (std::size_t i = 0; i < loud.size(); ++i) {
        // A closed mouth is a thin line; loud frames open it to the full box height.
        const Ellipse mouth{mouth_cx, mouth_cy, mouth_rx, std::max(1.0, mouth_ry_max * loud[i])};
        av_frame_make_writable(frame.get());
        paint(frame.get(), [&](int x, int y) -> Px {
            if (mouth.contains(x, y)) return {40, 120, 150};
            if (eye_l.contains(x, y) || eye_r.contains(x, y)) return {30, 128, 128};
            if (head.contains(x, y)) return {170, 110, 150};
            return {70, 150, 115};
        });
        frame->pts = static_cast<std::int64_t>(i);
        video.write_video(frame.get());
        if (mask) {
            av_frame_make_writable(matte.get());
            // A soft 2-pixel edge, as real mattes have; it also keeps encoder ringing small.
            paint(matte.get(), [&](int x, int y) -> Px {
                double dx = (x - head.cx) / head.rx, dy = (y - head.cy) / head.ry;
                double inside_px = (1.0 - std::sqrt(dx * dx + dy * dy)) * std::min(head.rx, head.ry);
                double alpha = std::clamp(inside_px / 2.0 + 0.5, 0.0, 1.0);
                return {uint8_t(std::lround(16 + 219 * alpha)), 128, 128};
            });
            matte->pts = static_cast<std::int64_t>(i);
            mask->write_video(matte.get());
        }
    }

    write_audio(video, audio, loud.size(), s.fps);
    video.finish();
    if (mask) mask->finish();
}

void render_akool_talking_head(const AudioTrack& audio, const AkoolLayout& layout, int fps,
                               const std::filesystem::path& video_path) {
    using namespace avpost::media;
    const int w = layout.size.width, h = layout.size.height;
    if (w < 16 || h < 16 || (w & 1) || (h & 1)) throw_usage("sandbox render size must be even and at least 16x16");
    if (layout.below.width != w || layout.below.height != h) throw_usage("sandbox layout does not match its size");
    std::vector<double> loud = loudness_per_frame(audio, fps);
    if (loud.empty()) loud.assign(static_cast<std::size_t>(fps), 0.0);

    MediaWriter video(video_path.string(), "mp4");
    add_sandbox_streams(video, w, h, fps);
    video.begin();

    const bool has_above = !layout.above.a.empty();
    const ScenePlanes& below = layout.below;
    const ScenePlanes& above = layout.above;
    auto to_byte = [](float v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); };

    // What never changes: every element, no head. Chroma is the mean of each 2x2 block.
    FramePtr frame = make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    auto still = [&](int x, int y, int plane) {
        const std::size_t i = std::size_t(y) * w + x;
        const std::vector<float>& b = plane == 0 ? below.y : plane == 1 ? below.u : below.v;
        if (!has_above) return b[i];
        const std::vector<float>& a = plane == 0 ? above.y : plane == 1 ? above.u : above.v;
        return b[i] + (a[i] - b[i]) * above.a[i];
    };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) frame->data[0][y * frame->linesize[0] + x] = to_byte(still(x, y, 0));
    for (int y = 0; y < h / 2; ++y)
        for (int x = 0; x < w / 2; ++x)
            for (int plane = 1; plane <= 2; ++plane) {
                float sum = still(2 * x, 2 * y, plane) + still(2 * x + 1, 2 * y, plane) +
                            still(2 * x, 2 * y + 1, plane) + still(2 * x + 1, 2 * y + 1, plane);
                frame->data[plane][y * frame->linesize[plane] + x] = to_byte(sum / 4);
            }

    // What the head changes: its bounding box, on whole chroma blocks, inside the picture.
    Face face(layout.avatar);
    const PixelRect box = face.bounds();
    const int x0 = std::clamp(box.x & ~1, 0, w), x1 = std::clamp((box.x + box.width + 1) & ~1, 0, w);
    const int y0 = std::clamp(box.y & ~1, 0, h), y1 = std::clamp((box.y + box.height + 1) & ~1, 0, h);
    const int rw = std::max(0, x1 - x0);
    std::vector<float> u_rows(std::size_t(rw) * 2), v_rows(std::size_t(rw) * 2);  // two rows of 4:4:4 chroma

    for (std::size_t f = 0; f < loud.size(); ++f) {
        face.set_loudness(loud[f]);
        check_av(av_frame_make_writable(frame.get()), "av_frame_make_writable (sandbox)");
        for (int y = y0; y < y1; ++y) {
            uint8_t* luma = frame->data[0] + y * frame->linesize[0];
            float* u_row = u_rows.data() + std::size_t(y & 1) * rw;
            float* v_row = v_rows.data() + std::size_t(y & 1) * rw;
            for (int x = x0; x < x1; ++x) {
                const std::size_t i = std::size_t(y) * w + x;
                float py = below.y[i], pu = below.u[i], pv = below.v[i];
                const float head = face.alpha(x, y);
                if (head > 0.0f) {
                    const auto c = face.colour(x, y);
                    py += (c[0] - py) * head;
                    pu += (c[1] - pu) * head;
                    pv += (c[2] - pv) * head;
                }
                if (has_above) {
                    const float a = above.a[i];
                    py += (above.y[i] - py) * a;
                    pu += (above.u[i] - pu) * a;
                    pv += (above.v[i] - pv) * a;
                }
                luma[x] = to_byte(py);
                u_row[x - x0] = pu;
                v_row[x - x0] = pv;
            }
            if (y & 1) {
                uint8_t* u = frame->data[1] + (y / 2) * frame->linesize[1];
                uint8_t* v = frame->data[2] + (y / 2) * frame->linesize[2];
                for (int x = 0; x < rw; x += 2) {
                    u[(x0 + x) / 2] = to_byte((u_rows[x] + u_rows[x + 1] + u_rows[rw + x] + u_rows[rw + x + 1]) / 4);
                    v[(x0 + x) / 2] = to_byte((v_rows[x] + v_rows[x + 1] + v_rows[rw + x] + v_rows[rw + x + 1]) / 4);
                }
            }
        }
        frame->pts = static_cast<std::int64_t>(f);
        video.write_video(frame.get());
    }
    write_audio(video, audio, loud.size(), fps);
    video.finish();
}

}  // namespace avpost::sandbox
