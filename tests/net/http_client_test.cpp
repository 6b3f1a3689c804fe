// The HTTP layer against real servers on 127.0.0.1: retries (counted), what is never repeated,
// timeouts, connection reuse, rate limiting and redaction.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "avpost/net/http_client.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "net_test_support.hpp"

using namespace avpost;
using namespace avpost::net;
using avpost::test::LocalServer;

namespace {

// Answers the statuses in `script` in order, then 200 "ok"; counts requests.
struct ScriptedServer {
    LocalServer local;
    std::vector<int> script;
    std::vector<std::pair<std::string, std::string>> extra_headers;  // on scripted answers
    std::atomic<int> requests{0};
    std::mutex mutex;
    std::set<int> remote_ports;
    explicit ScriptedServer(std::vector<int> s) : script(std::move(s)) {
        auto handler = [this](const httplib::Request& req, httplib::Response& res) {
            int n = requests++;
            {
                std::lock_guard lock(mutex);
                remote_ports.insert(req.remote_port);
            }
            if (n < static_cast<int>(script.size())) {
                res.status = script[n];
                for (auto& [k, v] : extra_headers) res.set_header(k, v);
                res.set_content("{\"error\":true}", "application/json");
            } else {
                res.set_content("ok", "text/plain");
            }
        };
        local.server.Get("/x", handler);
        local.server.Post("/x", handler);
        local.server.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
            if (requests++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            res.set_content("ok", "text/plain");
        });
        local.server.Post("/slow", [this](const httplib::Request&, httplib::Response& res) {
            requests++;
            std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            res.set_content("ok", "text/plain");
        });
        local.start();
    }
};


}  // namespace

TEST(NetHttpClient, RetriesTransientStatusesUntilSuccess) {
    ScriptedServer srv({503, 502, 500, 504});
    HttpClient http(avpost::test::fast_http_options(6));
    HttpRequest req;
    req.url = srv.local.url("/x");
    HttpResponse res = http.send(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "ok");
    EXPECT_EQ(res.attempts, 5);
    EXPECT_EQ(srv.requests.load(), 5);
}

TEST(NetHttpClient, GivesUpAfterMaxAttemptsAndReturnsLastStatus) {
    ScriptedServer srv({500, 500, 500, 500, 500});
    HttpClient http(avpost::test::fast_http_options(3));
    HttpRequest req;
    req.url = srv.local.url("/x");
    HttpResponse res = http.send(req);
    EXPECT_EQ(res.status, 500);
    EXPECT_EQ(srv.requests.load(), 3);
}

TEST(NetHttpClient, DoesNotRetryClientErrors) {
    ScriptedServer srv({404});
    HttpClient http(avpost::test::fast_http_options(4));
    HttpRequest req;
    req.url = srv.local.url("/x");
    EXPECT_EQ(http.send(req).status, 404);
    EXPECT_EQ(srv.requests.load(), 1);
}

TEST(NetHttpClient, RetriesRequestTimeout408) {
    ScriptedServer srv({408});
    HttpClient http(avpost::test::fast_http_options(4));
    HttpRequest req;
    req.url = srv.local.url("/x");
    EXPECT_EQ(http.send(req).status, 200);
    EXPECT_EQ(srv.requests.load(), 2);
}

TEST(NetHttpClient, CreateCallIsNeverRepeatedAfterA500) {
    ScriptedServer srv({500, 502});
    HttpClient http(avpost::test::fast_http_options(4));
    HttpRequest req;
    req.method = "POST";
    req.url = srv.local.url("/x");
    req.body = "{}";
    EXPECT_EQ(http.send(req).status, 500);
    EXPECT_EQ(srv.requests.load(), 1);
}

TEST(NetHttpClient, CreateCallIsRepeatedAfter429WithRetryAfter) {
    ScriptedServer srv({429});
    srv.extra_headers = {{"Retry-After", "0"}};
    HttpClient http(avpost::test::fast_http_options(4));
    HttpRequest req;
    req.method = "POST";
    req.url = srv.local.url("/x");
    EXPECT_EQ(http.send(req).status, 200);
    EXPECT_EQ(srv.requests.load(), 2);
}

