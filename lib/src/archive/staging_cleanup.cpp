#include "avpost/archive/staging_cleanup.hpp"

#include <string>
#include <string_view>

#include "avpost/core/log.hpp"

namespace avpost::archive {
namespace fs = std::filesystem;
namespace {

// "JOB--NAME", "JOB--NAME.part" or "JOB--NAME.part.etag" -> "JOB--NAME".
std::string staged_name(std::string name) {
    for (std::string_view suffix : {".part.etag", ".part"})
        if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
    return name;
}

// Whether a run may still use this file: its asset is waiting to be archived, or is being
// archived (a live claim: the holder owns its files).
bool still_useful(Catalog& catalog, const std::string& vendor, const std::string& staged) {
    auto sep = staged.rfind("--");
    if (sep == std::string::npos || sep == 0) return false;
    auto job = catalog.find_job(vendor, staged.substr(0, sep));
    if (!job) return false;
    auto asset = catalog.find_asset(job->id, staged.substr(sep + 2));
    if (!asset) return false;
    return asset->state == AssetState::pending || asset->state == AssetState::downloading;
}

}  // namespace

int clean_staging(Catalog& catalog, const fs::path& staging_dir) {
    std::error_code ec;
    fs::directory_iterator vendors(staging_dir, ec);
    if (ec) return 0;  // nothing staged yet
    int removed = 0;
    for (const auto& vendor_dir : vendors) {
        if (!vendor_dir.is_directory(ec)) continue;
        const std::string vendor = vendor_dir.path().filename().string();
        fs::directory_iterator files(vendor_dir.path(), ec);
        if (ec) continue;
        for (const auto& entry : files) {
            if (!entry.is_regular_file(ec)) continue;
            if (still_useful(catalog, vendor, staged_name(entry.path().filename().string()))) continue;
            if (fs::remove(entry.path(), ec)) {
                ++removed;
                log::info("removed '" + entry.path().string() + "': its asset needs it no more");
            }
        }
    }
    return removed;
}

}  // namespace avpost::archive
