// Issue 14, Akool end to end: the shipped example job (examples/jobs/sandbox-akool.json) renders
// with the Akool sandbox on green, keys it, composites it into a scene over the brand background
// with a video panel, delivers web + webm-alpha + poster and archives; `deliver` without a
// composite delivers the render as it is, for every source.
#include <cmath>
#include <regex>
#include <set>

#include "../archive/sync_test_support.hpp"
#include "avpost/archive/sqlite_catalog.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

const fs::path examples_dir = fs::path(AVPOST_TEST_MEDIA_DIR).parent_path().parent_path() / "examples";

struct Rgb {
    double r, g, b;
};

// Frame `index` of a picture or video as rgb24 (what a viewer shows), and the mean of an 8x8
// block at (x, y).
struct RgbPicture {
    int width = 0, height = 0;
    std::string bytes;
    Rgb block(int x, int y) const {
        Rgb sum{0, 0, 0};
        for (int dy = 0; dy < 8; ++dy)
            for (int dx = 0; dx < 8; ++dx) {
                const std::size_t i = (std::size_t(y + dy) * width + (x + dx)) * 3;
                sum.r += static_cast<unsigned char>(bytes[i]);
                sum.g += static_cast<unsigned char>(bytes[i + 1]);
                sum.b += static_cast<unsigned char>(bytes[i + 2]);
            }
        return {sum.r / 64, sum.g / 64, sum.b / 64};
    }
};

RgbPicture decode_rgb(const fs::path& file, int width, int height, int index = 0) {
    auto raw = run(std::string(FFMPEG_EXECUTABLE) + " -v error -i " + shell_quote(file.string()) +
                   " -vf " + shell_quote("select=eq(n\\," + std::to_string(index) + ")") +
                   " -frames:v 1 -f rawvideo -pix_fmt rgb24 -");
    EXPECT_EQ(raw.exit_code, 0) << raw.err;
    EXPECT_EQ(raw.out.size(), std::size_t(width) * height * 3) << file;
    return {width, height, raw.out};
}

