#pragma once
// GET /metrics over cpp-httplib: on a server of the caller's (avpost serve), or on one of its own
// on HOST:PORT in a thread (avpost worker --metrics-listen). The body is the process registry
// followed by the scrape-time collectors given (core/metrics.hpp).
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include "avpost/core/metrics.hpp"

namespace avpost::net {

using Collectors = std::vector<std::shared_ptr<const prometheus::Collectable>>;

// Serves GET /metrics on `server` (text/plain; version=0.0.4).
void install_metrics_endpoint(httplib::Server& server, Collectors extra = {});

struct ListenAddress {
    std::string host;  // without brackets: "127.0.0.1", "::1"
    int port = 0;      // 0: any free port
};
// "HOST:PORT" or "[IPV6]:PORT"; throws Error(usage) otherwise.
ListenAddress parse_listen_address(std::string_view text);

// A /metrics server of its own: listening once constructed (throws Error when it cannot bind),
// stopped and joined when destroyed.
class MetricsServer {
public:
    MetricsServer(const ListenAddress& address, Collectors extra = {});
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    int port() const { return port_; }
    std::string url() const;  // "http://127.0.0.1:9464/metrics"

private:
    ListenAddress address_;
    int port_ = 0;
    httplib::Server server_;
    std::thread thread_;
};

}  // namespace avpost::net
