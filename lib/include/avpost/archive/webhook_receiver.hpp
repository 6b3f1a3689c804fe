#pragma once
// Receiving Akool callbacks into the archive: each delivery is verified and decrypted
// (akool_webhook.hpp), the job is recorded durably in the catalog, and only then answered 200;
// forged, malformed and stale deliveries get 400, a catalog failure 500 (so Akool retries), and
// a repeated delivery 200 without a second row. Completed jobs (status 3, with the link) are
// archived by one background worker, so answering never waits for a download.
#include <condition_variable>
#include <deque>
#include <httplib.h>
#include <mutex>
#include <thread>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/net/akool_webhook.hpp"

namespace avpost::archive {

struct WebhookReceiverOptions {
    net::akool::WebhookCredentials credentials;
    net::akool::WebhookVerifierOptions verifier;
    SyncOptions archive;          // vendor akool, archive root, store, staging
    VendorApiFactory vendor_api;  // fresh links when one has expired
    bool catch_up_on_start = true;  // the worker first syncs what earlier runs left pending
    CatalogOptions catalog;         // busy timeout of the handlers' connection
};

struct WebhookCounters {
    int accepted = 0;   // new events recorded
    int repeats = 0;    // deliveries of an event already recorded
    int rejected = 0;   // 400
    int errors = 0;     // 500: could not record
    int archived = 0;   // assets verified by the worker
    int not_archived = 0;  // assets the worker tried and could not archive
};

class WebhookReceiver {
public:
    explicit WebhookReceiver(WebhookReceiverOptions options);
    ~WebhookReceiver();  // stops the worker (an archive in progress is released, resumed next run)
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    // POST handler for any path.
    void handle(const httplib::Request& request, httplib::Response& response);
    void install(httplib::Server& server);

    void start();  // the archive worker
    void stop();
    WebhookCounters counters() const;
    // True once every queued job has been through the worker (tests).
    bool wait_idle(std::chrono::milliseconds timeout);
    net::akool::WebhookVerifier& verifier() { return verifier_; }

private:
    void run_worker();

    WebhookReceiverOptions options_;
    net::akool::WebhookVerifier verifier_;
    std::mutex catalog_mutex_;
    std::unique_ptr<Catalog> catalog_;  // the handlers' connection, one request at a time
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<net::JobStatus> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    WebhookCounters counters_;
    std::thread worker_;
};

}  // namespace avpost::archive
