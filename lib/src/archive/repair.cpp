#include "avpost/archive/repair.hpp"

#include <algorithm>
#include <map>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::archive {
namespace fs = std::filesystem;
namespace {

// Where `avpost run` jobs kept their archived files: each archive stage lists its assets with the
// local path they were stored from.
std::vector<fs::path> recorded_local_copies(Catalog& catalog, std::int64_t asset_id) {
    std::vector<fs::path> paths;
    for (const StageRecord& stage : catalog.stages_named("archive")) {
        if (!stage.result.contains("assets") || !stage.result["assets"].is_array()) continue;
        for (const nlohmann::json& a : stage.result["assets"])
            if (a.value("asset_id", std::int64_t(0)) == asset_id && a.contains("path") && a["path"].is_string())
                paths.emplace_back(a["path"].get<std::string>());
    }
    return paths;
}

class Repairer {
public:
    Repairer(Catalog& catalog, const StoreOpener& open, const RepairOptions& options)
        : catalog_(catalog), open_(open), options_(options) {}

    RepairOutcome repair(const ListRow& row) {
        const AssetRecord& a = row.asset;
        RepairOutcome out;
        out.asset_id = a.id;
        out.vendor = row.job.vendor;
        out.vendor_job_id = row.job.vendor_job_id;
        out.name = a.name;
        out.store_uri = a.store_uri;
        out.store_key = a.store_key;
        if (a.sha256.empty() || a.store_key.empty() || !a.size) {
            out.action = "not-repaired";
            out.detail = "never stored, so there is nothing to repair (`avpost archive sync` archives it)";
            return out;
        }
        ArchiveStore& store = open_(a.store_uri);
        if (holds_catalog_content(store, a)) {
            catalog_.mark_verified(a.id);
            out.action = "intact";
            out.detail = "the store holds the catalog's content";
            return out;
        }
        std::vector<std::string> tried;
        std::vector<fs::path> candidates = options_.from;
        for (const fs::path& p : recorded_local_copies(catalog_, a.id)) candidates.push_back(p);
        for (const fs::path& path : candidates) {
            std::error_code ec;
            if (!fs::is_regular_file(path, ec)) continue;
            FileDigest d = digest_of(path);
            if (d.sha256 != a.sha256 || d.size != *a.size) continue;
            if (restore(store, a, path, out)) {
                out.source = "local copy " + path.string();
                return out;
            }
        }
        tried.push_back(candidates.empty() ? "no local copy known (give one with --from FILE)"
                                           : "no local copy has sha256 " + a.sha256 + " (give one with --from FILE)");
        if (std::string why = refetch(store, row, out); why.empty()) return out;
        else tried.push_back(why);
        out.action = "not-repaired";
        out.detail.clear();
        for (const std::string& t : tried) out.detail += (out.detail.empty() ? "" : "; ") + t;
        return out;
    }

private:
    bool holds_catalog_content(ArchiveStore& store, const AssetRecord& a) {
        try {
            ObjectDigest d = store.rehash(a.store_key);
            return d.sha256 == a.sha256 && a.size && d.size == *a.size &&
                   (d.recorded_sha256.empty() || d.recorded_sha256 == a.sha256);
        } catch (const Error&) {
            return false;  // missing or unreadable: repaired below if a good copy is found
        }
    }

    FileDigest digest_of(const fs::path& path) {
        auto it = digests_.find(path);
        if (it == digests_.end()) it = digests_.emplace(path, sha256_file(path)).first;
        return it->second;
    }

    // Puts `file` (the catalog's content) in place and reads it back before calling it verified.
    bool restore(ArchiveStore& store, const AssetRecord& a, const fs::path& file, RepairOutcome& out) {
        store.replace(file, a.store_key, a.sha256, *a.size);
        if (!holds_catalog_content(store, a)) {
            out.detail = "the store returned other content after the repair";
            return false;
        }
        catalog_.mark_verified(a.id);
        out.action = "restored";
        out.detail.clear();
        return true;
    }

    // Empty when restored; else why not.
    std::string refetch(ArchiveStore& store, const ListRow& row, RepairOutcome& out) {
        const AssetRecord& a = row.asset;
        if (a.source_url.empty()) return "made by avpost, not fetched from a vendor link";
        if (!options_.refresh) return "no vendor re-fetch asked for";
        fs::path staged = options_.staging_dir / ("repair-" + std::to_string(a.id) + "-" + a.name);
        std::error_code ec;
        try {
            net::JobStatus st = options_.refresh(row.job);
            std::string url = link_for(st, a.name);
            if (st.state != net::JobState::finished || url.empty() || link_already_expired(url))
                return "the vendor offers no live link for it";
            fs::create_directories(options_.staging_dir, ec);
            net::HttpClient http(options_.http);
            net::Downloader downloader(http);
            net::DownloadResult got = downloader.download(url, staged);
            bool restored = got.sha256 == a.sha256 && got.bytes == *a.size && restore(store, a, staged, out);
            std::string differs = "the vendor's copy has sha256 " + got.sha256 + ", not the catalog's";
            fs::remove(staged, ec);
            if (!restored) return out.detail.empty() ? differs : out.detail;
            out.source = "vendor link";
            return {};
        } catch (const Error& e) {
            fs::remove(staged, ec);
            if (is_catalog_error(e) || e.context() == "interrupted") throw;
            return "vendor re-fetch failed: " + net::redact_text(e.what());
        }
    }

    Catalog& catalog_;
    const StoreOpener& open_;
    const RepairOptions& options_;
    std::map<fs::path, FileDigest> digests_;
};

}  // namespace

nlohmann::json to_json(const RepairOutcome& o) {
    return {{"asset_id", o.asset_id},   {"vendor", o.vendor},       {"vendor_job_id", o.vendor_job_id},
            {"name", o.name},           {"store_uri", o.store_uri}, {"store_key", o.store_key},
            {"action", o.action},       {"source", o.source.empty() ? nlohmann::json() : nlohmann::json(o.source)},
            {"detail", o.detail.empty() ? nlohmann::json() : nlohmann::json(o.detail)}};
}

std::vector<RepairOutcome> repair_assets(Catalog& catalog, const StoreOpener& open, const RepairOptions& options) {
    std::vector<ListRow> rows;
    for (ListRow& row : catalog.list()) {
        bool wanted = options.asset_ids.empty()
                          ? row.asset.damaged()
                          : std::find(options.asset_ids.begin(), options.asset_ids.end(), row.asset.id) !=
                                options.asset_ids.end();
        if (wanted) rows.push_back(std::move(row));
    }
    for (std::int64_t id : options.asset_ids)
        if (std::none_of(rows.begin(), rows.end(), [id](const ListRow& r) { return r.asset.id == id; }))
            throw_input("repair asset " + std::to_string(id), "the catalog has no such asset");
    Repairer repairer(catalog, open, options);
    std::vector<RepairOutcome> out;
    for (const ListRow& row : rows) {
        RepairOutcome o = repairer.repair(row);
        log::info("repair " + o.vendor + "/" + o.vendor_job_id + "/" + o.name + ": " + o.action +
                  (o.detail.empty() ? "" : " (" + o.detail + ")"));
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace avpost::archive
