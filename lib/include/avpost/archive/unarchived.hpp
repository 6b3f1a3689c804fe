#pragma once
// What the archive does not hold yet, and how long each file's vendor link lives: what every sync,
// `archive ls` and `jobs` report, every run, so no file is lost silently. Read from the catalog,
// not from what one run happened to try.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

struct UnarchivedFile {
    std::int64_t asset_id = 0;
    std::string vendor;
    std::string vendor_job_id;
    std::string name;
    AssetState state = AssetState::pending;
    bool damaged = false;  // stored once, now differs: `avpost archive repair`
    std::string error;
    std::optional<std::int64_t> link_expires_at;  // only for files fetched from a vendor link
    std::optional<std::int64_t> retry_after;      // a failed file waiting for its backoff

    // The vendor link died before the file was archived: nothing will bring it back.
    bool lost() const { return state == AssetState::expired_before_archived; }
};

// Which files to look at: one vendor (empty: all), some of its jobs (empty: all).
struct UnarchivedQuery {
    std::string vendor;
    std::vector<std::string> vendor_job_ids;
};

// Every asset not verified (pending, failed, expired-before-archived, stored but not read back),
// nearest link expiry first; assets another live process is archiving right now are left out.
std::vector<UnarchivedFile> unarchived_files(Catalog& catalog, const UnarchivedQuery& query = {});

// "2d03h", "5h07m", "12m", "40s".
std::string duration_text(std::int64_t seconds);
// "a2v/JOB/avatar.mp4: failed (retried in 12m), link expires in 23h59m: ERROR", no secrets.
std::string describe(const UnarchivedFile& file, std::int64_t now);
// One line for the lot: "3 file(s) not archived: 2 left for a later run (links expire in 5h07m or
// later), 1 lost (vendor link expired)"; empty when there are none.
std::string summary(const std::vector<UnarchivedFile>& files, std::int64_t now);

nlohmann::json to_json(const UnarchivedFile& file);

}  // namespace avpost::archive