double distance(const Rgb& a, const Rgb& b) {
    return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

// How much greener than its other channels a colour is (#00B140: 113).
double greenness(const Rgb& c) { return c.g - std::max(c.r, c.b); }

std::string probe(const fs::path& file, const std::string& entries) {
    return run(std::string(FFPROBE_EXECUTABLE) + " -v error -select_streams v:0 -show_entries " + entries +
               " -of csv=p=0 " + shell_quote(file.string()))
        .out;
}

class AkoolJob : public ::testing::Test {
protected:
    void SetUp() override {
        server = start_sandbox_for_cli(quick_sandbox());
        dir = make_temp_dir("akool-job");
    }
    void TearDown() override {
        if (server) server->stop();
        fs::remove_all(dir);
    }

    CommandResult run_job(const fs::path& file) {
        return run(shell_quote(AVPOST_BINARY) + " run --json --output-root " + shell_quote((dir / "out").string()) + " " +
                   shell_quote(file.string()));
    }
    fs::path write_job(const json& job) {
        fs::path p = dir / (job["name"].get<std::string>() + ".json");
        std::ofstream(p) << job.dump(2);
        return p;
    }
    int akool_creates() { return server->stats().requests["/api/open/v3/talkingavatar/create"]; }

    static std::map<std::string, std::string> stage_statuses(const json& job) {
        std::map<std::string, std::string> m;
        for (const json& s : job["stages"]) m[s["name"]] = s["status"];
        return m;
    }
    static std::map<std::string, fs::path> outputs_by_kind(const json& job) {
        std::map<std::string, fs::path> m;
        for (const json& o : job["outputs"])
            m[!o["preset"].is_null() ? o["preset"].get<std::string>() : o["kind"].get<std::string>()] =
                o["path"].get<std::string>();
        return m;
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path dir;
};

json akool_request() {
    return {{"width", 3840},
            {"height", 2160},
            {"avatar_from", 2},
            {"elements",
             {{{"type", "avatar"}, {"avatar_id", "Yasmin_in_White_shirt_20231121"}, {"offset_x", 0}, {"offset_y", 0},
               {"scale_x", 1}, {"scale_y", 1}},
              {{"type", "audio"}, {"input_text", "Hi"}, {"voice_id", "6889b628662160e2caad5dbc"}}}}};
}

}  // namespace

TEST_F(AkoolJob, TheShippedExampleRendersOnGreenKeysCompositesDeliversAndArchives) {
    const fs::path example = examples_dir / "jobs" / "sandbox-akool.json";
    ASSERT_TRUE(fs::is_regular_file(example)) << example;
    auto r = run_job(example);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    json job = json::parse(r.out)["jobs"][0];
    EXPECT_EQ(job["vendor"], "akool");
    EXPECT_EQ(stage_statuses(job), (std::map<std::string, std::string>{
                                       {"render", "ran"}, {"wait", "ran"}, {"fetch", "ran"}, {"compose", "ran"}, {"archive", "ran"}}));
    EXPECT_NE(job["stages"][0]["detail"].get<std::string>().find("#00B140 backdrop added for the key"), std::string::npos)
        << job["stages"][0].dump();
    EXPECT_EQ(akool_creates(), 1);

    // Every output exists, is what its name says, and decodes.
    auto out = outputs_by_kind(job);
    for (const char* kind : {"avatar", "web", "webm-alpha", "poster"}) {
        ASSERT_TRUE(out.count(kind)) << kind << " missing in " << job["outputs"].dump();
        ASSERT_TRUE(fs::is_regular_file(out[kind])) << out[kind];
        auto decode = run(std::string(FFMPEG_EXECUTABLE) + " -v error -i " + shell_quote(out[kind].string()) + " -f null -");
        EXPECT_EQ(decode.exit_code, 0) << kind << ": " << decode.err;
        EXPECT_EQ(decode.err, "") << kind;
    }
    EXPECT_EQ(out.count("mask"), 0u) << "Akool sends no matte";
    EXPECT_EQ(out.count("composite"), 0u) << "the web delivery is the composite: no second H.264 file";
    EXPECT_EQ(probe(out["avatar"], "stream=codec_name,width,height,pix_fmt"), "h264,640,360,yuv420p\n");
    EXPECT_EQ(probe(out["web"], "stream=codec_name,width,height,pix_fmt"), "h264,960,540,yuv420p\n");
    EXPECT_EQ(probe(out["webm-alpha"], "stream=codec_name:stream_tags=alpha_mode"), "vp9,1\n");
    EXPECT_EQ(probe(out["poster"], "stream=codec_name,width,height"), "mjpeg,960,540\n");

    // The request sent (as the catalog keeps it) had the green backdrop added under the avatar.
    {
        archive::SqliteCatalog catalog(archive::Catalog::file_in(dir / "out" / "sandbox-akool" / "archive"));
        auto record = catalog.find_job("akool", job["vendor_job_id"].get<std::string>());
        ASSERT_TRUE(record.has_value());
        EXPECT_EQ(record->request["elements"][0]["url"], "#00B140") << record->request.dump();
        EXPECT_EQ(record->request["elements"][1]["type"], "avatar");
        std::multiset<std::string> archived;
        for (const auto& row : catalog.list()) {
            archived.insert(row.asset.kind);
            EXPECT_EQ(row.asset.state, archive::AssetState::verified) << row.asset.name;
        }
        EXPECT_EQ(archived, (std::multiset<std::string>{"avatar", "delivery", "delivery", "delivery"}));
    }

    // The render's corners are the green backdrop; the composite's corners (the web delivery; the right ones lie
    // inside the avatar layer, offset 200, 960x540) show the brand background, not green.
    const RgbPicture render = decode_rgb(out["avatar"], 640, 360, 5);
    const Rgb green{0x00, 0xB1, 0x40};
    EXPECT_LT(distance(render.block(2, 2), green), 12);
    EXPECT_LT(distance(render.block(630, 350), green), 12);
    // The example is a programme: the brand intro (1.6 s, 40 frames at the render's 25 fps) fades
    // through white (0.3 s, 8 frames) into the composite, which starts at frame 32; its frame 10
    // (the web delivery's 42) is past the transition and before the outro's.
    constexpr int segment_frame = 32 + 10;
    // Intro 40 + render 25 + outro 40 frames, less the two 8-frame transitions.
    EXPECT_EQ(probe(out["web"], "stream=nb_frames"), "89\n");
    const RgbPicture composite = decode_rgb(out["web"], 960, 540, segment_frame);
    const RgbPicture brand = decode_rgb(examples_dir / "brand" / "background.png", 960, 540);
    for (auto [x, y] : {std::pair{2, 2}, {950, 2}, {2, 530}, {950, 530}, {600, 20}, {950, 300}}) {
        const Rgb got = composite.block(x, y), want = brand.block(x, y);
        EXPECT_LT(distance(got, want), 14) << "at " << x << "," << y << ": " << got.r << "," << got.g << "," << got.b
                                           << " vs the brand background's " << want.r << "," << want.g << "," << want.b;
        EXPECT_LT(greenness(got), greenness(want) + 10) << "green shows at " << x << "," << y;
    }
    // The face is there, over the brand background.
    EXPECT_GT(distance(composite.block(676, 266), brand.block(676, 266)), 40);

    // webm-alpha: transparent where the backdrop was keyed out, opaque on the face.
    auto alpha = run(std::string(FFMPEG_EXECUTABLE) + " -v error -c:v libvpx-vp9 -i " + shell_quote(out["webm-alpha"].string()) +
                     " -vf " + shell_quote("select=eq(n\\," + std::to_string(segment_frame) + "),alphaextract") +
                     " -frames:v 1 -f rawvideo -pix_fmt gray -");
    ASSERT_EQ(alpha.exit_code, 0) << alpha.err;
    ASSERT_EQ(alpha.out.size(), 960u * 540u);
    auto alpha_at = [&](int x, int y) { return static_cast<unsigned char>(alpha.out[std::size_t(y) * 960 + x]); };
    EXPECT_LE(alpha_at(950, 10), 8);
    EXPECT_LE(alpha_at(300, 300), 8);
    EXPECT_GE(alpha_at(680, 270), 247);

    // Again: nothing is rendered, fetched or encoded a second time.
    auto again = run_job(example);
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    for (const auto& [stage, status] : stage_statuses(json::parse(again.out)["jobs"][0])) EXPECT_EQ(status, "skipped") << stage;
    EXPECT_EQ(akool_creates(), 1);
}

// Issue 14: `deliver` without `composite` delivers the render as it is, for every source; the
// matte is used for alpha presets where the vendor sends one.
TEST_F(AkoolJob, DeliverWithoutACompositeTranscodesTheRenderOfEverySource) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    const std::vector<std::pair<json, std::vector<std::string>>> cases = {
        {{{"akool", akool_request()}}, {"web", "poster"}},
        {{{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}, {"web", "webm-alpha"}},
        {{{"local", {{"video", (media / "avatar.mp4").string()}}}}, {"web", "preview"}},
    };
    int n = 0;
    for (const auto& [source, presets] : cases) {
        const std::string name = "plain" + std::to_string(++n);
        json job = {{"name", name},
                    {"source", source},
                    {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 120}}},
                    {"deliver", {{"presets", presets}}}};
        auto r = run_job(write_job(job));
        ASSERT_EQ(r.exit_code, 0) << source.dump() << "\n" << r.err << r.out;
        json report = json::parse(r.out)["jobs"][0];
        EXPECT_EQ(stage_statuses(report)["compose"], "ran") << source.dump();
        auto out = outputs_by_kind(report);
        EXPECT_EQ(out.count("composite"), 0u) << "no composite was asked for: " << report["outputs"].dump();
        for (const std::string& preset : presets) {
            ASSERT_TRUE(out.count(preset)) << preset << " of " << source.dump();
            EXPECT_TRUE(fs::is_regular_file(out[preset]));
        }
        // The web delivery is the render itself: same size as what was fetched (or given).
        const fs::path render = out.count("avatar") ? out["avatar"] : media / "avatar.mp4";
        EXPECT_EQ(probe(out["web"], "stream=width,height"), probe(render, "stream=width,height")) << source.dump();
        if (out.count("webm-alpha")) {
            EXPECT_EQ(probe(out["webm-alpha"], "stream=codec_name:stream_tags=alpha_mode"), "vp9,1\n");
        }
    }
}

