// avpost render / status / wait / fetch: start a render, follow it, download the result.
#include <fstream>
#include <thread>
#include <iostream>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/json_depth.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "vendor_common.hpp"
#include "wait_display.hpp"
#include "avpost/pipeline/webhook_listener.hpp"

namespace avpost::tool {
using pipeline::kWebhookFallbackInterval;
using pipeline::WebhookListener;
namespace {

constexpr double kDefaultTimeout = 3600;  // A2V renders take 10-30 minutes
constexpr double kDefaultInterval = 1;     // the first polls; then a quarter of the time waited, up to 60 s
struct WaitRequest {
    net::Vendor vendor = net::Vendor::a2v;
    std::string id;
    double timeout = kDefaultTimeout, interval = kDefaultInterval;
    std::string webhook_listen;  // akool: [HOST:]PORT to receive its callbacks on
    std::string webhook_url;     // akool: the request's webhookUrl (said, not listened to)
};

net::JobStatus wait_and_report(const WaitRequest& r, const GlobalOptions& global) {
    install_interrupt_handlers();  // Ctrl-C ends the wait at once, the line left clean
    VendorSession session(VendorEnvironment::from_env());
    WaitDisplay display("", !global.quiet && !global.json);
    net::WaitOptions options = wait_options(r.timeout, r.interval);
    std::unique_ptr<WebhookListener> listener;
    std::unique_ptr<WebhookListener::Watch> watch;
    if (!r.webhook_listen.empty()) {
        if (r.vendor != net::Vendor::akool) throw_usage("--webhook-listen is for Akool renders (A2V has no webhooks)");
        listener = std::make_unique<WebhookListener>(r.webhook_listen);
        watch = listener->watch(r.id, [&display](const net::akool::WebhookEvent& e) {
            display.wake("akool job " + e.id + ": the webhook says status " + std::to_string(e.status) + ", polling now");
        });
        display.webhook("webhook on " + listener->where());
        options.initial_interval = std::max<std::chrono::milliseconds>(options.initial_interval, kWebhookFallbackInterval);
        options.max_interval = std::max(options.max_interval, options.initial_interval);
        display.note("akool job " + r.id + ": listening for its webhook on " + listener->where() +
                     "; polling every " + std::to_string(options.initial_interval.count() / 1000) + " s or more as a fallback");
    } else if (!r.webhook_url.empty()) {
        display.note("akool job " + r.id + ": Akool will also call the request's webhookUrl " +
                     archive::redact_url(r.webhook_url) +
                     " when it ends; to wait on that callback here, give --webhook-listen [HOST:]PORT where it arrives");
    }
    net::JobStatus s = net::wait_for_job([&] { return session.status(r.vendor, r.id); }, options,
                                         [&](const net::JobStatus& now) { display.status(now); },
                                         [&](std::chrono::milliseconds delay) { display.sleep(delay); });
    display.finished(s);
    print_status(s, global.json);
    throw_if_failed(s);
    return s;
}

void add_wait_options(CLI::App& sub, double& timeout, double& interval) {
    sub.add_option("--timeout", timeout, "Give up waiting after this many seconds (default 3600)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--interval", interval,
                   "First poll interval in seconds; then a quarter of the time waited, up to 60 (default 1)")
        ->check(CLI::PositiveNumber);
}

// The archive learns of every render at once, so `archive sync` can keep it before its links
// expire (Akool has no job list to ask later). A render that started is never failed for this.
void record_in_archive(const net::JobStatus& status, const std::string& root) {
    try {
        // Where `archive sync` looks: $AVPOST_CATALOG, else the archive root's catalog.db.
        auto catalog = archive::open_catalog(archive::catalog_location({}, archive::archive_root(root)));
        archive::record_job_status(*catalog, status);
    } catch (const Error& e) {
        log::warning("render " + status.id + " is not in the archive catalog (" + std::string(e.what()) +
                     "); run `avpost archive add --vendor " + std::string(net::to_string(status.vendor)) + " " +
                     status.id + "`");
    }
}

}  // namespace

CommandSpec render_command() {
    return {"render", "Start a render: A2V from a pose and an audio URL, Akool from a request JSON file",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor, pose, audio, request, archive_dir, webhook_listen, webhook_url;
                    bool wait = false, no_archive = false;
                    double timeout = kDefaultTimeout, interval = kDefaultInterval;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool", "a2v"});
                sub.add_option("--pose", o->pose, "A2V: pose id (from `avpost poses`)");
                sub.add_option("--audio", o->audio, "A2V: public http(s) URL of the audio (wav or mp3, at most a minute); not a local file");
                sub.add_option("--request", o->request,
                               "Akool: talking-avatar request JSON (width 3840, height 2160, avatar_from, elements, webhookUrl)")
                    ->check(CLI::ExistingFile);
                sub.add_flag("--wait", o->wait,
                             "Wait for the render to finish and print the result (on a terminal: its state, time waited, next poll)");
                add_wait_options(sub, o->timeout, o->interval);
                sub.add_option("--webhook-listen", o->webhook_listen,
                               "Akool with --wait: receive the request's webhookUrl callbacks on [HOST:]PORT (default host "
                               "127.0.0.1) and end the wait when one comes; polling becomes the fallback");
                sub.add_option("--archive", o->archive_dir,
                               "Archive whose catalog records the job (default: $AVPOST_ARCHIVE, ~/.local/share/avpost)");
                sub.add_flag("--no-archive", o->no_archive, "Do not record the job in the archive catalog");
                return [o, &global] {
                    if (!o->webhook_listen.empty() && (!o->wait || o->vendor != "akool"))
                        throw_usage("--webhook-listen needs --vendor akool and --wait");
                    auto env = VendorEnvironment::from_env();
                    net::JobStatus started;
                    if (o->vendor == "a2v") {
                        if (o->pose.empty() || o->audio.empty()) throw_usage("render --vendor a2v needs --pose and --audio");
                        // The vendor downloads the audio itself: a path here would only fail there, later.
                        if (!o->audio.starts_with("http://") && !o->audio.starts_with("https://"))
                            throw_usage("--audio '" + o->audio + "' is not a URL: A2V downloads the audio itself, so "
                                        "give a public http(s) URL (upload a local file first)");
                        started = net::to_job_status(make_a2v_client(env).generate(o->pose, o->audio));
                    } else {
                        if (o->request.empty()) throw_usage("render --vendor akool needs --request FILE");
                        std::ifstream in(o->request);
                        nlohmann::json j = nlohmann::json::parse(in, nullptr, false, true);
                        if (j.is_discarded() || !j.is_object()) throw_usage(o->request + " is not a JSON object");
                        if (auto deep = json_nested_too_deep(j))
                            throw_usage(o->request + ": " + *deep + ": nested deeper than " +
                                        std::to_string(max_json_depth) + " levels");
                        net::akool::TalkingAvatarRequest request;
                        try {
                            request = j.get<net::akool::TalkingAvatarRequest>();
                        } catch (const nlohmann::json::exception& e) {
                            throw_usage(o->request + ": " + e.what());
                        }
                        started = net::to_job_status(make_akool_client(env).create_talking_avatar(request));
                        o->webhook_url = request.webhook_url;
                    }
                    if (!o->no_archive) record_in_archive(started, o->archive_dir);
                    if (!o->wait) {
                        if (global.json) print_json(started);
                        else std::cout << started.id << std::endl;
                        return 0;
                    }
                    log::info("render started: " + started.id);
                    net::JobStatus finished = wait_and_report(
                        {started.vendor, started.id, o->timeout, o->interval, o->webhook_listen, o->webhook_url}, global);
                    if (!o->no_archive) record_in_archive(finished, o->archive_dir);
                    return 0;
                };
            }};
}

