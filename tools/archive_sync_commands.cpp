// `avpost archive sync|add|export`: options onto the archive library (sync.hpp, export.hpp).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "avpost/archive/export.hpp"
#include "avpost/archive/local_store.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "vendor_common.hpp"

namespace avpost::tool {
namespace {

using namespace avpost::archive;

struct SyncCliOptions {
    std::string catalog;  // --catalog of `archive`
    std::string vendor;
    std::string store;
    int jobs = 1;
    double watch = 0;
    int rounds = 0;  // --watch: stop after this many rounds (0: until SIGINT/SIGTERM)
    int lease = 600;
    int immediate_retries = FetchOptions{}.max_claims;
    double retry_backoff = double(RetryBackoff{}.initial.count());
    bool json = false;
    std::vector<std::string> ids;
    // export
    std::string export_id;
    std::string export_dir;
    std::string export_vendor;
    bool export_json = false;
};

SyncOptions sync_options(const SyncCliOptions& o, const std::string& root, const VendorEnvironment& env) {
    SyncOptions s;
    s.vendor = net::parse_vendor(o.vendor);
    s.archive_root = archive_root(root);
    s.catalog = o.catalog;
    std::string store_uri = o.store;
    std::filesystem::path local = s.archive_root;
    s.open_store = [store_uri, local]() -> std::unique_ptr<ArchiveStore> {
        if (store_uri.empty()) return std::make_unique<LocalStore>(local);
        return open_store(store_uri);
    };
    if (o.jobs < 1) throw_usage("--jobs must be at least 1");
    s.jobs = o.jobs;
    s.http = download_http_options(env);
    s.fetch.lease = std::chrono::seconds(std::max(10, o.lease));
    s.fetch.max_claims = o.immediate_retries;
    s.fetch.retry_backoff.initial = std::chrono::seconds(std::int64_t(o.retry_backoff));
    return s;
}

VendorApiFactory vendor_api_factory(net::Vendor vendor, const VendorEnvironment& env) {
    // The options fail now, with exit code 10, when credentials are missing; each sync thread
    // makes its own client from them.
    if (vendor == net::Vendor::akool) return [o = pipeline::akool_client_options(env)] { return make_vendor_api(o); };
    return [o = pipeline::a2v_client_options(env)] { return make_vendor_api(o); };
}

std::string short_size(std::int64_t n) {
    char buf[32];
    if (n >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / (1 << 20));
    else if (n >= 1 << 10) std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / (1 << 10));
    else std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
    return buf;
}

void print_report(const SyncReport& r, bool json) {
    if (json) {
        std::cout << to_json(r).dump() << std::endl;
        if (!r.unarchived.empty()) log::error(summary(r.unarchived, unix_now()));
        return;
    }
    for (const FetchOutcome& i : r.items) {
        std::string what = i.vendor + "/" + i.vendor_job_id + "/" + i.name;
        if (i.state == "verified")
            std::printf("%-24s %s  %s  sha256 %s  -> %s/%s%s\n", i.state.c_str(), what.c_str(), short_size(i.size).c_str(),
                        i.sha256.c_str(), i.store_uri.c_str(), i.store_key.c_str(),
                        i.resumed_from > 0 ? (" (resumed at " + std::to_string(i.resumed_from) + " bytes)").c_str() : "");
        else
            std::printf("%-24s %s: %s\n", i.state.c_str(), what.c_str(), i.error.c_str());
    }
    for (const std::string& e : r.errors) std::printf("error                    %s\n", e.c_str());
    // Every file still not archived, every run (not only those this run tried): nothing is lost silently.
    const std::int64_t now = unix_now();
    for (const UnarchivedFile& u : r.unarchived)
        std::printf("%-24s %s\n", "not archived", describe(u, now).c_str());
    std::printf("%s: %d job(s) seen (%d running, %d failed renders); %d archived and verified, %d failed, "
                "%d expired before archived, %d left for a later run, %d being archived elsewhere\n",
                r.vendor.c_str(), r.jobs_seen, r.jobs_running, r.jobs_failed, r.verified, r.failed, r.expired,
                r.retry_later, r.busy);
    std::fflush(stdout);
    if (!r.unarchived.empty()) log::error(summary(r.unarchived, now));
}

int exit_for(const SyncReport& r) { return r.complete() ? exit_ok : exit_archive_incomplete; }

int run_sync(const SyncCliOptions& o, const std::string& root, bool json) {
    install_interrupt_handlers();
    VendorEnvironment env = VendorEnvironment::from_env();
    SyncOptions s = sync_options(o, root, env);
    VendorApiFactory api = vendor_api_factory(s.vendor, env);
    if (o.watch <= 0) {
        SyncReport r = sync_vendor(s, api);
        print_report(r, json);
        if (interrupted()) return exit_interrupted;
        return exit_for(r);
    }
    int last = exit_ok;
    for (int round = 1; !interrupted(); ++round) {
        try {
            SyncReport r = sync_vendor(s, api);
            print_report(r, json);
            last = exit_for(r);
        } catch (const Error& e) {
            if (interrupted()) break;
            // A vendor or network outage must not end the watch: report it and try again next round.
            log::error("archive sync round " + std::to_string(round) + ": " + net::redact_text(e.what()));
            last = exit_code_for(e);
        }
        if (o.rounds > 0 && round >= o.rounds) break;
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(long(o.watch * 1000));
        while (!interrupted() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return interrupted() ? exit_ok : last;  // stopping a watch on request is success
}

int run_add(const SyncCliOptions& o, const std::string& root, bool json) {
    install_interrupt_handlers();
    VendorEnvironment env = VendorEnvironment::from_env();
    SyncOptions s = sync_options(o, root, env);
    SyncReport r = add_jobs(s, vendor_api_factory(s.vendor, env), o.ids);
    print_report(r, json);
    if (interrupted()) return exit_interrupted;
    if (r.jobs_running > 0 && r.items.empty()) return exit_not_finished;
    return exit_for(r);
}

int run_export(const SyncCliOptions& o, const std::string& root, bool json) {
    const std::string location = catalog_location(o.catalog, archive_root(root));
    if (!is_postgres_location(location) && !std::filesystem::exists(location))
        throw_input("export " + o.export_id, "the archive has no catalog yet");
    // Export only reads: a read-only SQLite connection works on a read-only copy of the archive
    // and can never change the catalog.
    CatalogOptions read_only;
    read_only.read_only = true;
    std::unique_ptr<Catalog> own = open_catalog(location, read_only);
    Catalog& catalog = *own;
    std::vector<JobRecord> jobs = find_jobs(catalog, o.export_id, o.export_vendor);
    if (jobs.empty()) throw_input("export " + o.export_id, "the catalog knows no such job");
    if (jobs.size() > 1) throw_usage("job id " + o.export_id + " exists for several vendors: give --vendor");
    std::map<std::string, std::unique_ptr<ArchiveStore>> stores;
    StoreOpener open = [&](const std::string& uri) -> ArchiveStore& {
        auto& slot = stores[uri];
        if (!slot) slot = open_store(uri);
        return *slot;
    };
    std::vector<ExportedFile> files = export_job(catalog, jobs.front(), o.export_dir, open);
    if (json) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& f : files)
            items.push_back({{"asset_id", f.asset_id}, {"name", f.name}, {"path", f.path.string()}, {"bytes", f.size},
                             {"sha256", f.sha256}});
        std::cout << nlohmann::json{{"vendor", jobs.front().vendor}, {"vendor_job_id", jobs.front().vendor_job_id},
                                    {"files", items}}
                         .dump()
                  << std::endl;
    } else {
        for (const auto& f : files) std::cout << f.path.string() << "\n";
        std::cout.flush();
    }
    return exit_ok;
}

}  // namespace

