// Downloads from the sandbox's signed links: complete and decodable, a cut connection resumed
// with Range + If-Range, a changed file restarted, an expired link, error bodies kept out.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "avpost/core/sha256.hpp"
#include "avpost/net/a2v_client.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/sandbox/sandbox_server.hpp"
#include "net_test_support.hpp"
#include "small_disk.hpp"

using namespace avpost;
using namespace avpost::net;
namespace fs = std::filesystem;

class NetDownload : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<sandbox::SandboxServer>(avpost::test::fast_sandbox_options());
        server->start();
        dir = avpost::test::make_temp_dir("download");
        http = std::make_unique<HttpClient>(avpost::test::fast_http_options());
    }
    void TearDown() override { fs::remove_all(dir); }

    // A finished A2V render: (video URL, mask URL).
    std::pair<std::string, std::string> finished_render() {
        a2v::ClientOptions o;
        o.base_url = server->base_url();
        o.token = server->options().a2v_token;
        o.http = avpost::test::fast_http_options();
        a2v::Client c(o);
        auto v = c.generate("pose-lena-standing", "https://x.test/none.wav");
        WaitOptions w;
        w.timeout = std::chrono::seconds(60);
        w.initial_interval = std::chrono::milliseconds(100);
        JobStatus s = wait_for_job([&] { return to_job_status(c.get(v.video_id)); }, w);
        EXPECT_EQ(s.state, JobState::finished);
        return {s.video_url, s.mask_url};
    }

    DownloadOptions verified() {
        DownloadOptions o;
        o.verify = [](const fs::path& p, const std::string&) { verify_decodable_video(p); };
        return o;
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    std::unique_ptr<HttpClient> http;
    fs::path dir;
};

TEST_F(NetDownload, DownloadsVideoAndMaskCompleteAndDecodable) {
    auto [video, mask] = finished_render();
    Downloader d(*http);
    auto r = d.download(video, dir / "video.mp4", verified());
    EXPECT_GT(r.bytes, 1000);
    EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(dir / "video.mp4")), r.bytes);
    EXPECT_FALSE(fs::exists(dir / "video.mp4.part"));
    EXPECT_FALSE(r.etag.empty());
    auto m = d.download(mask, dir / "mask.mp4", verified());
    EXPECT_GT(m.bytes, 100);

    // The matte is grayscale in limited range: 16 outside the head, 235 inside.
    auto probe = avpost::test::run(std::string(FFMPEG_EXECUTABLE) + " -v error -i " + (dir / "mask.mp4").string() +
                                   " -frames:v 1 -f rawvideo -pix_fmt yuv420p -");
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const std::size_t luma_size = 160 * 96;  // the Y plane, untouched by range conversion
    ASSERT_GE(probe.out.size(), luma_size);
    std::vector<int> histogram(256, 0);
    for (unsigned char c : probe.out.substr(0, luma_size)) ++histogram[c];
    int near_black = 0, near_white = 0, outside = 0;
    for (int v = 0; v < 256; ++v) {
        if (v >= 12 && v <= 20) near_black += histogram[v];
        if (v >= 231 && v <= 239) near_white += histogram[v];
        if (v < 16 || v > 235) outside += histogram[v];
    }
    EXPECT_GT(near_black, static_cast<int>(luma_size) / 4);  // background
    EXPECT_GT(near_white, static_cast<int>(luma_size) / 10);  // the head
    EXPECT_LT(outside, static_cast<int>(luma_size) / 50) << "compression overshoot beyond 16..235";
}

TEST_F(NetDownload, ConnectionCutMidwayIsResumedWithRange) {
    auto [video, mask] = finished_render();
    // Reference copy first.
    Downloader d(*http);
    auto full = d.download(video, dir / "reference.mp4", verified());
    sandbox::Fault cut;
    cut.path_prefix = "/files/";
    cut.drop_after_bytes = full.bytes / 3;
    server->add_fault(cut);
    server->reset_stats();
    auto r = d.download(video, dir / "video.mp4", verified());
    EXPECT_EQ(r.bytes, full.bytes);
    EXPECT_GE(r.attempts, 2);
    EXPECT_EQ(r.resumes, 1);
    EXPECT_EQ(r.restarts, 0);
    EXPECT_EQ(avpost::test::slurp(dir / "video.mp4"), avpost::test::slurp(dir / "reference.mp4"));
    EXPECT_EQ(server->stats().statuses[206], 1);
    // The hash taken while streaming covers the bytes of both transfers.
    EXPECT_EQ(r.sha256, full.sha256);
    EXPECT_EQ(r.sha256, avpost::sha256_file(dir / "video.mp4").sha256);
}

