// `avpost archive repair`: options onto the archive library's repair (repair.hpp).
#include <cstdio>
#include <iostream>
#include <map>

#include "avpost/archive/repair.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "vendor_common.hpp"

namespace avpost::tool {
namespace {

using namespace avpost::archive;

struct RepairCliOptions {
    std::string catalog;  // --catalog of `archive`
    std::vector<std::int64_t> ids;
    std::vector<std::string> from;
    bool no_vendor = false;
    bool json = false;
};

// Asks the job's vendor for a live link, with the credentials of the environment; a vendor
// without credentials fails only the re-fetch of its files, not the repair of the others.
LinkRefresher vendor_refresher(const VendorEnvironment& env) {
    return [env, clients = std::make_shared<std::map<std::string, std::unique_ptr<VendorApi>>>()](const JobRecord& job) {
        auto& api = (*clients)[job.vendor];
        if (!api) {
            if (net::parse_vendor(job.vendor) == net::Vendor::akool)
                api = make_vendor_api(pipeline::akool_client_options(env));
            else
                api = make_vendor_api(pipeline::a2v_client_options(env));
        }
        return api->status(job.vendor_job_id);
    };
}

int run_repair(const RepairCliOptions& o, const std::string& root, bool json) {
    const std::filesystem::path archive = archive_root(root);
    const std::string location = catalog_location(o.catalog, archive);
    if (!is_postgres_location(location) && !std::filesystem::exists(location))
        throw_input("repair", "the archive has no catalog yet");
    std::unique_ptr<Catalog> catalog = open_catalog(location);
    std::map<std::string, std::unique_ptr<ArchiveStore>> stores;
    StoreOpener open = [&](const std::string& uri) -> ArchiveStore& {
        auto& slot = stores[uri];
        if (!slot) slot = open_store(uri);
        return *slot;
    };
    RepairOptions options;
    options.asset_ids = o.ids;
    for (const std::string& f : o.from) {
        if (!std::filesystem::is_regular_file(f)) throw_input("repair --from '" + f + "'", "no such file");
        options.from.emplace_back(f);
    }
    VendorEnvironment env = VendorEnvironment::from_env();
    if (!o.no_vendor) options.refresh = vendor_refresher(env);
    options.http = download_http_options(env);
    options.staging_dir = archive / "partial";
    std::vector<RepairOutcome> outcomes = repair_assets(*catalog, open, options);
    int left = 0;
    for (const RepairOutcome& r : outcomes) left += r.ok() ? 0 : 1;
    if (json) {
        nlohmann::json items = nlohmann::json::array();
        for (const RepairOutcome& r : outcomes) items.push_back(to_json(r));
        std::cout << nlohmann::json{{"checked", outcomes.size()}, {"repaired", outcomes.size() - std::size_t(left)},
                                    {"not_repaired", left}, {"items", items}}
                         .dump()
                  << std::endl;
    } else {
        for (const RepairOutcome& r : outcomes) {
            std::string what = r.vendor + "/" + r.vendor_job_id + "/" + r.name;
            std::string how = r.action == "restored" ? "from " + r.source : r.detail;
            std::printf("%-13s %s -> %s/%s: %s\n", r.action.c_str(), what.c_str(), r.store_uri.c_str(),
                        r.store_key.c_str(), how.c_str());
        }
        std::printf("%zu damaged file(s): %zu repaired, %d not repaired\n", outcomes.size(),
                    outcomes.size() - std::size_t(left), left);
        std::fflush(stdout);
    }
    if (left > 0) {
        log::error("REPAIR INCOMPLETE: " + std::to_string(left) +
                   " archived file(s) still differ from the catalog; give a good copy with --from FILE");
        return exit_verify_failed;
    }
    return exit_ok;
}

}  // namespace

std::function<std::optional<int>()> add_archive_repair_subcommand(CLI::App& archive, const std::string& root,
                                                                   const std::string& catalog,
                                                                   const GlobalOptions& global) {
    auto o = std::make_shared<RepairCliOptions>();
    CLI::App* repair = archive.add_subcommand(
        "repair", "Restore damaged archived files from a local copy or the vendor (what verify found)");
    repair->fallthrough();
    repair->add_option("ids", o->ids, "Asset ids to repair (default: every damaged one; `archive ls --state failed`)");
    repair->add_option("--from", o->from,
                       "A local copy to restore from, used for whichever damaged file has its SHA-256 (repeatable)");
    repair->add_flag("--no-vendor", o->no_vendor, "Do not re-fetch from the vendor, only from local copies");
    repair->add_flag("--json", o->json, "Print one JSON object");
    return [o, repair, &root, &catalog, &global]() -> std::optional<int> {
        if (!repair->parsed()) return std::nullopt;
        o->catalog = catalog;
        return run_repair(*o, root, global.json || o->json);
    };
}

}  // namespace avpost::tool
