// `avpost archive ls|verify`: maps options onto the archive library (catalog, stores, verify).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/archive/unarchived.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {
namespace {

using namespace avpost::archive;

std::string human_size(std::optional<std::int64_t> size) {
    if (!size) return "-";
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(*size);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string expiry_text(const JobRecord& job, std::int64_t now) {
    if (!job.link_expires_at) return "-";
    std::int64_t left = *job.link_expires_at - now;
    if (left <= 0) return "EXPIRED";
    char buf[32];
    std::snprintf(buf, sizeof buf, "in %lldh%02lldm", static_cast<long long>(left / 3600),
                  static_cast<long long>(left % 3600 / 60));
    return buf;
}

struct ArchiveOptions {
    std::string root;
    std::string catalog;  // --catalog: a path or postgresql:// URI (default: $AVPOST_CATALOG, ROOT/catalog.db)
    // ls
    double expiring_hours = -1;
    std::string state;
    bool ls_json = false;
    // verify
    int sample = 0;
    bool all = false;
    bool verify_json = false;
};

std::string location_of(const ArchiveOptions& o) { return catalog_location(o.catalog, archive_root(o.root)); }

// A SQLite catalog that does not exist yet holds nothing: reading it creates nothing. A
// PostgreSQL catalog is always there to ask.
bool catalog_exists(const std::string& location) {
    return is_postgres_location(location) || std::filesystem::exists(location);
}

// Reading needs no write: a SQLite catalog is opened read-only, so listing and verifying work on
// a full disk or a read-only copy of the archive.
std::unique_ptr<Catalog> open_for_reading(const std::string& location) {
    CatalogOptions read_only;
    read_only.read_only = true;
    return open_catalog(location, read_only);
}

int run_ls(const ArchiveOptions& o, bool json) {
    const std::string location = location_of(o);
    std::vector<ListRow> rows;
    std::vector<UnarchivedFile> unarchived;
    std::int64_t now = unix_now();
    // A bad --state is a usage error whether or not anything is archived yet.
    const std::optional<AssetState> state =
        o.state.empty() ? std::nullopt : std::optional<AssetState>(asset_state_from_string(o.state));
    if (catalog_exists(location)) {  // no catalog yet: nothing archived, nothing at risk
        std::unique_ptr<Catalog> own = open_for_reading(location);
        Catalog& catalog = *own;
        ListQuery q;
        q.now = now;
        if (o.expiring_hours >= 0) q.expiring_within = std::int64_t(o.expiring_hours * 3600);
        q.state = state;
        rows = catalog.list(q);
        unarchived = unarchived_files(catalog);
    }
    // Whatever the filter, what is not archived is said every time (stderr: the table and the JSON
    // stay what they are).
    for (const UnarchivedFile& u : unarchived)
        if (u.lost() || u.damaged) log::error(describe(u, now));
    if (!unarchived.empty()) log::warning(summary(unarchived, now));
    if (json) {
        // docs/json/archive-ls.schema.json: an object, so fields can be added beside the list.
        nlohmann::json assets = nlohmann::json::array();
        for (const ListRow& r : rows) {
            nlohmann::json item = to_json(r.asset);
            item["job"] = to_json(r.job);
            assets.push_back(std::move(item));
        }
        nlohmann::json missing = nlohmann::json::array();
        for (const UnarchivedFile& u : unarchived) missing.push_back(to_json(u));
        std::cout << nlohmann::json{{"assets", assets}, {"unarchived", missing}}.dump() << "\n";
        return exit_ok;
    }
    // Columns as wide as their longest value (job ids and names have no fixed length); the size
    // right-aligned. Only a file fetched from a vendor link has a link expiry: what avpost made
    // itself (a composite, a delivery) shows "-".
    std::vector<std::vector<std::string>> table{{"ID", "VENDOR", "JOB", "KIND", "NAME", "STATE", "SIZE", "LINK", "WHERE"}};
    for (const ListRow& r : rows)
        table.push_back({std::to_string(r.asset.id), r.job.vendor, r.job.vendor_job_id, r.asset.kind, r.asset.name,
                         std::string(to_string(r.asset.state)), human_size(r.asset.size),
                         r.asset.source_url.empty() ? "-" : expiry_text(r.job, now),
                         r.asset.store_key.empty() ? "-" : stored_file_uri(r.asset.store_uri, r.asset.store_key)});
    std::vector<std::size_t> widths(table[0].size(), 0);
    for (const auto& row : table)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    constexpr std::size_t size_column = 6;
    for (const auto& row : table) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const std::size_t pad = widths[c] - row[c].size();
            if (c + 1 == row.size()) line += row[c];  // the last column is not padded
            else if (c == size_column) line += std::string(pad, ' ') + row[c] + " ";
            else line += row[c] + std::string(pad, ' ') + " ";
        }
        std::printf("%s\n", line.c_str());
    }
    if (o.expiring_hours >= 0 && !rows.empty())
        log::warning(std::to_string(rows.size()) + " file(s) not archived and their vendor link expires within " +
                     std::to_string(o.expiring_hours) + " hours (or has expired)");
    return exit_ok;
}

