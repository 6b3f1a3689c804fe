#include "avpost/net/metrics_endpoint.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>

#include "avpost/core/error.hpp"

namespace avpost::net {

void install_metrics_endpoint(httplib::Server& server, Collectors extra) {
    server.Get("/metrics", [extra = std::move(extra)](const httplib::Request&, httplib::Response& res) {
        std::vector<const prometheus::Collectable*> more;
        for (const auto& c : extra) more.push_back(c.get());
        res.set_content(metrics::render_process(more), metrics::content_type);
    });
}

ListenAddress parse_listen_address(std::string_view text) {
    const auto bad = [&] {
        std::string message(1, '\'');  // appended, not "'" + text: g++ 12 warns wrongly (-Wrestrict)
        message.append(text).append("' is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)");
        throw_usage(std::move(message));
    };
    ListenAddress a;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) bad();
        a.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.substr(0, colon).find(':') != std::string_view::npos) bad();
        a.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (a.host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() || a.port < 0 ||
        a.port > 65535)
        bad();
    return a;
}

MetricsServer::MetricsServer(const ListenAddress& address, Collectors extra) : address_(address) {
    install_metrics_endpoint(server_, std::move(extra));
    const std::string where = "listen on " + address.host + ":" + std::to_string(address.port) + " for /metrics";
    if (address.port == 0) port_ = server_.bind_to_any_port(address.host);
    else port_ = server_.bind_to_port(address.host, address.port) ? address.port : -1;
    if (port_ < 0) throw_errno(where, EADDRINUSE);
    auto ended = std::make_shared<std::atomic<bool>>(false);
    thread_ = std::thread([this, ended] {
        server_.listen_after_bind();
        *ended = true;
    });
    // A stop before the listening loop began would be lost (httplib stops only a running server).
    while (!server_.is_running() && !*ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetricsServer::~MetricsServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
}

std::string MetricsServer::url() const {
    const std::string host = address_.host == "0.0.0.0" ? "127.0.0.1"
                             : address_.host == "::"    ? "[::1]"
                             : address_.host.find(':') != std::string::npos ? "[" + address_.host + "]"
                                                                              : address_.host;
    return "http://" + host + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace avpost::net
