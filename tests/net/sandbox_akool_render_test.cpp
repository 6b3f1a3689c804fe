// The sandbox renders an Akool create request as Akool does: the elements in order on the
// request's canvas (colour and image backdrops, the avatar where its element puts it, scaled,
// elements over the avatar), scaled down to the render size, H.264 yuv420p BT.709 with audio.
#include <gtest/gtest.h>

#include <cmath>

#include "avpost/net/akool_client.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/sandbox/akool_scene.hpp"
#include "avpost/sandbox/sandbox_server.hpp"
#include "net_test_support.hpp"

using namespace avpost;
using namespace avpost::net;
namespace fs = std::filesystem;

namespace {

struct Yuv {
    double y, u, v;
};

// Limited-range BT.709 of an sRGB colour (what the render is tagged with).
Yuv bt709(int r, int g, int b) {
    const double kr = 0.2126, kb = 0.0722, kg = 1 - kr - kb;
    const double R = r / 255.0, G = g / 255.0, B = b / 255.0, luma = kr * R + kg * G + kb * B;
    return {16 + 219 * luma, 128 + 224 * (B - luma) / (2 * (1 - kb)), 128 + 224 * (R - luma) / (2 * (1 - kr))};
}

// The first frame of an H.264 file as raw yuv420p, with a 3x3 mean around a pixel.
struct Picture {
    int width = 0, height = 0;
    std::string bytes;
    Yuv at(int x, int y) const {
        Yuv sum{0, 0, 0};
        for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
                const int px = x + dx, py = y + dy;
                const std::size_t luma = std::size_t(py) * width + px;
                const std::size_t chroma = std::size_t(py / 2) * (width / 2) + px / 2;
                sum.y += static_cast<unsigned char>(bytes[luma]);
                sum.u += static_cast<unsigned char>(bytes[std::size_t(width) * height + chroma]);
                sum.v += static_cast<unsigned char>(bytes[std::size_t(width) * height * 5 / 4 + chroma]);
            }
        return {sum.y / 9, sum.u / 9, sum.v / 9};
    }
};

Picture first_frame(const fs::path& video, int width, int height) {
    auto raw = avpost::test::run(std::string(FFMPEG_EXECUTABLE) + " -v error -i " + video.string() +
                                 " -frames:v 1 -f rawvideo -pix_fmt yuv420p -");
    EXPECT_EQ(raw.exit_code, 0) << raw.err;
    EXPECT_EQ(raw.out.size(), std::size_t(width) * height * 3 / 2);
    return {width, height, raw.out};
}

::testing::AssertionResult near(const Yuv& got, const Yuv& want, double tolerance) {
    if (std::abs(got.y - want.y) <= tolerance && std::abs(got.u - want.u) <= tolerance &&
        std::abs(got.v - want.v) <= tolerance)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got YUV " << got.y << "," << got.u << "," << got.v << ", want " << want.y
                                         << "," << want.u << "," << want.v;
}

akool::Element element(const std::string& type, double x, double y, std::optional<double> w, std::optional<double> h,
                       double scale = 1) {
    akool::Element e;
    e.type = type;
    e.offset_x = x;
    e.offset_y = y;
    e.width = w;
    e.height = h;
    e.scale_x = e.scale_y = scale;
    return e;
}

class SandboxAkoolRender : public ::testing::Test {
protected:
    void SetUp() override { dir = avpost::test::make_temp_dir("akool-render"); }
    void TearDown() override { fs::remove_all(dir); }

    // Renders `request` with a sandbox of these options and downloads the video.
    fs::path render(sandbox::SandboxOptions options, akool::TalkingAvatarRequest request,
                    const std::function<void(sandbox::SandboxServer&, akool::TalkingAvatarRequest&)>& prepare = {}) {
        sandbox::SandboxServer server(options);
        server.start();
        if (prepare) prepare(server, request);
        akool::ClientOptions co;
        co.base_url = server.base_url();
        co.credentials.api_key = options.akool_client_secret;
        co.http = avpost::test::fast_http_options();
        akool::Client client(co);
        auto created = client.create_talking_avatar(request);
        WaitOptions w;
        w.timeout = std::chrono::seconds(120);
        w.initial_interval = std::chrono::milliseconds(100);
        JobStatus done = wait_for_job([&] { return to_job_status(client.video_info(created.id)); }, w);
        EXPECT_EQ(done.state, JobState::finished);
        HttpClient http(avpost::test::fast_http_options());
        const fs::path video = dir / (created.id + ".mp4");
        Downloader(http).download(done.video_url, video);
        return video;
    }

    static akool::TalkingAvatarRequest request(std::vector<akool::Element> elements) {
        akool::TalkingAvatarRequest r;
        r.avatar_from = 2;
        akool::Element audio;
        audio.type = "audio";
        audio.input_text = "Hello there";
        audio.voice_id = "6889b628662160e2caad5dbc";
        elements.push_back(audio);
        r.elements = std::move(elements);
        return r;
    }

    static akool::Element avatar(double x, double y, std::optional<double> w, std::optional<double> h, double scale = 1) {
        akool::Element e = element("avatar", x, y, w, h, scale);
        e.avatar_id = "Yasmin_in_White_shirt_20231121";
        return e;
    }

