// `avpost serve`: the archive gallery (archive/gallery_server.hpp), the HTTP job API
// (pipeline/job_api.hpp), GET /metrics (Prometheus) and, with Akool credentials, the Akool webhook
// receiver (archive/webhook_receiver.hpp) on one port; with --work N also N queue workers.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "avpost/archive/catalog_metrics.hpp"
#include "avpost/archive/gallery_access.hpp"
#include "avpost/archive/gallery_server.hpp"
#include "avpost/archive/local_store.hpp"
#include "avpost/archive/webhook_receiver.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/net/metrics_endpoint.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/pipeline/job_api.hpp"
#include "avpost/pipeline/worker.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "vendor_common.hpp"
#include "webhook_options.hpp"

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
    std::string token_file;
    int work = 0;
    std::string job_root;
    std::string output_root = "out";
    int max_attempts = archive::default_job_attempts;
    WebhookFlags webhooks;
};

// The tokens of --token-file (one a line, with its scope), else $AVPOST_GALLERY_TOKEN (a read
// token); none: loopback clients only.
archive::AccessTokens access_tokens(const std::string& token_file) {
    if (!token_file.empty()) return archive::AccessTokens::read_file(token_file);
    archive::AccessTokens tokens;
    if (const char* env = std::getenv("AVPOST_GALLERY_TOKEN"); env && *env) tokens.add(env, archive::TokenScope::read);
    return tokens;
}

// `serve --work N`: the queue's jobs run in this process, as `avpost worker --concurrency N` would.
pipeline::WorkerOptions embedded_worker(const ServeOptions& o, const std::string& queue) {
    pipeline::WorkerOptions w;
    w.catalog = queue;
    w.name = pipeline::default_worker_name() + "/serve";
    w.concurrency = o.work;
    w.run.env = pipeline::VendorEnvironment::from_env();
    w.run.parse.default_output_root = o.output_root;
    w.run.parse.default_archive_root = archive::archive_root(o.root);
    return w;
}

archive::WebhookReceiverOptions webhook_options(const ServeOptions& o, const VendorEnvironment& env) {
    archive::WebhookReceiverOptions r;
    r.credentials = {env.akool.client_id, env.akool.client_secret};
    r.verifier.max_age = std::chrono::seconds(o.max_age);
    r.archive.vendor = net::Vendor::akool;
    r.archive.archive_root = archive::archive_root(o.root);
    r.archive.catalog = o.catalog;
    std::string store_uri = o.store;
    std::filesystem::path local = r.archive.archive_root;
    r.archive.open_store = [store_uri, local]() -> std::unique_ptr<archive::ArchiveStore> {
        if (store_uri.empty()) return std::make_unique<archive::LocalStore>(local);
        return archive::open_store(store_uri);
    };
    r.archive.jobs = o.jobs;
    r.archive.http = download_http_options(env);
    net::akool::ClientOptions api;
    api.base_url = env.akool_base_url;
    api.credentials = env.akool;
    if (env.max_attempts) api.http.retry.max_attempts = *env.max_attempts;
    r.vendor_api = [api] { return archive::make_vendor_api(api); };
    return r;
}

// The address a person opens: the listening one, or 127.0.0.1 when listening on every address.
std::string url_host(const std::string& host) {
    if (host == "0.0.0.0" || host == "::" || host.empty()) return "127.0.0.1";
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}
}  // namespace

