#include "avpost/archive/webhook_receiver.hpp"

#include "avpost/core/log.hpp"
#include "avpost/core/metrics.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::archive {

namespace {
net::JobStatus to_status(const net::akool::WebhookEvent& e) {
    net::JobStatus st;
    st.vendor = net::Vendor::akool;
    st.id = e.id;
    st.vendor_status = std::to_string(e.status);
    st.state = net::akool_job_state(e.status);
    if (e.status == 3) st.video_url = e.url;
    return st;
}

// Akool's callbacks by outcome: accepted (recorded), repeat (a redelivery already recorded),
// rejected (bad signature, too old, malformed: 400), error (not recorded: 500, Akool retries).
prometheus::Counter& callbacks(std::string_view outcome) {
    static auto& family = prometheus::BuildCounter()
                              .Name("avpost_webhook_callbacks_total")
                              .Help("Vendor webhook callbacks received, by vendor and outcome (accepted, repeat, "
                                    "rejected, error)")
                              .Register(metrics::registry());
    return family.Add({{"vendor", "akool"}, {"outcome", std::string(outcome)}});
}

void reply(httplib::Response& res, int status, const char* body) {
    res.status = status;
    res.set_content(body, "application/json");
}
}  // namespace

WebhookReceiver::WebhookReceiver(WebhookReceiverOptions options)
    : options_(std::move(options)), verifier_(options_.credentials, options_.verifier) {
    options_.archive.vendor = net::Vendor::akool;
    for (const char* outcome : {"accepted", "repeat", "rejected", "error"}) callbacks(outcome);  // shown at 0
    catalog_ = open_catalog(catalog_location(options_.archive.catalog, options_.archive.archive_root), options_.catalog);
}

WebhookReceiver::~WebhookReceiver() { stop(); }

void WebhookReceiver::install(httplib::Server& server) {
    server.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
}

void WebhookReceiver::handle(const httplib::Request& req, httplib::Response& res) {
    net::akool::WebhookEvent event;
    try {
        event = verifier_.verify(req.body);
    } catch (const std::exception& e) {
        {
            std::lock_guard lock(mutex_);
            ++counters_.rejected;
        }
        callbacks("rejected").Increment();
        log::warning(std::string("akool webhook rejected: ") + net::redact_text(e.what()));
        return reply(res, 400, "{\"ok\":false}");
    }
    net::JobStatus status = to_status(event);
    try {
        std::lock_guard lock(catalog_mutex_);
        std::optional<JobRecord> known = catalog_->find_job("akool", event.id);
        // A repeat the verifier remembers is only skipped once its first delivery was recorded.
        bool repeat = event.repeat && known;
        if (!repeat) record_job_status(*catalog_, status);  // committed (synchronous=FULL) before the 200
        std::lock_guard count(mutex_);
        ++(repeat ? counters_.repeats : counters_.accepted);
        callbacks(repeat ? "repeat" : "accepted").Increment();
        if (repeat) return reply(res, 200, "{\"ok\":true}");
    } catch (const std::exception& e) {
        {
            std::lock_guard lock(mutex_);
            ++counters_.errors;
        }
        callbacks("error").Increment();
        log::error("akool webhook for job " + event.id + " not recorded: " + net::redact_text(e.what()));
        return reply(res, 500, "{\"ok\":false}");  // Akool delivers again
    }
    reply(res, 200, "{\"ok\":true}");
    if (status.state == net::JobState::finished && !status.video_url.empty()) {
        std::lock_guard lock(mutex_);
        queue_.push_back(status);
        wake_.notify_all();
    }
}

void WebhookReceiver::start() {
    std::lock_guard lock(mutex_);
    if (worker_.joinable()) return;
    stopping_ = false;
    if (options_.catch_up_on_start) busy_ = true;
    worker_ = std::thread([this] { run_worker(); });
}

void WebhookReceiver::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        wake_.notify_all();
    }
    if (worker_.joinable()) worker_.join();
}

WebhookCounters WebhookReceiver::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

bool WebhookReceiver::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void WebhookReceiver::run_worker() {
    auto tally = [this](const SyncReport& r) {
        std::lock_guard lock(mutex_);
        counters_.archived += r.verified;
        counters_.not_archived += r.failed + r.expired + r.retry_later;
    };
    if (options_.catch_up_on_start) {
        try {
            tally(sync_vendor(options_.archive, options_.vendor_api));
        } catch (const std::exception& e) {
            log::error(std::string("archive catch-up: ") + net::redact_text(e.what()));
        }
        std::lock_guard lock(mutex_);
        busy_ = false;
        wake_.notify_all();
    }
    for (;;) {
        std::vector<net::JobStatus> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            batch.assign(queue_.begin(), queue_.end());
            queue_.clear();
            busy_ = true;
        }
        try {
            tally(archive_statuses(options_.archive, options_.vendor_api, batch));
        } catch (const std::exception& e) {
            log::error(std::string("archive of webhook jobs: ") + net::redact_text(e.what()));
        }
        std::lock_guard lock(mutex_);
        busy_ = false;
        wake_.notify_all();
    }
}

}  // namespace avpost::archive