    std::string probe(const fs::path& video, const std::string& entries, const std::string& stream = "v:0") {
        return avpost::test::run(std::string(FFPROBE_EXECUTABLE) + " -v error -select_streams " + stream +
                                 " -show_entries stream=" + entries + " -of csv=p=0 " + video.string())
            .out;
    }

    fs::path dir;
};

}  // namespace

TEST(SandboxAkoolScene, RenderSizeIsTheCanvasScaledDownToFitOrTheCanvasItself) {
    auto size = sandbox::fit_render_size(3840, 2160, 640, 360);
    EXPECT_EQ(size.width, 640);
    EXPECT_EQ(size.height, 360);
    size = sandbox::fit_render_size(3840, 2160, 640, 640);
    EXPECT_EQ(size.width, 640);
    EXPECT_EQ(size.height, 360);
    size = sandbox::fit_render_size(3840, 2160, 0, 0);
    EXPECT_EQ(size.width, 3840);
    EXPECT_EQ(size.height, 2160);
    size = sandbox::fit_render_size(320, 180, 640, 360);  // never up
    EXPECT_EQ(size.width, 320);
    EXPECT_EQ(size.height, 180);
}

// Colour backdrop, a served image, the avatar on the right half (its size given as half of it
// times scale 2), and a colour bar over the avatar's chin: each where the request puts it.
TEST_F(SandboxAkoolRender, DrawsTheElementsInOrderWhereTheRequestPutsThem) {
    ASSERT_EQ(avpost::test::run(std::string(FFMPEG_EXECUTABLE) + " -v error -f lavfi -i color=c=0x2040C0:s=64x64 " +
                                "-frames:v 1 -pix_fmt rgb24 " + (dir / "panel.png").string())
                  .exit_code,
              0);
    akool::Element backdrop = element("image", 0, 0, std::nullopt, std::nullopt);  // a colour fills the canvas
    backdrop.url = "#00B140";
    akool::Element panel = element("image", 240, 240, 480, 480);
    akool::Element bar = element("image", 0, 1944, 3840, 216);
    bar.url = "#FCA311";
    auto r = request({backdrop, panel, avatar(1920, 0, 960, 1080, 2), bar});
    const fs::path video = render(avpost::test::fast_sandbox_options(), r, [&](sandbox::SandboxServer& server, auto& req) {
        server.put_file("panel.png", avpost::test::slurp(dir / "panel.png"), "image/png");
        req.elements[1].url = server.sign_link("panel.png", 600);
    });

    EXPECT_EQ(probe(video, "codec_name,pix_fmt,width,height,color_space"), "h264,640,360,yuv420p,bt709\n");
    EXPECT_EQ(probe(video, "codec_type", "a:0"), "audio\n");
    const Picture p = first_frame(video, 640, 360);
    const Yuv green = bt709(0x00, 0xB1, 0x40), blue = bt709(0x20, 0x40, 0xC0), orange = bt709(0xFC, 0xA3, 0x11);
    EXPECT_TRUE(near(p.at(10, 10), green, 4)) << "top-left: the colour backdrop";
    EXPECT_TRUE(near(p.at(200, 300), green, 4)) << "left half: the colour backdrop";
    EXPECT_TRUE(near(p.at(340, 20), green, 4)) << "inside the avatar's rectangle, off the face: the backdrop shows";
    EXPECT_TRUE(near(p.at(80, 80), blue, 4)) << "the image at (240,240) canvas px, 480x480: (40..120) render px";
    EXPECT_TRUE(near(p.at(130, 80), green, 4)) << "right of the image";
    EXPECT_TRUE(near(p.at(450, 180), {170, 110, 150}, 6)) << "the face: the avatar's rectangle is x 320..640";
    EXPECT_TRUE(near(p.at(200, 180), green, 4)) << "no face on the left half";
    EXPECT_TRUE(near(p.at(480, 328), orange, 6)) << "the bar is drawn over the avatar's chin";
    EXPECT_TRUE(near(p.at(100, 340), orange, 4)) << "the bar spans the canvas";
}

// No width/height: the avatar takes the canvas's size; an image the sandbox cannot get (not
// its own, not on this machine) is a grey placeholder, never an internet download.
TEST_F(SandboxAkoolRender, DefaultSizesAndOfflinePlaceholders) {
    akool::Element remote = element("image", 0, 0, 3840, 2160);
    remote.url = "https://example.invalid/background.png";
    auto r = request({remote, avatar(0, 0, std::nullopt, std::nullopt)});
    const fs::path video = render(avpost::test::fast_sandbox_options(), r);
    const Picture p = first_frame(video, 640, 360);
    EXPECT_TRUE(near(p.at(10, 10), bt709(128, 128, 128), 4)) << "the placeholder";
    EXPECT_TRUE(near(p.at(320 - 30, 180), {170, 110, 150}, 6)) << "the face, centred on the canvas";
}

// The render size is a sandbox option: the canvas scaled to fit it (0x0: the request's own size).
TEST_F(SandboxAkoolRender, TheRenderSizeFollowsTheSandboxOption) {
    auto options = avpost::test::fast_sandbox_options();
    options.akool_render_max_width = 1000;
    options.akool_render_max_height = 1000;
    akool::Element backdrop = element("image", 0, 0, std::nullopt, std::nullopt);
    backdrop.url = "#0000FF";
    const fs::path video = render(options, request({backdrop, avatar(0, 0, std::nullopt, std::nullopt)}));
    EXPECT_EQ(probe(video, "width,height"), "1000,562\n");
}
