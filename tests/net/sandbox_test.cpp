// The sandbox itself: the rendered talking head follows the audio, webhooks arrive signed and
// encrypted and are retried until a 200, control endpoints, slow responses.
#include <gtest/gtest.h>

#include "avpost/net/a2v_client.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/net/akool_webhook.hpp"
#include "avpost/net/akool_webhook_endpoint.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/sandbox/sandbox_server.hpp"
#include "avpost/sandbox/talking_head.hpp"
#include "net_test_support.hpp"

using namespace avpost;
using namespace avpost::net;
namespace fs = std::filesystem;

TEST(NetTalkingHead, MouthOpensWithLoudness) {
    // One second of silence, then one second of voice.
    sandbox::AudioTrack audio = sandbox::make_voice_like_track(2.0, 16000, 3);
    std::fill(audio.samples.begin(), audio.samples.begin() + 16000, 0.0f);
    auto loud = sandbox::loudness_per_frame(audio, 25);
    ASSERT_EQ(loud.size(), 50u);
    double quiet_max = *std::max_element(loud.begin(), loud.begin() + 25);
    double voiced_max = *std::max_element(loud.begin() + 25, loud.end());
    EXPECT_EQ(quiet_max, 0.0);
    EXPECT_EQ(voiced_max, 1.0);

    auto dir = avpost::test::make_temp_dir("head");
    sandbox::TalkingHeadSettings s{160, 96, 25};
    sandbox::render_talking_head(audio, s, dir / "head.mp4", dir / "mask.mp4");
    verify_decodable_video(dir / "head.mp4");
    verify_decodable_video(dir / "mask.mp4");

    // Count dark (mouth) luma pixels in the mouth box, per frame, from the decoded video.
    auto raw = avpost::test::run(std::string(FFMPEG_EXECUTABLE) + " -v error -i " + (dir / "head.mp4").string() +
                                 " -f rawvideo -pix_fmt gray -");
    ASSERT_EQ(raw.exit_code, 0) << raw.err;
    const std::size_t frame_size = 160 * 96;
    ASSERT_GE(raw.out.size() / frame_size, 48u);
    auto box = sandbox::mouth_box(160, 96);
    auto dark_in = [&](std::size_t f) {
        int n = 0;
        for (int y = box.y0; y < box.y1; ++y)
            for (int x = box.x0; x < box.x1; ++x)
                if (static_cast<unsigned char>(raw.out[f * frame_size + y * 160 + x]) < 90) ++n;
        return n;
    };
    int silent = 0, voiced = 0;
    for (std::size_t f = 2; f < 23; ++f) silent = std::max(silent, dark_in(f));
    for (std::size_t f = 27; f < 48; ++f) voiced = std::max(voiced, dark_in(f));
    EXPECT_GT(voiced, silent * 3 + 10) << "silent " << silent << " voiced " << voiced;

    // The audio track made it into the file.
    auto probe = avpost::test::run(std::string(FFPROBE_EXECUTABLE) + " -v error -show_entries stream=codec_type -of csv=p=0 " +
                                   (dir / "head.mp4").string());
    EXPECT_NE(probe.out.find("audio"), std::string::npos);
    fs::remove_all(dir);
}

TEST(NetTalkingHead, RendersTheGivenAudioWhenTheSandboxCanFetchIt) {
    auto dir = avpost::test::make_temp_dir("audio");
    // A 2.4 s tone as WAV (the generated fallback voice lasts 1 s in these tests).
    auto gen = avpost::test::run(std::string(FFMPEG_EXECUTABLE) + " -v error -f lavfi -i sine=frequency=300:duration=2.4 " +
                                 (dir / "tone.wav").string());
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto track = sandbox::decode_audio_file(dir / "tone.wav", 60);
    EXPECT_NEAR(track.seconds(), 2.4, 0.05);

    // End to end: the sandbox downloads the audio_url of a generate call and renders to its length.
    sandbox::SandboxServer server(avpost::test::fast_sandbox_options());
    server.start();
    server.put_file("tone.wav", avpost::test::slurp(dir / "tone.wav"), "audio/wav");
    a2v::ClientOptions o;
    o.base_url = server.base_url();
    o.token = server.options().a2v_token;
    o.http = avpost::test::fast_http_options();
    a2v::Client client(o);
    auto v = client.generate("pose-kai-front", server.sign_link("tone.wav", 600));
    WaitOptions w;
    w.timeout = std::chrono::seconds(60);
    w.initial_interval = std::chrono::milliseconds(100);
    JobStatus done = wait_for_job([&] { return to_job_status(client.get(v.video_id)); }, w);
    ASSERT_EQ(done.state, JobState::finished);
    HttpClient http(avpost::test::fast_http_options());
    Downloader(http).download(done.video_url, dir / "render.mp4");
    auto probe = avpost::test::run(std::string(FFPROBE_EXECUTABLE) + " -v error -show_entries format=duration -of csv=p=0 " +
                                   (dir / "render.mp4").string());
    EXPECT_NEAR(std::atof(probe.out.c_str()), 2.4, 0.15) << probe.out;
    fs::remove_all(dir);
}

