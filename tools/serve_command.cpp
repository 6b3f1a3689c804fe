// `avpost serve`: the Akool webhook receiver (archive/webhook_receiver.hpp) on a local port.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/webhook_receiver.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "vendor_common.hpp"

namespace avpost::tool {

namespace {
struct ServeOptions {
    int port = 8080;
    std::string host = "127.0.0.1";
    std::string root;
    std::string catalog;
    std::string store;
    int jobs = 2;
    int max_age = 300;
};
}  // namespace

CommandSpec serve_command() {
    return {"serve", "Receive Akool webhooks: record each job, then archive it",
            [](CLI::App& sub, const GlobalOptions&) -> CommandRun {
                auto o = std::make_shared<ServeOptions>();
                sub.add_option("--port", o->port, "Port to listen on (0: any free port, printed)")
                    ->check(CLI::Range(0, 65535));
                sub.add_option("--host", o->host, "Address to listen on (put TLS termination in front)");
                sub.add_option("--archive", o->root,
                               "Archive root (default: $AVPOST_ARCHIVE, $XDG_DATA_HOME/avpost, ~/.local/share/avpost)");
                sub.add_option("--catalog", o->catalog,
                               "Catalog: a file path or a postgresql:// URI (default: $AVPOST_CATALOG, else "
                               "catalog.db in the archive root)");
                sub.add_option("--store", o->store, "Where files go: s3://bucket/prefix (default: the archive root)");
                sub.add_option("--jobs", o->jobs, "Downloads at once")->check(CLI::PositiveNumber);
                sub.add_option("--max-age", o->max_age, "Reject callbacks older (or newer) than SECONDS")
                    ->check(CLI::PositiveNumber);
                return [o]() -> int {
                    VendorEnvironment env = VendorEnvironment::from_env();
                    if (env.akool.client_id.empty() || env.akool.client_secret.empty())
                        net::throw_service(net::ServiceErrorKind::missing_credentials, ErrorDomain::usage, "serve", 0,
                                           "set AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET (they verify and decrypt "
                                           "the callbacks)");
                    archive::WebhookReceiverOptions r;
                    r.credentials = {env.akool.client_id, env.akool.client_secret};
                    r.verifier.max_age = std::chrono::seconds(o->max_age);
                    r.archive.vendor = net::Vendor::akool;
                    r.archive.archive_root = archive::archive_root(o->root);
                    r.archive.catalog = o->catalog;
                    std::string store_uri = o->store;
                    std::filesystem::path local = r.archive.archive_root;
                    r.archive.open_store = [store_uri, local]() -> std::unique_ptr<archive::ArchiveStore> {
                        if (store_uri.empty()) return std::make_unique<archive::LocalStore>(local);
                        return archive::open_store(store_uri);
                    };
                    r.archive.jobs = o->jobs;
                    r.archive.http = download_http_options(env);
                    net::akool::ClientOptions api;
                    api.base_url = env.akool_base_url;
                    api.credentials = env.akool;
                    if (env.max_attempts) api.http.retry.max_attempts = *env.max_attempts;
                    r.vendor_api = [api] { return archive::make_vendor_api(api); };

                    install_interrupt_handlers();
                    archive::WebhookReceiver receiver(r);
                    httplib::Server server;
                    receiver.install(server);
                    int port = o->port;
                    if (port == 0) port = server.bind_to_any_port(o->host);
                    else if (!server.bind_to_port(o->host, port))
                        throw_errno("listen on " + o->host + ":" + std::to_string(port), EADDRINUSE);
                    if (port < 0) throw_errno("listen on " + o->host, EADDRINUSE);
                    std::thread listener([&] { server.listen_after_bind(); });
                    receiver.start();
                    std::cout << "listening on http://" << o->host << ":" << port << std::endl;
                    while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    server.stop();
                    listener.join();
                    receiver.stop();
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
