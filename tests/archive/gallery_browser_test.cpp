// The gallery in a real browser: `avpost serve` (no Akool credentials: gallery alone) on a test
// archive, opened by headless Chromium (driven over the DevTools pipe) with the token once in the
// URL. The test waits in real time until the page's script ran and every poster and video loaded,
// then reads the DOM: the jobs are listed, the poster loaded (the page writes each
// image's naturalWidth into data-natural-width), the player's source is the web MP4 and the
// browser can play it (canPlayType, and the metadata it loaded through Range requests). A
// desktop and a phone-sized screenshot are kept in the build tree as artefacts.
#include "gallery_test_support.hpp"

#include <regex>
#include <tuple>

#include "avpost/net/crypto.hpp"
#include "headless_chromium.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const std::string token = random_gallery_token();

int count(const std::string& text, const std::regex& re) {
    return int(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

}  // namespace

TEST(GalleryBrowser, ChromiumShowsTheJobsWithPostersAndAPlayableVideo) {
    ASSERT_TRUE(fs::exists(CHROMIUM_EXECUTABLE)) << "Debian's chromium is needed: run scripts/setup.sh";
    GalleryArchive a = make_gallery_archive("gallery-browser");
    ::unsetenv("AKOOL_CLIENT_ID");
    ::unsetenv("AKOOL_CLIENT_SECRET");
    ::setenv("AVPOST_GALLERY_TOKEN", token.c_str(), 1);
    Background serve({"serve", "--port", "0", "--archive", a.root.string()}, a.root.parent_path(),
                     a.root.filename().string() + "-serve");
    ::unsetenv("AVPOST_GALLERY_TOKEN");
    std::smatch m;
    std::string out;
    ASSERT_TRUE(eventually([&] {
        out = read_file(serve.out);
        return std::regex_search(out, m, std::regex(R"(gallery: (http://127\.0\.0\.1:\d+/))")) &&
               out.find("akool webhook: off") != std::string::npos;
    })) << out << read_file(serve.err);
    const std::string url = m[1].str();
    {
        // The webhook endpoint is off, and says so.
        httplib::Client c("127.0.0.1", std::stoi(url.substr(17)));
        auto res = c.Post("/", "{}", "application/json");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 404);
        EXPECT_NE(res->body.find("webhook endpoint is off"), std::string::npos);
        EXPECT_EQ(c.Get("/api/jobs")->status, 401);
    }

    const fs::path artefacts = AVPOST_TEST_ARTEFACT_DIR;
    fs::create_directories(artefacts);
    const fs::path profile = a.root.parent_path() / (a.root.filename().string() + "-chromium");
    const fs::path browser_log = a.root.parent_path() / (a.root.filename().string() + "-chromium.log");
    std::string html;
    {
        HeadlessChromium browser(CHROMIUM_EXECUTABLE, profile, browser_log);
        const std::string page = browser.open(url + "?token=" + token);
        // Ready when the page's script has listed the jobs and every poster and video has either
        // loaded (the page writes its width) or failed: waited for in real time, up to a minute.
        const std::string readiness = R"js((() => {
            if (!document.body || document.body.dataset.loaded !== "true") return "script";
            for (const v of document.querySelectorAll("video"))
                if (!v.dataset.videoWidth && !v.dataset.error) return "video metadata";
            for (const i of document.querySelectorAll("img"))
                if (!i.dataset.naturalWidth && !i.complete) return "image";
            return "ready";
        })())js";
        const auto state = browser.wait_for(page, readiness, "ready", std::chrono::seconds(60));
        html = browser.evaluate(page, "document.documentElement.outerHTML").get<std::string>();
        write_file(artefacts / "gallery-dom.html", html);
        ASSERT_EQ(state, "ready") << "the page was still waiting for: " << state << "\n" << html << read_file(browser_log);

        // A desktop and a phone-sized screenshot, kept as artefacts.
        for (const auto& [file, width, height, mobile] :
             {std::tuple{"gallery.png", 1280, 1000, false}, std::tuple{"gallery-phone.png", 390, 844, true}}) {
            browser.call("Emulation.setDeviceMetricsOverride",
                         {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", mobile}}, page);
            const std::string png = net::crypto::base64_decode(
                browser.call("Page.captureScreenshot", {{"format", "png"}}, page)["data"].get<std::string>());
            write_file(artefacts / file, png);
            EXPECT_GT(png.size(), 1000u) << file;
            EXPECT_EQ(png.substr(1, 3), "PNG") << file;
        }
    }
    EXPECT_NE(html.find("data-loaded=\"true\""), std::string::npos) << "the page's script did not finish";
    EXPECT_EQ(count(html, std::regex(R"(<li class="job")")), 3) << html;
    EXPECT_NE(html.find(">brand-intro</h2>"), std::string::npos);
    EXPECT_NE(html.find(">3 jobs<"), std::string::npos);
    // The poster loaded: its natural width is the JPEG's.
    EXPECT_TRUE(std::regex_search(html, std::regex(R"(<img[^>]*class="poster"[^>]*data-natural-width="320")")))
        << html;
    // The player: the web MP4 as its source, a type the browser can play, its metadata loaded.
    const std::string mp4 = "/files/" + std::to_string(a.web_mp4) + "/brand-intro.mp4";
    EXPECT_TRUE(std::regex_search(html, std::regex("<source src=\"" + mp4 + "\" type=\"video/mp4\">"))) << html;
    std::smatch video;
    ASSERT_TRUE(std::regex_search(html, video, std::regex(R"re(<video[^>]*data-can-play="(probably|maybe)"[^>]*>\s*<source src=")re" + mp4))) << html;
    EXPECT_NE(video.str().find("data-video-width=\"320\""), std::string::npos) << video.str();
    // The WebM with alpha plays over the checkerboard.
    const std::string webm = "/files/" + std::to_string(a.alpha_webm) + "/brand-intro.webm";
    EXPECT_TRUE(std::regex_search(html, std::regex(R"re(<div class="checker"[^>]*><video[^>]*data-can-play="(probably|maybe)"[^>]*><source src=")re" + webm)))
        << html;
    // The pending job's link expires within the hour: its countdown is red.
    EXPECT_TRUE(std::regex_search(html, std::regex(R"(class="meta expiry soon"[^>]*>vendor link expires in)"))) << html;
    EXPECT_EQ(html.find(gallery_secret), std::string::npos);

    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << read_file(serve.err);
    EXPECT_EQ(read_file(serve.out).find(token), std::string::npos);
    EXPECT_EQ(read_file(serve.err).find(token), std::string::npos);
    fs::remove_all(profile);
    fs::remove(browser_log);
    remove_with_siblings(a.root);
}