TEST(NetHttpClient, CreateCallIsNotRepeatedAfter503WithoutRetryAfter) {
    ScriptedServer srv({503});
    HttpClient http(avpost::test::fast_http_options(4));
    HttpRequest req;
    req.method = "POST";
    req.url = srv.local.url("/x");
    EXPECT_EQ(http.send(req).status, 503);
    EXPECT_EQ(srv.requests.load(), 1);
}

TEST(NetHttpClient, HonoursRetryAfterSeconds) {
    ScriptedServer srv({503});
    srv.extra_headers = {{"Retry-After", "1"}};
    auto opts = avpost::test::fast_http_options(3);
    HttpClient http(opts);
    std::vector<std::chrono::milliseconds> sleeps;
    http.set_sleep_function([&](std::chrono::milliseconds d) { sleeps.push_back(d); });
    HttpRequest req;
    req.url = srv.local.url("/x");
    req.rate_limited = false;
    EXPECT_EQ(http.send(req).status, 200);
    ASSERT_EQ(sleeps.size(), 1u);
    EXPECT_GE(sleeps[0].count(), 1000);
}

TEST(NetHttpClient, ConnectionRefusedIsRetriedEvenForCreateAndThenThrowsNetworkError) {
    HttpClient http(avpost::test::fast_http_options(3));
    int sleeps = 0;
    http.set_sleep_function([&](std::chrono::milliseconds) { ++sleeps; });
    HttpRequest req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(avpost::test::closed_port()) + "/create?Signature=abc123";
    try {
        http.send(req);
        FAIL() << "expected a network error";
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::network);
        EXPECT_EQ(e.domain(), ErrorDomain::curl);
        EXPECT_EQ(e.code(), CURLE_COULDNT_CONNECT);
        EXPECT_EQ(std::string(e.what()).find("abc123"), std::string::npos) << e.what();
    }
    EXPECT_EQ(sleeps, 2);  // three attempts
}

TEST(NetHttpClient, TimeoutIsRetriedForGetButNotForCreate) {
    ScriptedServer srv({});
    auto opts = avpost::test::fast_http_options(3);
    opts.timeouts.total = std::chrono::milliseconds(600);
    HttpClient http(opts);
    HttpRequest get;
    get.url = srv.local.url("/slow");
    EXPECT_EQ(http.send(get).status, 200);
    EXPECT_EQ(srv.requests.load(), 2);

    srv.requests = 0;
    HttpRequest post;
    post.method = "POST";
    post.url = srv.local.url("/slow");
    try {
        http.send(post);
        FAIL() << "expected a timeout";
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code(), CURLE_OPERATION_TIMEDOUT);
    }
    EXPECT_EQ(srv.requests.load(), 1);
}

TEST(NetHttpClient, LowSpeedTimeoutAbortsAStalledResponseAndRetries) {
    ScriptedServer srv({});
    auto opts = avpost::test::fast_http_options(3);
    opts.timeouts.low_speed_bytes = 1;
    opts.timeouts.low_speed_time = std::chrono::seconds(1);  // no byte for a second: give up
    HttpClient http(opts);
    HttpRequest get;
    get.url = srv.local.url("/slow");
    EXPECT_EQ(http.send(get).status, 200);
    EXPECT_EQ(srv.requests.load(), 2);
}

TEST(NetHttpClient, ReusesTheConnection) {
    ScriptedServer srv({});
    HttpClient http(avpost::test::fast_http_options());
    HttpRequest req;
    req.url = srv.local.url("/x");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(http.send(req).status, 200);
    EXPECT_EQ(srv.remote_ports.size(), 1u);
}

TEST(NetHttpClient, RateLimitHeadersMakeTheNextRequestWait) {
    LocalServer local;
    std::atomic<int> n{0};
    local.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
        ++n;
        res.set_header("X-Ratelimit-Total", "30");
        res.set_header("X-Ratelimit-Left", "0");
        res.set_header("X-Ratelimit-Reset", "2");
        res.set_content("ok", "text/plain");
    });
    local.start();
    auto opts = avpost::test::fast_http_options();
    opts.rate_limit.enabled = true;
    HttpClient http(opts);
    std::vector<std::chrono::milliseconds> sleeps;
    http.set_sleep_function([&](std::chrono::milliseconds d) { sleeps.push_back(d); });
    HttpRequest req;
    req.url = local.url("/x");
    http.send(req);
    http.send(req);
    ASSERT_FALSE(sleeps.empty());
    EXPECT_GE(sleeps.back().count(), 1500);
    EXPECT_LE(sleeps.back().count(), 2100);
}

