#include "avpost/net/akool_webhook_endpoint.hpp"

#include <mutex>

#include "avpost/core/log.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::net::akool {

httplib::Server::Handler make_webhook_handler(WebhookVerifier& verifier,
                                              std::function<void(const WebhookEvent&)> on_event,
                                              WebhookEndpointCounters* counters) {
    auto mutex = std::make_shared<std::mutex>();
    return [&verifier, on_event = std::move(on_event), counters, mutex](const httplib::Request& req,
                                                                         httplib::Response& res) {
        try {
            WebhookEvent event = verifier.verify(req.body);
            {
                std::lock_guard lock(*mutex);
                if (counters) ++(event.repeat ? counters->repeats : counters->accepted);
            }
            if (!event.repeat && on_event) on_event(event);
            res.status = 200;
            res.set_content("{\"ok\":true}", "application/json");
        } catch (const ServiceError& e) {
            {
                std::lock_guard lock(*mutex);
                if (counters) ++counters->rejected;
            }
            log::warning(std::string("akool webhook rejected: ") + e.detail());
            res.status = 400;
            res.set_content("{\"ok\":false}", "application/json");
        }
    };
}

}  // namespace avpost::net::akool
