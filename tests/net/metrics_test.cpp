// /metrics: the text exposition format as avpost writes it (HELP and TYPE, label escaping,
// cumulative histogram buckets up to +Inf), the catalog's families, the vendor request counters
// of the HTTP client, and the endpoint over HTTP; promtool lints what is written.
#include <gtest/gtest.h>

#include <httplib.h>

#include <fstream>

#include "avpost/archive/catalog_metrics.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/metrics.hpp"
#include "avpost/net/http_client.hpp"
#include "avpost/net/metrics_endpoint.hpp"
#include "net_test_support.hpp"
#include "prometheus_text.hpp"

using namespace avpost;
using avpost::test::LocalServer;

namespace {

class Collected final : public prometheus::Collectable {
public:
    explicit Collected(std::vector<prometheus::MetricFamily> f) : families_(std::move(f)) {}
    std::vector<prometheus::MetricFamily> Collect() const override { return families_; }

private:
    std::vector<prometheus::MetricFamily> families_;
};

std::string text_of(prometheus::Registry& r) { return metrics::render({&r}); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// promtool on `text`: must pass; missing promtool fails in CI and skips elsewhere.
void expect_promtool_passes(const std::string& text, const std::string& name) {
    const std::string promtool = test::find_promtool();
    if (promtool.empty()) {
        if (test::running_in_ci()) FAIL() << "promtool not found: scripts/setup.sh installs Debian's prometheus package";
        GTEST_SKIP() << "promtool not found (install Debian's prometheus package)";
    }
    test::PromtoolResult r = test::promtool_check(promtool, text, ::testing::TempDir(), name);
    EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << text;
}

}  // namespace

TEST(MetricsFormat, CounterHasHelpTypeTotalAndEscapedLabelValues) {
    prometheus::Registry r;
    auto& family = prometheus::BuildCounter().Name("avpost_test_things_total").Help("Things, counted").Register(r);
    family.Add({{"kind", "back\\slash \"quoted\"\nnext line"}}).Increment(3);
    const std::string text = text_of(r);
    EXPECT_TRUE(contains(text, "# HELP avpost_test_things_total Things, counted\n")) << text;
    EXPECT_TRUE(contains(text, "# TYPE avpost_test_things_total counter\n")) << text;
    EXPECT_TRUE(contains(text, "avpost_test_things_total{kind=\"back\\\\slash \\\"quoted\\\"\\nnext line\"} 3\n")) << text;
    expect_promtool_passes(text, "counter");
}

TEST(MetricsFormat, HistogramBucketsAreCumulativeAndEndInPlusInf) {
    prometheus::Registry r;
    auto& h = prometheus::BuildHistogram()
                  .Name("avpost_test_duration_seconds")
                  .Help("Durations")
                  .Register(r)
                  .Add({{"stage", "compose"}}, prometheus::Histogram::BucketBoundaries{0.1, 1, 10});
    for (double v : {0.05, 0.5, 0.7, 5.0, 50.0}) h.Observe(v);
    const auto s = test::prometheus_samples(text_of(r));
    const std::string b = "avpost_test_duration_seconds_bucket{stage=\"compose\",le=";
    EXPECT_EQ(test::sample(s, b + "\"0.1\"}"), 1);
    EXPECT_EQ(test::sample(s, b + "\"1\"}"), 3);
    EXPECT_EQ(test::sample(s, b + "\"10\"}"), 4);
    EXPECT_EQ(test::sample(s, b + "\"+Inf\"}"), 5);
    EXPECT_EQ(test::sample(s, "avpost_test_duration_seconds_count{stage=\"compose\"}"), 5);
    EXPECT_DOUBLE_EQ(test::sample(s, "avpost_test_duration_seconds_sum{stage=\"compose\"}"), 56.25);
    EXPECT_TRUE(contains(text_of(r), "# TYPE avpost_test_duration_seconds histogram\n"));
    expect_promtool_passes(text_of(r), "histogram");
}

TEST(MetricsFormat, BucketBoundsAscend) {
    for (const auto* b : {&metrics::duration_buckets(), &metrics::latency_buckets()}) {
        ASSERT_FALSE(b->empty());
        for (std::size_t i = 1; i < b->size(); ++i) EXPECT_LT((*b)[i - 1], (*b)[i]);
    }
}

TEST(MetricsFormat, CatalogFamiliesShowEveryStateTheBacklogAndTheSoonestExpiry) {
    archive::CatalogStats st;
    st.jobs = {{archive::QueueState::queued, 3}, {archive::QueueState::running, 1}, {archive::QueueState::done, 7},
               {archive::QueueState::failed, 0}, {archive::QueueState::cancelled, 0}};
    st.due_jobs = 2;
    st.oldest_due_since = 1000;
    st.assets = {{archive::AssetState::pending, 1}, {archive::AssetState::verified, 4}};
    st.unarchived_assets = 1;
    st.soonest_link_expiry = 5000;
    st.stored_bytes = 123456789012;
    st.webhooks.events = {{archive::WebhookState::pending, 2}, {archive::WebhookState::delivered, 9},
                          {archive::WebhookState::dead, 1}};
    st.webhooks.failed_attempts = 17;
    Collected c(archive::catalog_metric_families(st, 1060));
    const std::string text = metrics::render({&c});
    const auto s = test::prometheus_samples(text);
    EXPECT_EQ(test::sample(s, "avpost_queue_jobs{state=\"queued\"}"), 3);
    EXPECT_EQ(test::sample(s, "avpost_queue_jobs{state=\"done\"}"), 7);
    EXPECT_EQ(test::sample(s, "avpost_queue_jobs{state=\"cancelled\"}"), 0);
    EXPECT_EQ(test::sample(s, "avpost_queue_depth"), 2);
    EXPECT_EQ(test::sample(s, "avpost_queue_oldest_due_age_seconds"), 60);
    EXPECT_EQ(test::sample(s, "avpost_archive_assets{state=\"verified\"}"), 4);
    EXPECT_EQ(test::sample(s, "avpost_archive_backlog_assets"), 1);
    EXPECT_EQ(test::sample(s, "avpost_archive_soonest_link_expiry_timestamp_seconds"), 5000);
    EXPECT_EQ(test::sample(s, "avpost_archive_stored_bytes"), 123456789012.0);  // past 32 bits, exact
    EXPECT_EQ(test::sample(s, "avpost_webhook_events{state=\"pending\"}"), 2);
    EXPECT_EQ(test::sample(s, "avpost_webhook_events{state=\"dead\"}"), 1);
    EXPECT_EQ(test::sample(s, "avpost_webhook_delivery_attempts_total{outcome=\"delivered\"}"), 9);
    EXPECT_EQ(test::sample(s, "avpost_webhook_delivery_attempts_total{outcome=\"failed\"}"), 17);
    EXPECT_NE(text.find("# TYPE avpost_webhook_delivery_attempts_total counter"), std::string::npos) << text;
    expect_promtool_passes(text, "catalog");

    st.soonest_link_expiry.reset();  // no unarchived asset with a link: no sample, not a made-up 0
    st.oldest_due_since.reset();
    Collected none(archive::catalog_metric_families(st, 1060));
    const auto s2 = test::prometheus_samples(metrics::render({&none}));
    EXPECT_EQ(s2.count("avpost_archive_soonest_link_expiry_timestamp_seconds"), 0u);
    EXPECT_EQ(test::sample(s2, "avpost_queue_oldest_due_age_seconds"), 0);
}

TEST(MetricsFormat, AnUnreachableCatalogIsCatalogUpZeroNotAFailedScrape) {
    const std::string file = ::testing::TempDir() + "/metrics-not-a-directory";
    std::ofstream(file) << "x";  // a catalog "inside" a plain file cannot open, even as root
    archive::CatalogMetrics c(file + "/catalog.db");
    const auto s = test::prometheus_samples(metrics::render({&c}));
    EXPECT_EQ(test::sample(s, "avpost_catalog_up"), 0);
    EXPECT_EQ(s.count("avpost_queue_depth"), 0u);
}

TEST(VendorRequestMetrics, EachAttemptIsCountedByVendorAndStatusErrorsByClassNeverTheUrl) {
    LocalServer local;
    local.server.Get("/missing", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    local.server.Get("/ok", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    local.start();
    const auto before = test::prometheus_samples(metrics::render_process());
    net::HttpClientOptions o = test::fast_http_options(1);
    o.metrics_vendor = "testvendor";
    net::HttpClient http(o);
    net::HttpRequest req;
    req.url = local.url("/ok?X-Amz-Signature=secretsig");
    EXPECT_EQ(http.send(req).status, 200);
    req.url = local.url("/missing");
    EXPECT_EQ(http.send(req).status, 404);
    req.url = "http://127.0.0.1:9/refused";  // discard port: nothing listens
    EXPECT_THROW(http.send(req), Error);
    net::HttpClient uncounted(test::fast_http_options(1));  // no metrics_vendor
    req.url = local.url("/ok");
    uncounted.send(req);

    const std::string text = metrics::render_process();
    const auto s = test::prometheus_samples(text);
    const auto delta = [&](const std::string& series) {
        return test::sample(s, series) - std::max(0.0, test::sample(before, series));
    };
    EXPECT_EQ(delta("avpost_vendor_requests_total{code=\"200\",vendor=\"testvendor\"}"), 1) << text;
    EXPECT_EQ(delta("avpost_vendor_requests_total{code=\"404\",vendor=\"testvendor\"}"), 1) << text;
    EXPECT_EQ(delta("avpost_vendor_requests_total{code=\"none\",vendor=\"testvendor\"}"), 1) << text;
    EXPECT_EQ(delta("avpost_vendor_request_errors_total{status_class=\"4xx\",vendor=\"testvendor\"}"), 1) << text;
    EXPECT_EQ(delta("avpost_vendor_request_errors_total{status_class=\"transport\",vendor=\"testvendor\"}"), 1) << text;
    EXPECT_EQ(s.count("avpost_vendor_request_errors_total{status_class=\"2xx\",vendor=\"testvendor\"}"), 0u);
    EXPECT_FALSE(contains(text, "secretsig"));
    EXPECT_FALSE(contains(text, "127.0.0.1"));
    expect_promtool_passes(text, "vendor");
}

TEST(MetricsEndpoint, ListenAddressesAreHostColonPort) {
    EXPECT_EQ(net::parse_listen_address("127.0.0.1:9464").host, "127.0.0.1");
    EXPECT_EQ(net::parse_listen_address("127.0.0.1:9464").port, 9464);
    EXPECT_EQ(net::parse_listen_address("[::1]:0").host, "::1");
    EXPECT_EQ(net::parse_listen_address("[::1]:0").port, 0);
    EXPECT_EQ(net::parse_listen_address("localhost:1").host, "localhost");
    for (const char* bad : {"9464", ":9464", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000", "::1:9464", "[::1]9464",
                            "127.0.0.1:-1"})
        EXPECT_THROW(net::parse_listen_address(bad), Error) << bad;
}

TEST(MetricsEndpoint, ServesTheTextFormatWithItsContentType) {
    archive::CatalogStats st;
    st.due_jobs = 4;
    auto extra = std::make_shared<Collected>(archive::catalog_metric_families(st, 0));
    net::MetricsServer server(net::parse_listen_address("127.0.0.1:0"), {extra});
    ASSERT_GT(server.port(), 0);
    EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(test::sample(test::prometheus_samples(res->body), "avpost_queue_depth"), 4);
    EXPECT_EQ(client.Get("/")->status, 404);
}
