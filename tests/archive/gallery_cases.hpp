#pragma once
// The gallery tests, for each catalog backend: gallery_test.cpp runs them on SQLite,
// gallery_postgres_test.cpp on a throwaway PostgreSQL. Access (401, the token as Bearer, as
// ?token= once then as an HttpOnly SameSite=Strict cookie), only files the catalog knows
// (traversal 404), Range answers (206), ETag/304, Content-Type, the JSON's search/filter/paging,
// and no secret in any response.
#include "gallery_test_support.hpp"

#include "avpost/archive/gallery_server.hpp"

namespace avpost::test::gallery_cases {

using namespace avpost;
using namespace avpost::archive;

const std::string token = random_gallery_token();

// Backend: location() gives a fresh catalog location ("" for the archive's own SQLite file).
template <class Backend>
class Gallery : public ::testing::Test {
protected:
    static void SetUpTestSuite() { archive_ = new GalleryArchive(make_gallery_archive("gallery", Backend::location())); }
    static void TearDownTestSuite() {
        fs::remove_all(archive_->root);
        delete archive_;
    }
    void start(std::string with_token) {
        GalleryServerOptions o;
        o.archive_root = archive_->root;
        o.catalog_location = archive_->catalog_location;
        o.token = std::move(with_token);
        gallery = std::make_unique<GalleryServer>(o);
        gallery->install(http.server);
        http.start();
    }
    void TearDown() override { http.stop(); }
    httplib::Client client() {
        httplib::Client c("127.0.0.1", port());
        c.set_keep_alive(false);
        return c;
    }
    httplib::Headers bearer() { return {{"Authorization", std::string("Bearer ") + token}}; }
    int port() { return std::stoi(http.url("").substr(std::string("http://127.0.0.1:").size())); }
    std::string file_path(std::int64_t id, const std::string& name) { return "/files/" + std::to_string(id) + "/" + name; }

    static inline GalleryArchive* archive_ = nullptr;
    std::unique_ptr<GalleryServer> gallery;
    TinyServer http;
};
TYPED_TEST_SUITE_P(Gallery);

TYPED_TEST_P(Gallery, WithATokenEveryPageApiAndFileNeedsIt) {
    this->start(token);
    auto c = this->client();
    for (const std::string& path : {std::string("/"), std::string("/gallery.js"), std::string("/api/jobs"),
                                    this->file_path(this->archive_->web_mp4, "brand-intro.mp4")}) {
        auto res = c.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 401) << path;
        EXPECT_EQ(res->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u) << path;
        auto wrong = c.Get(path, {{"Authorization", "Bearer " + token.substr(0, token.size() - 1) + (token.back() == '0' ? "1" : "0")}});
        EXPECT_EQ(wrong->status, 401) << path;
        auto right = c.Get(path, this->bearer());
        EXPECT_EQ(right->status, 200) << path;
    }
    EXPECT_EQ(c.Get("/?token=not-the-token")->status, 401);
    EXPECT_EQ(c.Get("/", {{"Cookie", "avpost_gallery=" + std::string(token)}})->status, 401);
}

TYPED_TEST_P(Gallery, TheTokenGivenOnceInTheUrlBecomesAStrictHttpOnlyCookie) {
    this->start(token);
    auto c = this->client();
    auto res = c.Get(std::string("/?token=") + token);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 303);
    EXPECT_EQ(res->get_header_value("Location"), "/");  // the token leaves the address bar
    std::string cookie = res->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find(token), std::string::npos) << "the cookie must not hold the token itself";
    std::string pair = cookie.substr(0, cookie.find(';'));
    // Whatever else the link asked for is kept.
    auto filtered = c.Get(std::string("/?state=failed&token=") + token + "&q=brand");
    EXPECT_EQ(filtered->status, 303);
    EXPECT_EQ(filtered->get_header_value("Location"), "/?q=brand&state=failed");
    auto api = c.Get("/api/jobs", {{"Cookie", "theme=dark; " + pair}});
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 200);
    EXPECT_EQ(nlohmann::json::parse(api->body)["total"], 3);
}

TYPED_TEST_P(Gallery, WithoutATokenOnlyLoopbackHostsAreAnswered) {
    this->start("");
    auto c = this->client();
    EXPECT_EQ(c.Get("/api/jobs")->status, 200);
    // A page on another site that points its own name at 127.0.0.1 (DNS rebinding) gets nothing.
    EXPECT_EQ(c.Get("/api/jobs", {{"Host", "evil.example:80"}})->status, 401);
    EXPECT_TRUE(is_loopback_address("127.0.0.1"));
    EXPECT_TRUE(is_loopback_address("::1"));
    EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
    EXPECT_FALSE(is_loopback_address("192.168.1.20"));
    EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.0.0.1:8080"));
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("[::1]:8080"));
    EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
    EXPECT_FALSE(is_loopback_host("localhost.evil.example:80"));
}

