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
#include "avpost/archive/file_record.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::archive {

// Opens the file with libavformat and decodes up to `frames` frames; throws Error(input or av)
// when it is not a decodable video. Returns codec, size, duration and frame rate.
MediaFacts probe_media(const std::filesystem::path& file, int frames = 5);

// True when `file` of this kind must be a decodable video before it counts: avatar, mask and
// composite always; deliveries when they are video files (not posters, previews or playlists).
bool should_probe(std::string_view kind, const std::filesystem::path& file);

// Stores `file` for an asset `owner` has claimed: probes it unless the record carries its media
// facts (video kinds), puts it into the store under the readable key (the store checks the bytes
// it copies against the record's size and hash: nothing is hashed twice), and marks it stored
// with what the store confirmed. On failure the claim is released, back to pending when worth
// retrying (net::is_transient: disk, network, server) or to failed (unusable input, differing
// content already stored), and the error is rethrown. A file that no longer holds the recorded
// bytes is not stored; its claim goes back to pending (download or write it again) and
// ContentChanged is thrown. With `fence` (a worker's queued job), the stored mark is written only
// while that lease holds (else ClaimLost).
StoredFacts archive_claimed_file(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed,
                                 std::string_view owner, const FileRecord& file, const JobLease* fence = nullptr);
// The same for a file nobody recorded yet (record_file first).
StoredFacts archive_claimed_file(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed,
                                 std::string_view owner, const std::filesystem::path& file);

struct StoreOutcome {
    StoredFacts facts;
    bool verified = false;
    std::string mismatch;  // what the read-back copy differs in, when not verified
};

// The one store-and-verify routine (fetch in archive sync and add, a job's archive stage):
// archive_claimed_file, then the stored copy read back through the store and compared with what
// was stored (read_back_mismatch). The asset ends verified, or failed with "verify after store:"
// and the difference. Errors as archive_claimed_file's, and the store's while reading back.
StoreOutcome store_and_verify(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed, std::string_view owner,
                              const FileRecord& file, const JobLease* fence = nullptr);

// What an object read back differs in from the size and SHA-256 the catalog holds for it (and,
// for S3, the hash recorded as the object's metadata); empty when it matches. The one comparison
// of store_and_verify, archive verify and sync's check of stored files.
std::string read_back_mismatch(const ObjectDigest& read_back, std::optional<std::int64_t> size,
                               const std::string& sha256);

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