TEST_F(NetDownload, PartialFileFromAnotherVersionIsRestarted) {
    auto [video, mask] = finished_render();
    // A leftover .part with an old ETag: If-Range fails, the server sends 200, we start over.
    avpost::test::run("printf 'stale-bytes' > " + (dir / "video.mp4.part").string());
    avpost::test::run("echo '\"old-etag\"' > " + (dir / "video.mp4.part.etag").string());
    Downloader d(*http);
    auto r = d.download(video, dir / "video.mp4", verified());
    EXPECT_EQ(r.restarts, 1);
    EXPECT_EQ(r.resumes, 0);
    EXPECT_NO_THROW(verify_decodable_video(dir / "video.mp4"));
    EXPECT_EQ(r.sha256, avpost::sha256_file(dir / "video.mp4").sha256);  // the stale bytes are not in it
}

TEST_F(NetDownload, AlreadyCompletePartIsFinishedVia416) {
    auto [video, mask] = finished_render();
    Downloader d(*http);
    auto full = d.download(video, dir / "ref.mp4", verified());
    fs::copy_file(dir / "ref.mp4", dir / "video.mp4.part");
    avpost::test::run("echo '" + full.etag + "' > " + (dir / "video.mp4.part.etag").string());
    auto r = d.download(video, dir / "video.mp4", verified());
    EXPECT_EQ(r.bytes, full.bytes);
    EXPECT_EQ(avpost::test::slurp(dir / "video.mp4"), avpost::test::slurp(dir / "ref.mp4"));
    EXPECT_EQ(r.sha256, full.sha256);
}

TEST_F(NetDownload, ExpiredLinkIsTypedAndWritesNothing) {
    finished_render();
    server->put_file("clip.mp4", "0123456789", "video/mp4");
    std::string link = server->sign_link("clip.mp4", 0);  // expires now
    Downloader d(*http);
    try {
        d.download(link, dir / "clip.mp4", verified());
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::link_expired);
        EXPECT_EQ(e.code(), 403);
        std::string signature = link.substr(link.find("Signature=") + 10);
        EXPECT_EQ(std::string(e.what()).find(signature), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("Request has expired"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "clip.mp4"));
    EXPECT_TRUE(!fs::exists(dir / "clip.mp4.part") || fs::file_size(dir / "clip.mp4.part") == 0);
}

TEST_F(NetDownload, LinkExpiresAfterItsTtl) {
    server->put_file("clip.bin", std::string(1000, 'x'), "application/octet-stream");
    // Expiry is in whole epoch seconds: a 2 s link is valid for at least 1 s.
    std::string link = server->sign_link("clip.bin", 2);
    Downloader d(*http);
    EXPECT_EQ(d.download(link, dir / "a.bin").bytes, 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(3100));
    EXPECT_THROW(d.download(link, dir / "b.bin"), ServiceError);
}

TEST_F(NetDownload, ForgedSignatureIs403) {
    server->put_file("clip.bin", "abc", "application/octet-stream");
    std::string link = server->sign_link("clip.bin", 3600);
    link.back() = link.back() == '0' ? '1' : '0';
    Downloader d(*http);
    try {
        d.download(link, dir / "x.bin");
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code(), 403);
    }
}

TEST_F(NetDownload, ServerErrorsAreRetriedAndErrorBodiesNeverWritten) {
    server->put_file("clip.bin", std::string(5000, 'y'), "application/octet-stream");
    sandbox::Fault f;
    f.path_prefix = "/files/clip.bin";
    f.http_status = 503;
    f.count = 2;
    server->add_fault(f);
    Downloader d(*http);  // fast_http_options: 4 attempts, 10 ms backoff
    DownloadOptions o;
    auto r = d.download(server->sign_link("clip.bin", 60), dir / "clip.bin", o);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(avpost::test::slurp(dir / "clip.bin"), std::string(5000, 'y'));

    try {
        d.download(server->sign_link("missing.bin", 60), dir / "missing.bin", o);
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code(), 404);
    }
    EXPECT_FALSE(fs::exists(dir / "missing.bin"));
    EXPECT_FALSE(fs::exists(dir / "missing.bin.part"));
}