// Alpha deliveries of a render without a matte (Akool, a local video without a mask) and no key
// to pull one: a job-file error naming the preset, before any vendor call.
TEST_F(AkoolJob, AlphaDeliveriesWithoutAMatteOrKeyAreRefusedBeforeAnyVendorCall) {
    json job = {{"name", "alpha"}, {"source", {{"akool", akool_request()}}}, {"deliver", {{"presets", {"web", "webm-alpha", "prores-alpha"}}}}};
    fs::path file = write_job(job);
    auto r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                 shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    for (const std::string& line :
         {"avpost: error: " + file.string() + ": deliver.presets[1]: webm-alpha needs the render's matte, and an Akool "
                                              "render comes without one: key it in a composite (composite.key)",
          "avpost: error: " + file.string() + ": deliver.presets[2]: prores-alpha needs the render's matte"})
        EXPECT_NE(r.err.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << r.err;
    EXPECT_EQ(akool_creates(), 0);
    EXPECT_FALSE(fs::exists(dir / "out" / "alpha"));

    job["source"] = {{"local", {{"video", (fs::path(AVPOST_TEST_MEDIA_DIR) / "avatar.mp4").string()}}}};
    job["deliver"]["presets"] = {"webm-alpha"};
    r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
            shell_quote(write_job(job).string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("deliver.presets[0]: webm-alpha needs the render's matte, and source.local has no mask"),
              std::string::npos)
        << r.err;

    // With a key there is a matte: the same render keyed onto transparency delivers webm-alpha.
    job["composite"] = {{"key", "auto"}, {"background", "transparent"}, {"output", nullptr}};
    r = run_job(write_job(job));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(probe(outputs_by_kind(json::parse(r.out)["jobs"][0])["webm-alpha"], "stream=codec_name:stream_tags=alpha_mode"),
              "vp9,1\n");
}

// A keyed composite reads no matte, but its background is still an input: an output that would
// replace it is refused before the render is paid for.
TEST_F(AkoolJob, AKeyedJobWhoseDeliveryWouldReplaceItsBackgroundIsRefused) {
    fs::create_directories(dir / "work");
    fs::copy_file(fs::path(AVPOST_TEST_MEDIA_DIR) / "background.mp4", dir / "work" / "clip.mp4");
    const std::string original = sha256_file(dir / "work" / "clip.mp4").sha256;
    json job = {{"name", "clip"},
                {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}},
                {"composite", {{"key", "auto"}, {"background", "work/clip.mp4"}}},
                {"deliver", {{"presets", {"web"}}}},
                {"output", "work"}};
    fs::path file = write_job(job);
    auto r = run(shell_quote(AVPOST_BINARY) + " run " + shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("web output '" + (dir / "work" / "clip.mp4").string() + "' is the input background"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(server->stats().requests["/v1/a2v/video.generate"], 0);
    EXPECT_EQ(sha256_file(dir / "work" / "clip.mp4").sha256, original);
}

// `run --webhook-listen`: an Akool job's wait takes the render's verified callback and polls at
// once, polls being only the fallback (15 s apart), so the callback is what ends the wait; the
// terminal (here -v) says which is in use. A2V jobs of the same run poll and say so.
TEST_F(AkoolJob, TheWaitStageWakesOnTheVerifiedWebhookWhenListening) {
    // A render that stays queued for a while, so the wait's first poll sees it unfinished.
    server->stop();
    sandbox::SandboxOptions slow = quick_sandbox();
    slow.queue_seconds = 2;
    server = start_sandbox_for_cli(slow);
    const auto& o = server->options();
    const int port = free_loopback_port();
    const std::string where = "127.0.0.1:" + std::to_string(port);
    json request = akool_request();
    request["webhookUrl"] = "http://" + where + "/akool?token=hook-secret";
    json job = {{"name", "hooked"},
                {"source", {{"akool", request}}},
                {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 120}}}};
    fs::path file = write_job(job);
    json a2v = {{"name", "polled"},
                {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}},
                {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 120}}}};
    fs::path a2v_file = write_job(a2v);
    const std::string creds = "AKOOL_CLIENT_ID=" + shell_quote(o.akool_client_id) +
                              " AKOOL_CLIENT_SECRET=" + shell_quote(o.akool_client_secret);
    auto r = run("env " + creds + " " + shell_quote(AVPOST_BINARY) + " -v run --output-root " +
                 shell_quote((dir / "out").string()) + " --webhook-listen " + where + " " + shell_quote(file.string()) +
                 " " + shell_quote(a2v_file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("hooked: akool job [^:]+: waiting on its webhook at " + where +
                                                    "; polling every 15 s or more as the fallback")))
        << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("hooked: akool job [^:]+: the webhook says status 3, polling now"))) << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("polled: a2v job [^:]+: polling \\(A2V sends no webhooks\\)"))) << r.err;
    EXPECT_EQ(r.err.find("hook-secret"), std::string::npos) << "the webhook URL's query stays secret";
    EXPECT_GE(server->stats().webhook_delivered, 1);

    // Without --webhook-listen the job polls and says where Akool will call.
    auto polled = run(shell_quote(AVPOST_BINARY) + " -v run --force --output-root " + shell_quote((dir / "out").string()) +
                      " " + shell_quote(file.string()));
    ASSERT_EQ(polled.exit_code, 0) << polled.err;
    EXPECT_NE(polled.err.find("polling; Akool will also call the request's webhookUrl"), std::string::npos) << polled.err;

    // A port that is not a port is a usage error before anything runs.
    auto bad = run("env " + creds + " " + shell_quote(AVPOST_BINARY) + " run --webhook-listen 70000 " + shell_quote(file.string()));
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
}