TYPED_TEST_P(Gallery, OnlyFilesTheCatalogKnowsAreServedAndTraversalGets404) {
    this->start(token);
    auto c = this->client();
    const std::string id = std::to_string(this->archive_->web_mp4);
    for (const std::string& path :
         {"/files/" + id + "/../../catalog.db", "/files/" + id + "/..", "/files/" + id + "/%2e%2e%2fcatalog.db",
          "/files/" + id + "/..%2F..%2Fcatalog.db", "/files/" + id + "/%2Fetc%2Fpasswd", std::string("/files//etc/passwd"),
          std::string("/catalog.db"), std::string("/../catalog.db"), std::string("/%2e%2e/catalog.db"),
          "/files/" + id + "/other-name.mp4", std::string("/files/999999/brand-intro.mp4"),
          "/files/" + id + "/brand-intro.mp4/../../catalog.db", std::string("/etc/passwd"),
          // A known asset not archived yet.
          this->file_path(this->archive_->web_mp4 + 3, "avatar.mp4")}) {
        auto res = c.Get(path, this->bearer());
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 404) << path;
        EXPECT_EQ(res->body.find("SQLite"), std::string::npos) << path;
    }
}

TYPED_TEST_P(Gallery, FilesAnswerRangesWithTheRightTypeAndRevalidateByETag) {
    this->start(token);
    auto c = this->client();
    const std::string path = this->file_path(this->archive_->web_mp4, "brand-intro.mp4");
    auto whole = c.Get(path, this->bearer());
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->status, 200);
    EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");
    EXPECT_EQ(std::int64_t(whole->body.size()), this->archive_->web_mp4_size);
    EXPECT_EQ(whole->get_header_value("Accept-Ranges"), "bytes");
    const std::string etag = whole->get_header_value("ETag");
    EXPECT_EQ(etag, "\"" + sha256_hex(whole->body) + "\"");

    auto headers = this->bearer();
    headers.emplace("Range", "bytes=100-199");
    auto part = c.Get(path, headers);
    ASSERT_TRUE(part);
    EXPECT_EQ(part->status, 206);
    EXPECT_EQ(part->body, whole->body.substr(100, 100));
    EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 100-199/" + std::to_string(this->archive_->web_mp4_size));

    auto tail_headers = this->bearer();
    tail_headers.emplace("Range", "bytes=-50");
    auto tail = c.Get(path, tail_headers);
    EXPECT_EQ(tail->status, 206);
    EXPECT_EQ(tail->body, whole->body.substr(whole->body.size() - 50));

    auto again = this->bearer();
    again.emplace("If-None-Match", etag);
    auto not_modified = c.Get(path, again);
    EXPECT_EQ(not_modified->status, 304);
    EXPECT_TRUE(not_modified->body.empty());
    auto stale = this->bearer();
    stale.emplace("If-None-Match", "\"0000\"");
    EXPECT_EQ(c.Get(path, stale)->status, 200);

    EXPECT_EQ(c.Get(this->file_path(this->archive_->alpha_webm, "brand-intro.webm"), this->bearer())->get_header_value("Content-Type"),
              "video/webm");
    EXPECT_EQ(c.Get(this->file_path(this->archive_->poster, "brand-intro-poster.jpg"), this->bearer())->get_header_value("Content-Type"),
              "image/jpeg");
    auto download = c.Get(path + "?download=1", this->bearer());
    EXPECT_EQ(download->get_header_value("Content-Disposition"), "attachment; filename=\"brand-intro.mp4\"");
}

TYPED_TEST_P(Gallery, TheApiListsJobsNewestFirstWithPlayerPosterAndFiles) {
    this->start(token);
    auto c = this->client();
    auto res = c.Get("/api/jobs", this->bearer());
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    auto page = nlohmann::json::parse(res->body);
    ASSERT_EQ(page["jobs"].size(), 3u);
    EXPECT_EQ(page["jobs"][0]["vendor_job_id"], "akool-job-pending");
    EXPECT_EQ(page["jobs"][1]["vendor_job_id"], "akool-job-web");
    EXPECT_EQ(page["jobs"][2]["vendor_job_id"], "a2v-job-failed");
    EXPECT_EQ(page["vendors"], nlohmann::json::array({"a2v", "akool"}));
    const auto& web = page["jobs"][1];
    EXPECT_EQ(web["name"], "brand-intro");
    EXPECT_EQ(web["state"], "archived");
    EXPECT_EQ(web["video"]["url"], this->file_path(this->archive_->web_mp4, "brand-intro.mp4"));
    EXPECT_EQ(web["video"]["type"], "video/mp4");
    EXPECT_EQ(web["alpha_video"]["url"], this->file_path(this->archive_->alpha_webm, "brand-intro.webm"));
    EXPECT_EQ(web["poster"], this->file_path(this->archive_->poster, "brand-intro-poster.jpg"));
    ASSERT_EQ(web["files"].size(), 3u);
    EXPECT_EQ(web["files"][0]["size"], this->archive_->web_mp4_size);
    EXPECT_EQ(page["jobs"][0]["state"], "archiving");
    EXPECT_FALSE(page["jobs"][0]["link_expires_at"].is_null());
    EXPECT_TRUE(page["jobs"][0]["files"][0]["url"].is_null());  // not archived: nothing to download
    EXPECT_EQ(page["jobs"][2]["state"], "failed");

    auto one = nlohmann::json::parse(c.Get("/api/jobs/" + std::to_string(this->archive_->web_job), this->bearer())->body);
    EXPECT_EQ(one["name"], "brand-intro");
    EXPECT_EQ(c.Get("/api/jobs/999999", this->bearer())->status, 404);
}

