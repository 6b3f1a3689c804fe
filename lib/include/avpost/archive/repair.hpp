#pragma once
// Repairing damaged archived files: a stored copy that no longer has the content the catalog
// recorded (verify found it) is replaced by a copy that has it, from a local file (given, or one
// an `avpost run` job recorded in its archive stage) or from the vendor while its link lives. Only
// content whose SHA-256 is the catalog's ever goes in, so a repair cannot make anything worse.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/archive/fetcher.hpp"
#include "avpost/net/http_client.hpp"

namespace avpost::archive {

struct RepairOptions {
    std::vector<std::int64_t> asset_ids;           // only these (empty: every damaged asset)
    std::vector<std::filesystem::path> from;       // local copies, matched to assets by SHA-256
    LinkRefresher refresh;                         // a live vendor link (empty: no re-fetch)
    net::HttpClientOptions http;                   // re-fetches
    std::filesystem::path staging_dir;             // re-fetches land here first
};

struct RepairOutcome {
    std::int64_t asset_id = 0;
    std::string vendor;
    std::string vendor_job_id;
    std::string name;
    std::string store_uri;
    std::string store_key;
    // "restored" (a good copy went in), "intact" (the store holds the catalog's content: marked
    // verified), "not-repaired" (no good copy found; `detail` says what was tried).
    std::string action;
    std::string source;  // "local copy PATH" or "vendor link" when restored
    std::string detail;  // no secrets
    bool ok() const { return action != "not-repaired"; }
};
nlohmann::json to_json(const RepairOutcome& outcome);

// Repairs each damaged asset (or each of `asset_ids`), in catalog order, and records the result.
std::vector<RepairOutcome> repair_assets(Catalog& catalog, const StoreOpener& open, const RepairOptions& options);

}  // namespace avpost::archive