namespace {
akool::TalkingAvatarRequest request_with_webhook(const std::string& url) {
    akool::TalkingAvatarRequest r;
    akool::Element avatar;
    avatar.type = "avatar";
    avatar.avatar_id = "Yasmin_in_White_shirt_20231121";
    avatar.scale_x = avatar.scale_y = 1;
    avatar.offset_x = avatar.offset_y = 0;
    akool::Element audio;
    audio.type = "audio";
    audio.input_text = "Hello there";
    audio.voice_id = "6889b628662160e2caad5dbc";
    r.avatar_from = 2;
    r.elements = {avatar, audio};
    r.webhook_url = url;
    return r;
}
}  // namespace

TEST(NetSandboxWebhook, DeliversSignedEncryptedCallbacksAndRetriesUntil200) {
    auto options = avpost::test::fast_sandbox_options();
    sandbox::SandboxServer server(options);
    server.start();

    akool::WebhookVerifier verifier({options.akool_client_id, options.akool_client_secret});
    avpost::test::LocalServer receiver;
    std::mutex m;
    std::vector<akool::WebhookEvent> events;
    int calls = 0, rejected = 0;
    receiver.server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(m);
        if (++calls <= 2) {  // the first two deliveries fail
            res.status = 500;
            return;
        }
        try {
            events.push_back(verifier.verify(req.body));
            res.status = 200;
        } catch (const std::exception&) {
            ++rejected;
            res.status = 400;
        }
    });
    receiver.start();

    akool::ClientOptions co;
    co.base_url = server.base_url();
    co.credentials.api_key = options.akool_client_secret;
    co.http = avpost::test::fast_http_options();
    akool::Client client(co);
    auto created = client.create_talking_avatar(request_with_webhook(receiver.url("/hook")));

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(m);
            if (std::any_of(events.begin(), events.end(), [](auto& e) { return e.status == 3; })) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Retried deliveries may overtake each other; the completed one is what matters.
    std::lock_guard lock(m);
    auto done = std::find_if(events.begin(), events.end(), [](auto& e) { return e.status == 3; });
    ASSERT_NE(done, events.end());
    EXPECT_EQ(rejected, 0);
    EXPECT_EQ(done->id, created.id);
    EXPECT_NE(done->url.find("Signature="), std::string::npos);
    EXPECT_GE(calls, 3);
    // The sandbox counts an attempt once the receiver's answer is back.
    for (int i = 0; i < 100 && server.stats().webhook_attempts < calls; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(server.stats().webhook_attempts, calls);
    EXPECT_GE(server.stats().webhook_delivered, 1);
    receiver.stop();
}

