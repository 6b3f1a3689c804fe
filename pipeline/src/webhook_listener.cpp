#include "avpost/pipeline/webhook_listener.hpp"

#include <cerrno>

#include "avpost/core/error.hpp"
#include "avpost/net/akool_webhook_endpoint.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/pipeline/vendor_session.hpp"

namespace avpost::pipeline {

WebhookListener::WebhookListener(const std::string& address) {
    VendorEnvironment env = VendorEnvironment::from_env();
    if (env.akool.client_id.empty() || env.akool.client_secret.empty())
        net::throw_service(net::ServiceErrorKind::missing_credentials, ErrorDomain::usage, "--webhook-listen", 0,
                           "set AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET (they verify and decrypt the callbacks)");
    std::string host = "127.0.0.1";
    std::string port_text = address;
    if (auto colon = address.rfind(':'); colon != std::string::npos) {
        host = address.substr(0, colon);
        port_text = address.substr(colon + 1);
    }
    int port = 0;
    try {
        std::size_t used = 0;
        port = std::stoi(port_text, &used);
        if (used != port_text.size() || port <= 0 || port > 65535) throw std::invalid_argument("port");
    } catch (const std::exception&) {
        throw_usage("--webhook-listen '" + address + "' is not [HOST:]PORT");
    }
    verifier_ = std::make_unique<net::akool::WebhookVerifier>(
        net::akool::WebhookCredentials{env.akool.client_id, env.akool.client_secret});
    server_.Post(".*", net::akool::make_webhook_handler(*verifier_, [this](const net::akool::WebhookEvent& e) { deliver(e); }));
    server_.set_keep_alive_max_count(1);  // no idle connection holds the stop back
    if (!server_.bind_to_port(host, port)) throw_errno("listen on " + host + ":" + std::to_string(port), EADDRINUSE);
    where_ = host + ":" + std::to_string(port);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
}

WebhookListener::~WebhookListener() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
}

std::unique_ptr<WebhookListener::Watch> WebhookListener::watch(const std::string& job_id, OnEvent on_event) {
    std::lock_guard lock(mutex_);
    watchers_[job_id] = std::move(on_event);
    return std::make_unique<Watch>(*this, job_id);
}

WebhookListener::Watch::~Watch() {
    std::lock_guard lock(listener_.mutex_);
    listener_.watchers_.erase(job_id_);
}

void WebhookListener::deliver(const net::akool::WebhookEvent& event) {
    std::lock_guard lock(mutex_);
    if (auto it = watchers_.find(event.id); it != watchers_.end()) it->second(event);
}

}  // namespace avpost::pipeline