// One retry policy: the HttpClient's, the same API calls use (AVPOST_HTTP_MAX_ATTEMPTS sets it).
TEST_F(NetDownload, DownloadsAreRetriedExactlyAsOftenAsTheHttpClientsPolicySays) {
    server->put_file("busy.bin", std::string(3000, 'b'), "application/octet-stream");
    sandbox::Fault f;
    f.path_prefix = "/files/busy.bin";
    f.http_status = 503;
    f.count = -1;
    server->add_fault(f);
    for (int attempts : {1, 3}) {
        server->reset_stats();
        HttpClient client(avpost::test::fast_http_options(attempts));
        try {
            Downloader(client).download(server->sign_link("busy.bin", 60), dir / "busy.bin");
            FAIL() << "a download answered 503 every time succeeded";
        } catch (const ServiceError& e) {
            EXPECT_EQ(e.kind(), ServiceErrorKind::network) << e.what();
        }
        EXPECT_EQ(server->stats().requests["/files/busy.bin"], attempts);
    }
}

TEST_F(NetDownload, UndecodableDownloadIsRejectedAndRemoved) {
    server->put_file("fake.mp4", std::string(4000, 'z'), "video/mp4");
    Downloader d(*http);
    EXPECT_THROW(d.download(server->sign_link("fake.mp4", 60), dir / "fake.mp4", verified()), Error);
    EXPECT_FALSE(fs::exists(dir / "fake.mp4"));
    EXPECT_FALSE(fs::exists(dir / "fake.mp4.part"));
}

TEST_F(NetDownload, RangeAndEtagHeadersFromTheSandbox) {
    server->put_file("r.bin", "0123456789", "application/octet-stream");
    std::string link = server->sign_link("r.bin", 60);
    std::string path = link.substr(link.find("/files/"));
    httplib::Client cli("127.0.0.1", server->port());
    auto full = cli.Get(path.c_str());
    ASSERT_TRUE(full);
    std::string etag = full->get_header_value("ETag");
    EXPECT_FALSE(etag.empty());
    auto part = cli.Get(path.c_str(), {{"Range", "bytes=4-"}, {"If-Range", etag}});
    ASSERT_TRUE(part);
    EXPECT_EQ(part->status, 206);
    EXPECT_EQ(part->body, "456789");
    EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 4-9/10");
    auto changed = cli.Get(path.c_str(), {{"Range", "bytes=4-"}, {"If-Range", "\"other\""}});
    EXPECT_EQ(changed->status, 200);
    EXPECT_EQ(changed->body, "0123456789");
    auto beyond = cli.Get(path.c_str(), {{"Range", "bytes=10-"}});
    EXPECT_EQ(beyond->status, 416);
    EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */10");
    auto not_modified = cli.Get(path.c_str(), {{"If-None-Match", etag}});
    EXPECT_EQ(not_modified->status, 304);
}

TEST_F(NetDownload, EmptyFileAndUnwritableDestination) {
    server->put_file("empty.bin", "", "application/octet-stream");
    Downloader d(*http);
    auto r = d.download(server->sign_link("empty.bin", 60), dir / "empty.bin");
    EXPECT_EQ(r.bytes, 0);
    EXPECT_TRUE(fs::exists(dir / "empty.bin"));
    // The write fails inside libcurl's callback: the error comes out as an exception, not a crash.
    server->put_file("some.bin", "data", "application/octet-stream");
    try {
        d.download(server->sign_link("some.bin", 60), dir / "no-such-dir" / "some.bin");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::system);
    }
}

// A full disk mid-download: the error says so (ENOSPC, system), and neither the partial file nor its
// validator stays behind to hold the space or to mislead a resume elsewhere. With room, it works.
TEST_F(NetDownload, AFullDiskLeavesNoPartialBehind) {
    avpost::test::SmallDisk disk(dir / "small", "64k");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(disk.error()) << ")";
    server->put_file("big.bin", std::string(256 * 1024, 'b'), "application/octet-stream");
    Downloader d(*http);
    const std::string link = server->sign_link("big.bin", 60);
    try {
        d.download(link, disk.dir() / "big.bin");
        FAIL() << "256 KiB written to a 64 KiB disk";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::system) << e.what();
        EXPECT_EQ(e.code(), ENOSPC) << e.what();
    }
    for (const char* name : {"big.bin", "big.bin.part", "big.bin.part.etag"})
        EXPECT_FALSE(fs::exists(disk.dir() / name)) << name;
    server->put_file("small.bin", std::string(16 * 1024, 's'), "application/octet-stream");
    EXPECT_EQ(d.download(server->sign_link("small.bin", 60), disk.dir() / "small.bin").bytes, 16 * 1024);
}