CommandSpec serve_command() {
    return {"serve", "Show the archive as a web page and answer the HTTP job API (docs/api.md); with Akool credentials also receive Akool webhooks",
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
                sub.add_option("--token-file", o->token_file,
                               "Access tokens, one a line: TOKEN or `TOKEN read` (gallery, reading the job API), "
                               "`TOKEN submit` (also submitting) (default: $AVPOST_GALLERY_TOKEN, a read token; none: "
                               "loopback clients only)");
                sub.add_option("--work", o->work,
                               "Also run N queued jobs at once in this process (one machine: no separate "
                               "`avpost worker`); default 0")
                    ->check(CLI::Range(0, 64));
                sub.add_option("--job-root", o->job_root,
                               "Jobs submitted over the API resolve relative paths here and may name local files "
                               "under it only (default: the working directory)");
                sub.add_option("--output-root", o->output_root,
                               "Where jobs without an \"output\" are made: OUTPUT_ROOT/NAME, under the job root "
                               "(default: out)");
                sub.add_option("--max-attempts", o->max_attempts,
                               "Attempts before a job submitted over the API counts as failed (default " +
                                   std::to_string(archive::default_job_attempts) + ")")
                    ->check(CLI::Range(1, 100));
                add_webhook_flags(sub, o->webhooks);
                return [o]() -> int {
                    VendorEnvironment env = VendorEnvironment::from_env();
                    archive::GalleryServerOptions g;
                    g.archive_root = archive::archive_root(o->root);
                    g.catalog_location = o->catalog;
                    archive::AccessTokens tokens = access_tokens(o->token_file);
                    g.tokens = tokens;
                    archive::GalleryServer gallery(g);
                    // The job API queues into the catalog the gallery shows.
                    const std::string queue = archive::catalog_location(o->catalog, g.archive_root);
                    pipeline::JobApiOptions api_options;
                    api_options.catalog = queue;
                    api_options.tokens = tokens;
                    api_options.job_root = o->job_root.empty() ? std::filesystem::current_path()
                                                               : std::filesystem::absolute(o->job_root);
                    api_options.checks.parse.default_output_root = api_options.job_root / o->output_root;
                    api_options.checks.parse.default_archive_root = g.archive_root;
                    api_options.allow_private_webhooks = o->webhooks.allow_private;
                    api_options.max_attempts = o->max_attempts;
                    pipeline::JobApi api(api_options);
                    httplib::Server server;
                    server.set_payload_max_length(api_options.max_body_bytes);
                    // API clients keep their connection: a reconnect every 5 requests (httplib's
                    // default) met a full listen queue under load (bench/api_bench.sh).
                    server.set_keep_alive_max_count(1000);
                    gallery.install(server);
                    api.install(server);
                    net::install_metrics_endpoint(
                        server, {std::make_shared<archive::CatalogMetrics>(
                                    archive::catalog_location(o->catalog, g.archive_root))});
                    const bool webhook = !env.akool.client_id.empty() && !env.akool.client_secret.empty();
                    std::unique_ptr<archive::WebhookReceiver> receiver;
                    if (webhook) receiver = std::make_unique<archive::WebhookReceiver>(webhook_options(*o, env));
                    if (receiver) receiver->install(server);
                    else
                        server.Post(R"(/.*)", [](const httplib::Request&, httplib::Response& res) {
                            res.status = 404;
                            res.set_content(R"({"ok":false,"error":"the webhook endpoint is off: AKOOL_CLIENT_ID )"
                                            R"(and AKOOL_CLIENT_SECRET are not set"})",
                                            "application/json");
                        });

                    install_interrupt_handlers();
                    int port = o->port;
                    if (port == 0) port = server.bind_to_any_port(o->host);
                    else if (!server.bind_to_port(o->host, port))
                        throw_errno("listen on " + o->host + ":" + std::to_string(port), EADDRINUSE);
                    if (port < 0) throw_errno("listen on " + o->host, EADDRINUSE);
                    std::thread listener([&] { server.listen_after_bind(); });
                    if (receiver) receiver->start();
                    // Completion webhooks from this process too: a one-machine setup needs no worker.
                    std::unique_ptr<pipeline::WebhookDelivery> webhooks;
                    if (!o->webhooks.secret_file.empty()) {
                        webhooks = std::make_unique<pipeline::WebhookDelivery>(
                            webhook_delivery_options(o->webhooks, queue, pipeline::default_worker_name() + "/serve"));
                        webhooks->start();
                    }
                    std::thread workers;
                    if (o->work > 0) {
                        pipeline::WorkerOptions w = embedded_worker(*o, queue);
                        w.run.parse.default_output_root = api_options.checks.parse.default_output_root;
                        workers = std::thread([w] { pipeline::run_worker(w); });
                    }
                    const std::string url = "http://" + url_host(o->host) + ":" + std::to_string(port) + "/";
                    std::cout << "listening on " << url << std::endl;
                    std::cout << "gallery: " << url
                              << (tokens.empty() ? " (no token: loopback clients only)"
                                                 : " (open it once with ?token=TOKEN)")
                              << std::endl;
                    std::cout << "job api: " << url << "api/v1/ (OpenAPI: " << url << "api/v1/openapi.json)"
                              << std::endl;
                    if (o->work > 0) std::cout << "working: " << o->work << " job(s) at once" << std::endl;
                    std::cout << "completion webhooks: "
                              << (webhooks ? "delivered from here" : "not sent from here (no --webhook-secret-file)")
                              << std::endl;
                    std::cout << "metrics: " << url << "metrics" << std::endl;
                    if (receiver) std::cout << "akool webhook: POST " << url << std::endl;
                    else
                        std::cout << "akool webhook: off (set AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET to receive "
                                     "callbacks)"
                                  << std::endl;
                    while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    server.stop();
                    listener.join();
                    // The workers saw the same interrupt: they release their running jobs and return.
                    if (workers.joinable()) workers.join();
                    if (webhooks) webhooks->stop();
                    if (receiver) receiver->stop();
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