CommandSpec status_command() {
    return {"status", "Print a render's status and, when finished, its result links (redacted)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor, id;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool", "a2v"});
                sub.add_option("id", o->id, "Job id (Akool _id / A2V video_id)")->required();
                return [o, &global] {
                    VendorSession session(VendorEnvironment::from_env());
                    net::JobStatus s = session.status(net::parse_vendor(o->vendor), o->id);
                    print_status(s, global.json);
                    throw_if_failed(s);
                    return 0;
                };
            }};
}

CommandSpec wait_command() {
    return {"wait", "Poll a render until it finishes or fails", [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor, id;
                    double timeout = kDefaultTimeout, interval = kDefaultInterval;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool", "a2v"});
                sub.add_option("id", o->id, "Job id")->required();
                add_wait_options(sub, o->timeout, o->interval);
                return [o, &global] {
                    wait_and_report({net::parse_vendor(o->vendor), o->id, o->timeout, o->interval, {}, {}}, global);
                    return 0;
                };
            }};
}

CommandSpec fetch_command() {
    return {"fetch", "Download a finished render's video (and A2V's mask) into a directory, verified",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor, id, dir;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool", "a2v"});
                sub.add_option("id", o->id, "Job id")->required();
                sub.add_option("-o,--output", o->dir, "Directory to write <id>.mp4 (and <id>-mask.mp4) into")->required();
                return [o, &global] {
                    install_interrupt_handlers();  // Ctrl-C leaves the .part for the next fetch to resume
                    auto env = VendorEnvironment::from_env();
                    VendorSession session(env);
                    // Status first: it also hands out freshly signed links.
                    net::JobStatus s = session.status(net::parse_vendor(o->vendor), o->id);
                    throw_if_failed(s);
                    if (s.state != net::JobState::finished)
                        net::throw_service(net::ServiceErrorKind::timeout, ErrorDomain::vendor, "fetch " + s.id, 0,
                                           "not finished yet (" + std::string(net::to_string(s.state)) +
                                               "); run `avpost wait` first");
                    if (s.video_url.empty())
                        net::throw_service(net::ServiceErrorKind::bad_response, ErrorDomain::vendor, "fetch " + s.id, 0,
                                           "finished without a video link");
                    std::filesystem::create_directories(o->dir);
                    net::HttpClient http(download_http_options(env));
                    net::Downloader downloader(http);
                    net::DownloadOptions options;
                    options.verify = [](const std::filesystem::path& p, const std::string&) { net::verify_decodable_video(p); };
                    // Ids come from the vendor: keep only safe characters in file names.
                    std::string stem;
                    for (char c : s.id) stem += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
                    // docs/json/fetch.schema.json: each file as {"path", "bytes"}; no matte: "mask" null.
                    nlohmann::json out = {{"vendor", net::to_string(s.vendor)}, {"id", s.id}, {"mask", nullptr}};
                    // A progress line per file on a terminal (never in CI, with --quiet or --json).
                    auto download = [&](const std::string& url, const std::string& name) {
                        Progress progress("fetch " + name, 0, !global.quiet && !global.json, Progress::Unit::bytes);
                        options.progress = [&progress](std::int64_t done, std::int64_t total) {
                            if (total > 0) progress.set_total(total);
                            progress.update(done);
                        };
                        auto result = downloader.download(url, std::filesystem::path(o->dir) / name, options);
                        progress.finish();
                        return result;
                    };
                    auto video = download(s.video_url, stem + ".mp4");
                    out["video"] = {{"path", video.path.string()}, {"bytes", video.bytes}};
                    if (!s.mask_url.empty()) {
                        auto mask = download(s.mask_url, stem + "-mask.mp4");
                        out["mask"] = {{"path", mask.path.string()}, {"bytes", mask.bytes}};
                    }
                    if (global.json) {
                        print_json(out);
                    } else {
                        std::cout << out["video"]["path"].get<std::string>() << "\n";
                        if (!out["mask"].is_null()) std::cout << out["mask"]["path"].get<std::string>() << "\n";
                    }
                    return 0;
                };
            }};
}

}  // namespace avpost::tool
