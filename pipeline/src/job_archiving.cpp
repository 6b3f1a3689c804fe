#include "avpost/pipeline/job_archiving.hpp"

#include <chrono>
#include <optional>
#include <string_view>

#include "avpost/archive/archiver.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/sha256.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using archive::AssetState;

namespace {

bool kept(const archive::AssetRecord& a) { return a.state == AssetState::stored || a.state == AssetState::verified; }

// "NAME-composite.mp4" -> "NAME-composite-0123456789ab.mp4".
std::string name_with_hash(const std::string& name, const std::string& sha256) {
    fs::path p(name);
    return p.stem().string() + "-" + sha256.substr(0, 12) + p.extension().string();
}

ArchivedFile described(const archive::AssetRecord& a, bool already) {
    ArchivedFile f;
    f.asset_id = a.id;
    f.kind = a.kind;
    f.name = a.name;
    f.size = a.size.value_or(0);
    f.sha256 = a.sha256;
    f.store_uri = a.store_uri;
    f.store_key = a.store_key;
    f.already = already;
    return f;
}

// Whether the asset's claim was made by an earlier attempt of the queued job `ours` leases now.
bool earlier_attempt(const archive::AssetRecord& asset, const archive::JobLease& ours) {
    return asset.claim_lease && asset.claim_lease->job_id == ours.job_id && asset.claim_lease->token < ours.token;
}

// A file an earlier run archived with this content. Stored but not yet read back (that run stopped
// between the two: the store or the catalog failed) it is read back now, as a file stored by this
// run is, before it counts as archived; a store other than this run's is left as it is.
ArchivedFile already_archived(archive::Catalog& catalog, archive::ArchiveStore& store, const archive::AssetRecord& a) {
    if (a.state == AssetState::verified || a.store_uri != store.uri()) return described(a, true);
    const std::string mismatch = archive::read_back_mismatch(store.rehash(a.store_key), a.size, a.sha256);
    if (!mismatch.empty()) {
        catalog.mark_verify_failed(a.id, "verify after store: " + mismatch);
        throw Error(ErrorDomain::input, "archive " + a.name, 0, "verify after store: " + mismatch);
    }
    catalog.mark_verified(a.id);
    return described(catalog.asset(a.id), true);
}

bool lease_still_held(archive::Catalog& catalog, const archive::JobLease& lease) {
    archive::QueuedJob job = catalog.queued_job(lease.job_id);
    return job.state == archive::QueueState::running && job.lease_token == lease.token;
}

}  // namespace

nlohmann::json to_json(const ArchivedFile& f) {
    return {{"asset_id", f.asset_id}, {"kind", f.kind},           {"name", f.name},         {"size", f.size},
            {"sha256", f.sha256},     {"store_uri", f.store_uri}, {"store_key", f.store_key}};
}

ArchivedFile archive_job_file(archive::Catalog& catalog, archive::ArchiveStore& store, std::int64_t catalog_job_id,
                              const archive::FileRecord& file, const std::string& source_url, const std::string& owner,
                              const std::optional<archive::JobLease>& fence) {
    std::string asset_name = file.name;
    if (auto existing = catalog.find_asset(catalog_job_id, asset_name); existing && kept(*existing)) {
        if (existing->sha256 == file.sha256) return already_archived(catalog, store, *existing);
        asset_name = name_with_hash(file.name, file.sha256);
        if (auto versioned = catalog.find_asset(catalog_job_id, asset_name); versioned && kept(*versioned))
            return already_archived(catalog, store, *versioned);
    }
    std::int64_t id = catalog.add_asset(catalog_job_id, file.kind, asset_name, source_url);
    catalog.requeue_failed(id);  // an earlier attempt failed: this run tries again
    const auto claim = [&] {
        constexpr std::chrono::seconds lease{600};
        return fence ? catalog.claim(id, owner, lease, *fence) : catalog.claim(id, owner, lease);
    };
    bool claimed = claim();
    if (!claimed && fence && !lease_still_held(catalog, *fence))
        throw archive::ClaimLost(ErrorDomain::system, "archive " + asset_name, 0,
                                 "the catalog refused the claim: queued job " + std::to_string(fence->job_id) +
                                     " is no longer held by this lease (taken over or cancelled)");
    if (!claimed && fence) {
        const archive::AssetRecord held = catalog.asset(id);
        if (earlier_attempt(held, *fence)) {
            catalog.release(id, held.claim_owner, "its job was taken over by another worker", true);
            claimed = claim();
        }
    }
    if (!claimed)
        throw Error(ErrorDomain::input, "archive " + asset_name, 0,
                    "another process is archiving it now (run again once it is done)");
    archive::StoreOutcome stored =
        archive::store_and_verify(catalog, store, catalog.asset(id), owner, file, fence ? &*fence : nullptr);
    if (!stored.verified)
        throw Error(ErrorDomain::input, "archive " + asset_name, 0, "verify after store: " + stored.mismatch);
    return described(catalog.asset(id), false);
}

bool still_archived(archive::Catalog& catalog, std::int64_t asset_id, const std::string& sha256) {
    try {
        archive::AssetRecord a = catalog.asset(asset_id);
        return kept(a) && a.sha256 == sha256;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace avpost::pipeline