TYPED_TEST_P(Gallery, TheApiSearchesFiltersAndPagesInTheCatalog) {
    this->start(token);
    auto c = this->client();
    auto get = [&](const std::string& query) {
        auto res = c.Get("/api/jobs?" + query, this->bearer());
        EXPECT_EQ(res->status, 200) << query << " " << res->body;
        return nlohmann::json::parse(res->body);
    };
    auto named = get("q=brand");
    ASSERT_EQ(named["total"], 1);
    EXPECT_EQ(named["jobs"][0]["name"], "brand-intro");
    EXPECT_EQ(get("q=job-pend")["jobs"][0]["vendor_job_id"], "akool-job-pending");
    EXPECT_EQ(get("q=%25")["total"], 0);  // LIKE's wildcards are taken literally
    EXPECT_EQ(get("vendor=a2v")["total"], 1);
    EXPECT_EQ(get("state=failed")["jobs"][0]["vendor_job_id"], "a2v-job-failed");
    EXPECT_EQ(get("state=archived")["total"], 1);
    EXPECT_EQ(get("state=waiting")["total"], 0);
    auto second = get("per_page=2&page=2");
    EXPECT_EQ(second["total"], 3);
    EXPECT_EQ(second["pages"], 2);
    ASSERT_EQ(second["jobs"].size(), 1u);
    EXPECT_EQ(second["jobs"][0]["vendor_job_id"], "a2v-job-failed");
    for (const char* bad : {"state=sideways", "page=0", "per_page=1000", "page=x"})
        EXPECT_EQ(c.Get(std::string("/api/jobs?") + bad, this->bearer())->status, 400) << bad;
}

TYPED_TEST_P(Gallery, NoSecretReachesAnyResponse) {
    this->start(token);
    auto c = this->client();
    std::vector<std::string> paths = {"/", "/gallery.js", "/gallery.css", "/api/jobs", "/api/jobs?state=failed"};
    for (std::int64_t job : {this->archive_->web_job, this->archive_->pending_job, this->archive_->failed_job})
        paths.push_back("/api/jobs/" + std::to_string(job));
    nlohmann::json jobs = nlohmann::json::parse(c.Get("/api/jobs", this->bearer())->body);
    for (const auto& j : jobs["jobs"])
        for (const auto& f : j["files"])
            if (f["url"].is_string()) paths.push_back(f["url"].get<std::string>());
    for (const std::string& path : paths) {
        auto res = c.Get(path, this->bearer());
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 200) << path;
        EXPECT_EQ(res->body.find(gallery_secret), std::string::npos) << path;
        EXPECT_EQ(res->body.find("cdn.vendor.example"), std::string::npos) << path;
        EXPECT_EQ(res->body.find(token), std::string::npos) << path;
        EXPECT_EQ(res->body.find(this->archive_->root.string()), std::string::npos) << path;
        for (const auto& [name, value] : res->headers) EXPECT_EQ(value.find(token), std::string::npos) << name;
    }
    // The page loads nothing from elsewhere.
    auto html = c.Get("/", this->bearer())->body;
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_NE(c.Get("/", this->bearer())->get_header_value("Content-Security-Policy").find("default-src 'none'"),
              std::string::npos);
}

REGISTER_TYPED_TEST_SUITE_P(Gallery,
                            WithATokenEveryPageApiAndFileNeedsIt,
                            TheTokenGivenOnceInTheUrlBecomesAStrictHttpOnlyCookie,
                            WithoutATokenOnlyLoopbackHostsAreAnswered,
                            OnlyFilesTheCatalogKnowsAreServedAndTraversalGets404,
                            FilesAnswerRangesWithTheRightTypeAndRevalidateByETag,
                            TheApiListsJobsNewestFirstWithPlayerPosterAndFiles,
                            TheApiSearchesFiltersAndPagesInTheCatalog,
                            NoSecretReachesAnyResponse);

}  // namespace avpost::test::gallery_cases