TEST(NetHttpClient, AVeryLongRateLimitPauseFailsInsteadOfHanging) {
    LocalServer local;
    local.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-Ratelimit-Left", "0");
        res.set_header("X-Ratelimit-Reset", "3600");
        res.set_content("ok", "text/plain");
    });
    local.start();
    auto opts = avpost::test::fast_http_options();
    opts.rate_limit.enabled = true;
    HttpClient http(opts);
    HttpRequest req;
    req.url = local.url("/x");
    EXPECT_EQ(http.send(req).status, 200);
    try {
        http.send(req);
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::network);
        EXPECT_NE(std::string(e.what()).find("rate limited"), std::string::npos);
    }
}

TEST(NetRateLimiter, ThirtyAMinuteByDefault) {
    RateLimiter limiter(RateLimit{});
    auto t0 = RateLimiter::Clock::now();
    for (int i = 0; i < 30; ++i) EXPECT_EQ(limiter.reserve(t0).count(), 0) << i;
    auto wait = limiter.reserve(t0);
    EXPECT_NEAR(wait.count(), 2000, 5);  // one token every 2 s
    EXPECT_NEAR(limiter.reserve(t0).count(), 4000, 5);
    // A minute later the bucket is full again.
    auto later = t0 + std::chrono::seconds(120);
    EXPECT_EQ(limiter.reserve(later).count(), 0);
}

TEST(NetRateLimiter, ParsesRetryAfterAndReset) {
    EXPECT_EQ(RateLimiter::parse_retry_after("3")->count(), 3000);
    EXPECT_FALSE(RateLimiter::parse_retry_after("soon").has_value());
    EXPECT_EQ(RateLimiter::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")->count(), 0);  // in the past
    EXPECT_EQ(RateLimiter::parse_reset("5")->count(), 5000);
    auto epoch_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto d = RateLimiter::parse_reset(std::to_string(epoch_s + 10));
    ASSERT_TRUE(d);
    EXPECT_NEAR(d->count(), 10000, 1500);
    auto d_ms = RateLimiter::parse_reset(std::to_string((epoch_s + 10) * 1000));
    ASSERT_TRUE(d_ms);
    EXPECT_NEAR(d_ms->count(), 10000, 1500);
}

TEST(NetBackoff, GrowsExponentiallyWithJitterAndIsCapped) {
    RetryPolicy p;
    p.initial_delay = std::chrono::milliseconds(100);
    p.max_delay = std::chrono::milliseconds(1000);
    p.multiplier = 2;
    p.jitter = 0.5;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 50; ++i) {
        auto d1 = backoff_delay(p, 1, rng).count();
        auto d3 = backoff_delay(p, 3, rng).count();
        auto d10 = backoff_delay(p, 10, rng).count();
        EXPECT_GE(d1, 50);
        EXPECT_LE(d1, 100);
        EXPECT_GE(d3, 200);
        EXPECT_LE(d3, 400);
        EXPECT_GE(d10, 500);
        EXPECT_LE(d10, 1000);
    }
}

TEST(NetRedact, StripsSignaturesAndUserInfoKeepsIds) {
    EXPECT_EQ(redact_url("https://cdn.example.com/a/b.mp4?Expires=1700000000&Signature=abc&Key-Pair-Id=K1"),
              "https://cdn.example.com/a/b.mp4?Expires=REDACTED&Signature=REDACTED&Key-Pair-Id=REDACTED");
    EXPECT_EQ(redact_url("https://user:pw@host/x?video_id=42&token=t0k3n#frag"), "https://host/x?video_id=42&token=REDACTED");
    EXPECT_EQ(redact_url("http://host/path"), "http://host/path");
}

TEST(NetRedact, RemovesRegisteredSecretsAndSignedQueriesFromText) {
    register_secret("fake-secret-value-1");
    std::string text = "failed with key fake-secret-value-1 at https://x.test/v.mp4?X-Amz-Signature=deadbeef done";
    std::string out = redact_text(text);
    EXPECT_EQ(out.find("fake-secret-value-1"), std::string::npos);
    EXPECT_EQ(out.find("deadbeef"), std::string::npos);
    EXPECT_NE(out.find("https://x.test/v.mp4"), std::string::npos);
}
