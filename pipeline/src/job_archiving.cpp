#include "avpost/pipeline/job_archiving.hpp"

#include <charconv>
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

// The lease token after `prefix` in an owner "queued job N lease TOKEN (worker)".
std::optional<std::int64_t> attempt_token(std::string_view owner, std::string_view prefix) {
    if (prefix.empty() || !owner.starts_with(prefix)) return std::nullopt;
    std::int64_t token = 0;
    const char* begin = owner.data() + prefix.size();
    auto [end, ec] = std::from_chars(begin, owner.data() + owner.size(), token);
    if (ec != std::errc() || end == begin) return std::nullopt;
    return token;
}

// Whether `holder`'s claim belongs to an earlier attempt of the job `owner` now runs.
bool earlier_attempt(const std::string& holder, const std::string& owner, const std::string& prefix) {
    auto theirs = attempt_token(holder, prefix), ours = attempt_token(owner, prefix);
    return theirs && ours && *theirs < *ours;
}

// A file an earlier run archived with this content. Stored but not yet read back (that run stopped
// between the two: the store or the catalog failed) it is read back now, as a file stored by this
// run is, before it counts as archived; a store other than this run's is left as it is.
ArchivedFile already_archived(archive::Catalog& catalog, archive::ArchiveStore& store, const archive::AssetRecord& a) {
    if (a.state == AssetState::verified || a.store_uri != store.uri()) return described(a, true);
    archive::ObjectDigest back = store.rehash(a.store_key);
    if (back.sha256 != a.sha256 || back.size != a.size.value_or(-1)) {
        catalog.mark_verify_failed(a.id, "read back " + std::to_string(back.size) + " bytes, sha256 " + back.sha256);
        throw Error(ErrorDomain::input, "archive " + a.name, 0, "the store returned other bytes than were stored");
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
                              const std::string& kind, const std::string& name, const fs::path& file,
                              const std::string& source_url, const std::string& owner,
                              const std::string& takeover_prefix, const std::optional<archive::JobLease>& fence) {
    FileDigest digest = sha256_file(file);
    std::string asset_name = name;
    if (auto existing = catalog.find_asset(catalog_job_id, asset_name); existing && kept(*existing)) {
        if (existing->sha256 == digest.sha256) return already_archived(catalog, store, *existing);
        asset_name = name_with_hash(name, digest.sha256);
        if (auto versioned = catalog.find_asset(catalog_job_id, asset_name); versioned && kept(*versioned))
            return already_archived(catalog, store, *versioned);
    }
    std::int64_t id = catalog.add_asset(catalog_job_id, kind, asset_name, source_url);
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
    if (!claimed && !takeover_prefix.empty()) {
        const std::string holder = catalog.asset(id).claim_owner;
        if (earlier_attempt(holder, owner, takeover_prefix)) {
            catalog.release(id, holder, "its job was taken over by another worker", true);
            claimed = claim();
        }
    }
    if (!claimed)
        throw Error(ErrorDomain::input, "archive " + asset_name, 0,
                    "another process is archiving it now (run again once it is done)");
    archive::StoredFacts facts = archive::archive_claimed_file(catalog, store, catalog.asset(id), owner, file, &digest,
                                                               fence ? &*fence : nullptr);
    // Read back through the store before calling it verified, as archive sync does.
    archive::ObjectDigest back = store.rehash(facts.store_key);
    if (back.sha256 != digest.sha256 || back.size != digest.size) {
        catalog.mark_verify_failed(id, "read back " + std::to_string(back.size) + " bytes, sha256 " + back.sha256);
        throw Error(ErrorDomain::input, "archive " + asset_name, 0, "the store returned other bytes than were stored");
    }
    catalog.mark_verified(id);
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
