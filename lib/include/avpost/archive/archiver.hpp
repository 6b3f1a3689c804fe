#pragma once
// The steps that tie the catalog to a store: keeping one claimed file, and verifying what is kept.
// (Fetching vendor links is the downloader's job; it hands a finished local file to
// archive_claimed_file.)
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::archive {

// Opens the file with libavformat and decodes up to `frames` frames; throws Error(input or av)
// when it is not a decodable video. Returns codec, size, duration and frame rate.
MediaFacts probe_media(const std::filesystem::path& file, int frames = 5);

// True when `file` of this kind must be a decodable video before it counts: avatar, mask and
// composite always; deliveries when they are video files (not posters, previews or playlists).
bool should_probe(std::string_view kind, const std::filesystem::path& file);

// Stores `file` for an asset `owner` has claimed: hashes it, probes it (video kinds), puts it
// into the store under the readable key, and marks it stored with what the store confirmed. On
// failure the claim is released, back to pending when worth retrying (disk, network, server) or to
// failed (unusable input, differing content already stored), and the error is rethrown.
// When `expected` is given (what was hashed as the file was downloaded), a file that no longer
// matches it is not stored; the claim goes back to pending (download again) and Error(input) is thrown.
// With `fence` (a worker's queued job), the stored mark is written only while that lease holds
// (else ClaimLost).
StoredFacts archive_claimed_file(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed,
                                 std::string_view owner, const std::filesystem::path& file,
                                 const FileDigest* expected = nullptr, const JobLease* fence = nullptr);

enum class VerifyStatus { ok, mismatch, missing, error };
std::string_view to_string(VerifyStatus status);

struct VerifyOutcome {
    ListRow row;
    VerifyStatus status = VerifyStatus::ok;
    std::string detail;  // what differs, or the error
    std::int64_t size = 0;
    std::string sha256;
};

struct VerifyReport {
    std::vector<VerifyOutcome> items;
    int ok = 0;
    int bad = 0;  // mismatch + missing + error
};

using StoreOpener = std::function<ArchiveStore&(const std::string& store_uri)>;

// Re-hashes stored assets (all, or a sample) through their stores and compares size and SHA-256
// with the catalog (and, for S3, the hash recorded as object metadata). Writes nothing: the
// catalog may be opened read-only (a full disk, a read-only medium).
VerifyReport check_assets(Catalog& catalog, std::optional<int> sample, const StoreOpener& open);
// Records what a check found: matches become verified (now), differences and missing files
// failed with the reason; store errors are not recorded.
void record_verify_results(Catalog& catalog, const VerifyReport& report);
// check_assets, then record_verify_results on the same catalog.
VerifyReport verify_assets(Catalog& catalog, std::optional<int> sample, const StoreOpener& open);

nlohmann::json to_json(const VerifyOutcome& outcome);

}  // namespace avpost::archive