int run_verify(const ArchiveOptions& o, bool json) {
    if (o.all && o.sample > 0) throw_usage("give either --sample N or --all, not both");
    const std::string location = location_of(o);
    VerifyReport report;
    if (catalog_exists(location)) {
        std::unique_ptr<Catalog> own = open_for_reading(location);
        Catalog& catalog = *own;
        std::map<std::string, std::unique_ptr<ArchiveStore>> stores;
        StoreOpener open = [&](const std::string& uri) -> ArchiveStore& {
            auto& slot = stores[uri];
            if (!slot) slot = open_store(uri);
            return *slot;
        };
        std::optional<int> sample;
        if (o.sample > 0) sample = o.sample;
        report = check_assets(catalog, sample, open);
        // Recording when each file was last verified (so --sample moves on) is worth doing, not
        // worth failing for: the verdict above stands either way.
        try {
            std::unique_ptr<Catalog> writable = open_catalog(location);
            record_verify_results(*writable, report);
        } catch (const Error& e) {
            log::warning("the results were not recorded in the catalog: " + std::string(e.what()));
        }
    }
    if (json) {
        nlohmann::json items = nlohmann::json::array();
        for (const VerifyOutcome& v : report.items) items.push_back(to_json(v));
        std::cout << nlohmann::json{{"checked", report.items.size()}, {"ok", report.ok}, {"bad", report.bad},
                                    {"items", items}}
                         .dump()
                  << "\n";
    } else {
        for (const VerifyOutcome& v : report.items) {
            std::string where = stored_file_uri(v.row.asset.store_uri, v.row.asset.store_key);
            if (v.status == VerifyStatus::ok)
                std::printf("ok        %s\n", where.c_str());
            else
                std::printf("%-9s %s: %s\n", v.status == VerifyStatus::mismatch  ? "MISMATCH"
                                             : v.status == VerifyStatus::missing ? "MISSING"
                                                                                 : "ERROR",
                            where.c_str(), v.detail.c_str());
        }
        std::printf("%zu checked, %d ok, %d bad\n", report.items.size(), report.ok, report.bad);
    }
    std::fflush(stdout);
    if (report.bad > 0) {
        for (const VerifyOutcome& v : report.items)
            if (v.status != VerifyStatus::ok)
                log::error("verify " + std::string(to_string(v.status)) + ": asset " + std::to_string(v.row.asset.id) +
                           " " + stored_file_uri(v.row.asset.store_uri, v.row.asset.store_key) + ": " + v.detail);
        log::error("VERIFY FAILED: " + std::to_string(report.bad) + " of " + std::to_string(report.items.size()) +
                   " archived file(s) differ from the catalog or could not be read; `avpost archive repair` restores "
                   "them from a local copy (--from FILE) or the vendor");
        return exit_verify_failed;
    }
    return exit_ok;
}

}  // namespace

CommandSpec archive_command() {
    return {"archive", "Keep every render verified and catalogued (sync, add, ls, verify, export, repair)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                auto o = std::make_shared<ArchiveOptions>();
                sub.require_subcommand(1);
                sub.add_option("--archive", o->root,
                               "Archive root (default: $AVPOST_ARCHIVE, $XDG_DATA_HOME/avpost, ~/.local/share/avpost)");
                sub.add_option("--catalog", o->catalog,
                               "Catalog: a file path or a postgresql:// URI (default: $AVPOST_CATALOG, else "
                               "catalog.db in the archive root)");

                CLI::App* ls = sub.add_subcommand("ls", "List archived and pending files");
                ls->fallthrough();
                ls->add_option("--expiring", o->expiring_hours,
                               "Only files not yet archived whose vendor link expires within HOURS")
                    ->check(CLI::NonNegativeNumber);
                ls->add_option("--state", o->state,
                               "Only this state: pending|downloading|stored|verified|failed|expired-before-archived");
                ls->add_flag("--json", o->ls_json, "Print one JSON object: {\"assets\": [...]}");

                CLI::App* verify = sub.add_subcommand(
                    "verify", "Re-hash stored (and known damaged) files and compare with the catalog");
                verify->fallthrough();
                auto* sample = verify->add_option("--sample", o->sample,
                                                  "Check N files, least recently verified first")
                                   ->check(CLI::PositiveNumber);
                verify->add_flag("--all", o->all, "Check every stored and damaged file (the default)")->excludes(sample);
                verify->add_flag("--json", o->verify_json, "Print one JSON object");

                auto sync_commands = add_archive_sync_subcommands(sub, o->root, o->catalog, global);
                auto repair_command = add_archive_repair_subcommand(sub, o->root, o->catalog, global);

                return [o, ls, verify, sync_commands, repair_command, &global]() -> int {
                    if (ls->parsed()) return run_ls(*o, global.json || o->ls_json);
                    if (verify->parsed()) return run_verify(*o, global.json || o->verify_json);
                    if (auto rc = sync_commands()) return *rc;
                    if (auto rc = repair_command()) return *rc;
                    throw_usage("archive: choose sync, add, ls, verify, export or repair");
                };
            }};
}

}  // namespace avpost::tool