std::function<std::optional<int>()> add_archive_sync_subcommands(CLI::App& archive, const std::string& root,
                                                                  const std::string& catalog,
                                                                  const GlobalOptions& global) {
    auto o = std::make_shared<SyncCliOptions>();
    auto common = [&](CLI::App* c, const char* json_help) {
        c->fallthrough();
        add_vendor_option(*c, o->vendor, {"akool", "a2v"});
        c->add_option("--store", o->store, "Where files go: s3://bucket/prefix (default: the archive root)");
        c->add_option("--jobs", o->jobs, "Downloads at once")->check(CLI::PositiveNumber);
        c->add_option("--lease", o->lease, "Seconds another process waits before taking over a stalled claim")
            ->check(CLI::Range(10, 86400));
        c->add_option("--immediate-retries", o->immediate_retries,
                      "Runs that retry a file whose download failed at once, before it waits between tries (default 20)")
            ->check(CLI::Range(1, 1000));
        c->add_option("--retry-backoff", o->retry_backoff,
                      "Seconds a failed file first waits before a later run tries it again; doubles at each "
                      "failure, at most an hour (default 60)")
            ->check(CLI::Range(0, 3600));
        c->add_flag("--json", o->json, json_help);
    };
    CLI::App* sync = archive.add_subcommand("sync", "Archive everything the vendor has that is not yet verified");
    common(sync, "Print one JSON object (one per round with --watch)");
    sync->add_option("--watch", o->watch, "Sync again every SECONDS until SIGINT/SIGTERM")->check(CLI::PositiveNumber);
    sync->add_option("--rounds", o->rounds, "With --watch: stop after N rounds")->check(CLI::PositiveNumber);

    CLI::App* add = archive.add_subcommand("add", "Record vendor jobs by id and archive them");
    common(add, "Print one JSON object");
    add->add_option("ids", o->ids, "Vendor job ids (Akool video model _id, A2V video_id)")->required();

    CLI::App* exp = archive.add_subcommand("export", "Copy a job's archived files into a directory");
    exp->fallthrough();
    exp->add_option("id", o->export_id, "Vendor job id")->required();
    exp->add_option("-o,--output", o->export_dir, "Destination directory")->required();
    exp->add_option("--vendor", o->export_vendor, "Vendor, when the id exists for both")
        ->check(CLI::IsMember({"akool", "a2v"}));
    exp->add_flag("--json", o->export_json, "Print one JSON object");

    return [o, sync, add, exp, &root, &catalog, &global]() -> std::optional<int> {
        o->catalog = catalog;
        if (sync->parsed()) return run_sync(*o, root, global.json || o->json);
        if (add->parsed()) return run_add(*o, root, global.json || o->json);
        if (exp->parsed()) return run_export(*o, root, global.json || o->export_json);
        return std::nullopt;
    };
}

}  // namespace avpost::tool
