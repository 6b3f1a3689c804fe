// avpost render / status / wait / fetch: start a render, follow it, download the result.
#include <fstream>
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

namespace avpost::tool {
namespace {

constexpr double kDefaultTimeout = 3600;  // A2V renders take 10-30 minutes
constexpr double kDefaultInterval = 5;

net::JobStatus wait_and_report(net::Vendor vendor, const std::string& id, double timeout, double interval, bool json) {
    VendorSession session(VendorEnvironment::from_env());
    net::JobStatus s = net::wait_for_job([&] { return session.status(vendor, id); }, wait_options(timeout, interval),
                                         [](const net::JobStatus& now) {
                                             log::info(now.id + ": " + std::string(net::to_string(now.state)));
                                         });
    print_status(s, json);
    throw_if_failed(s);
    return s;
}

void add_wait_options(CLI::App& sub, double& timeout, double& interval) {
    sub.add_option("--timeout", timeout, "Give up waiting after this many seconds (default 3600)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--interval", interval, "First poll interval in seconds; grows to 60 (default 5)")
        ->check(CLI::PositiveNumber);
}

// The archive learns of every render at once, so `archive sync` can keep it before its links
// expire (Akool has no job list to ask later). A render that started is never failed for this.
void record_in_archive(const net::JobStatus& status, const std::string& root) {
    try {
        archive::Catalog catalog(archive::Catalog::file_in(archive::archive_root(root)));
        archive::record_job_status(catalog, status);
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
                    std::string vendor, pose, audio, request, archive_dir;
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
                sub.add_flag("--wait", o->wait, "Wait for the render to finish and print the result");
                add_wait_options(sub, o->timeout, o->interval);
                sub.add_option("--archive", o->archive_dir,
                               "Archive whose catalog records the job (default: $AVPOST_ARCHIVE, ~/.local/share/avpost)");
                sub.add_flag("--no-archive", o->no_archive, "Do not record the job in the archive catalog");
                return [o, &global] {
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
                    }
                    if (!o->no_archive) record_in_archive(started, o->archive_dir);
                    if (!o->wait) {
                        if (global.json) print_json(started);
                        else std::cout << started.id << std::endl;
                        return 0;
                    }
                    log::info("render started: " + started.id);
                    net::JobStatus finished = wait_and_report(started.vendor, started.id, o->timeout, o->interval, global.json);
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
                    wait_and_report(net::parse_vendor(o->vendor), o->id, o->timeout, o->interval, global.json);
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
                    nlohmann::json out = {{"vendor", net::to_string(s.vendor)}, {"id", s.id}};
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
                    out["video"] = video.path.string();
                    out["video_bytes"] = video.bytes;
                    if (!s.mask_url.empty()) {
                        auto mask = download(s.mask_url, stem + "-mask.mp4");
                        out["mask"] = mask.path.string();
                        out["mask_bytes"] = mask.bytes;
                    }
                    if (global.json) {
                        print_json(out);
                    } else {
                        std::cout << out["video"].get<std::string>() << "\n";
                        if (out.contains("mask")) std::cout << out["mask"].get<std::string>() << "\n";
                    }
                    return 0;
                };
            }};
}

}  // namespace avpost::tool
