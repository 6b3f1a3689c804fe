#pragma once
// `--webhook-listen [HOST:]PORT` (render --wait, run): Akool's callbacks received while waiting.
// Each is verified (AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET) and answered 200; one for a job that
// is being waited on wakes that wait, so a finished render is seen at once. One listener serves
// every wait of a run (jobs run at once share the port); polling stays the fallback for a lost
// callback.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

#include "avpost/net/akool_webhook.hpp"

namespace avpost::pipeline {

// With a webhook listened to, polls are only the fallback for a lost callback.
inline constexpr std::chrono::seconds kWebhookFallbackInterval{15};

class WebhookListener {
public:
    using OnEvent = std::function<void(const net::akool::WebhookEvent&)>;

    // Throws ServiceError(missing_credentials) without the client id and secret, Error(usage)
    // for an address that is not [HOST:]PORT, and a system error when the port is taken.
    explicit WebhookListener(const std::string& address);
    ~WebhookListener();
    WebhookListener(const WebhookListener&) = delete;
    WebhookListener& operator=(const WebhookListener&) = delete;

    const std::string& where() const { return where_; }  // "127.0.0.1:8091"

    // While the returned handle lives, verified callbacks for `job_id` go to `on_event` (on the
    // listener's thread).
    class Watch {
    public:
        Watch(WebhookListener& listener, std::string job_id) : listener_(listener), job_id_(std::move(job_id)) {}
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;

    private:
        WebhookListener& listener_;
        std::string job_id_;
    };
    [[nodiscard]] std::unique_ptr<Watch> watch(const std::string& job_id, OnEvent on_event);

private:
    void deliver(const net::akool::WebhookEvent& event);

    std::unique_ptr<net::akool::WebhookVerifier> verifier_;
    std::mutex mutex_;
    std::map<std::string, OnEvent> watchers_;
    httplib::Server server_;
    std::thread thread_;
    std::string where_;
};

}  // namespace avpost::pipeline