TEST(NetSandboxWebhook, EndpointReportsEachEventOnceAndRejectsForgeries) {
    auto options = avpost::test::fast_sandbox_options();
    options.queue_seconds = 0.1;
    sandbox::SandboxServer server(options);
    server.start();
    akool::WebhookVerifier verifier({options.akool_client_id, options.akool_client_secret});
    akool::WebhookEndpointCounters counters;
    std::mutex m;
    std::vector<int> statuses;
    avpost::test::LocalServer receiver;
    receiver.server.Post("/hook", akool::make_webhook_handler(verifier, [&](const akool::WebhookEvent& e) {
        std::lock_guard lock(m);
        statuses.push_back(e.status);
    }, &counters));
    receiver.start();

    akool::ClientOptions co;
    co.base_url = server.base_url();
    co.credentials.api_key = options.akool_client_secret;
    co.http = avpost::test::fast_http_options();
    akool::Client(co).create_talking_avatar(request_with_webhook(receiver.url("/hook")));
    int job_events = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(m);
            if (!statuses.empty() && statuses.back() == 3) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    {
        std::lock_guard lock(m);
        // Queueing, processing, completed, each once and in order (a busy machine may skip 1 or 2).
        ASSERT_FALSE(statuses.empty());
        EXPECT_EQ(statuses.back(), 3);
        EXPECT_TRUE(std::is_sorted(statuses.begin(), statuses.end()));
        EXPECT_EQ(std::adjacent_find(statuses.begin(), statuses.end()), statuses.end());
        job_events = static_cast<int>(statuses.size());
    }
    // A forged delivery and a replay, straight to the endpoint.
    httplib::Client cli("127.0.0.1", receiver.port());
    auto genuine = akool::make_webhook_body({{"_id", "x"}, {"status", 3}}, {options.akool_client_id, options.akool_client_secret},
                                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch()).count(), "9");
    EXPECT_EQ(cli.Post("/hook", genuine.dump(), "application/json")->status, 200);
    EXPECT_EQ(cli.Post("/hook", genuine.dump(), "application/json")->status, 200);  // replay: acknowledged
    auto forged = genuine;
    forged["dataEncrypt"] = akool::webhook_encrypt(R"({"_id":"x","status":4})", {options.akool_client_id, options.akool_client_secret});
    EXPECT_EQ(cli.Post("/hook", forged.dump(), "application/json")->status, 400);
    EXPECT_EQ(counters.accepted, job_events + 1);
    EXPECT_EQ(counters.repeats, 1);
    EXPECT_EQ(counters.rejected, 1);
    receiver.stop();
}

TEST(NetSandboxControl, FaultsOverHttpStatsAndSlowResponses) {
    sandbox::SandboxServer server(avpost::test::fast_sandbox_options());
    server.start();
    httplib::Client cli("127.0.0.1", server.port());
    auto added = cli.Post("/sandbox/faults", R"({"path_prefix":"/v1/a2v/video.list","http_status":500,"count":1})",
                          "application/json");
    ASSERT_TRUE(added);
    EXPECT_EQ(added->status, 200);
    httplib::Headers auth = {{"Authorization", "Bearer " + server.options().a2v_token}};
    auto first = cli.Get("/v1/a2v/video.list", auth);
    EXPECT_EQ(first->status, 500);
    auto second = cli.Get("/v1/a2v/video.list", auth);
    EXPECT_EQ(second->status, 200);
    EXPECT_FALSE(second->get_header_value("X-Ratelimit-Left").empty());

    cli.Post("/sandbox/faults", R"({"path_prefix":"/v1/a2v/avatar.list","delay_ms":400})", "application/json");
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(cli.Get("/v1/a2v/avatar.list", auth)->status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(350));

    auto stats = nlohmann::json::parse(cli.Get("/sandbox/stats")->body);
    EXPECT_EQ(stats["requests"]["/v1/a2v/video.list"], 2);
    EXPECT_EQ(stats["statuses"]["500"], 1);
    EXPECT_EQ(cli.Post("/sandbox/faults", "nonsense", "application/json")->status, 400);

    // A low-speed timeout on the client side turns a stalled answer into a retried network error.
    cli.Post("/sandbox/faults", R"({"path_prefix":"/v1/a2v/video.list","delay_ms":1500})", "application/json");
    auto opts = avpost::test::fast_http_options(2);
    opts.timeouts.total = std::chrono::milliseconds(500);
    HttpClient http(opts);
    HttpRequest req;
    req.url = server.base_url() + "/v1/a2v/video.list";
    req.headers = {{"Authorization", "Bearer " + server.options().a2v_token}};
    EXPECT_EQ(http.send(req).status, 200);
    EXPECT_EQ(http.send(req).attempts, 1);
}
