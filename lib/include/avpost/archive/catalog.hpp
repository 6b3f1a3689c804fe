#pragma once
// The archive catalog: one SQLite file (WAL) in the archive root holding every vendor job and
// every asset derived from it, with where each asset is stored and whether it was verified.
// The schema is versioned with PRAGMA user_version and upgraded by an ordered list of
// migrations, each applied in its own transaction. Times are Unix seconds (UTC).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace avpost::archive {

// pending -> downloading (claimed) -> stored -> verified; failed and expired-before-archived
// are terminal until a person retries. A failed verify moves stored/verified to failed.
enum class AssetState { pending, downloading, stored, verified, failed, expired_before_archived };

std::string_view to_string(AssetState state);
AssetState asset_state_from_string(std::string_view text);  // throws Error(usage) on unknown text

// The kinds of file kept per job.
inline constexpr std::string_view asset_kinds[] = {"avatar", "mask", "composite", "delivery", "other"};

struct JobRecord {
    std::int64_t id = 0;
    std::string vendor;          // "akool", "a2v"
    std::string vendor_job_id;   // unique per vendor
    nlohmann::json request = nlohmann::json::object();  // the request as sent (no secrets)
    std::string status;          // the vendor's status word
    std::int64_t created_at = 0;
    std::optional<std::int64_t> link_expires_at;  // when the vendor's download link dies
    std::int64_t updated_at = 0;
};

struct MediaFacts {
    std::string codec;  // libavcodec name, e.g. "h264"
    int width = 0;
    int height = 0;
    double duration_seconds = 0.0;
    double frame_rate = 0.0;
};

struct AssetRecord {
    std::int64_t id = 0;
    std::int64_t job_id = 0;
    std::string kind;        // one of asset_kinds
    std::string name;        // file name within the job, e.g. "avatar.mp4"
    std::string source_url;  // redacted: no query string, no user info
    std::optional<std::int64_t> size;
    std::string sha256;      // lowercase hex, empty until known
    std::optional<MediaFacts> media;
    std::string store_uri;   // "file:///abs/root" or "s3://bucket/prefix"
    std::string store_key;   // key within the store, e.g. "akool/2026-11/JOB/avatar.mp4"
    AssetState state = AssetState::pending;
    std::string error;       // last error text, empty when none
    int attempts = 0;
    std::string claim_owner;
    std::optional<std::int64_t> claim_expires_at;
    std::optional<std::int64_t> verified_at;
    std::int64_t updated_at = 0;
};

// What a store confirmed about a stored file.
struct StoredFacts {
    std::int64_t size = 0;
    std::string sha256;
    std::optional<MediaFacts> media;
    std::string store_uri;
    std::string store_key;
};

// One migration: the SQL that takes the schema from version-1 to version.
struct Migration {
    int version;
    std::string_view sql;
};
const std::vector<Migration>& catalog_migrations();

struct CatalogOptions {
    std::chrono::milliseconds busy_timeout{10000};
    // Stop upgrading at this version (tests of the upgrade path); default: the latest.
    std::optional<int> target_version;
    // Replaces catalog_migrations() (tests of a failing migration).
    const std::vector<Migration>* migrations = nullptr;
    // Opens an existing catalog with SQLITE_OPEN_READONLY: nothing is written, nothing created,
    // so it works on a full disk or a read-only medium (archive verify). Only a catalog of an
    // older schema is first upgraded through a writing connection.
    bool read_only = false;
};

struct ListQuery {
    // Only assets not yet stored whose job link expires before now + this many seconds.
    std::optional<std::int64_t> expiring_within;
    std::optional<AssetState> state;
    std::int64_t now = 0;  // 0: the current time
};

struct ClaimFilter {
    std::string vendor;                       // empty: any vendor
    std::vector<std::string> vendor_job_ids;  // empty: any job
    std::vector<std::int64_t> exclude;        // asset ids not to claim
};

// A finished stage of an `avpost run` job: what it was computed from (a hash of its inputs) and
// what it produced (files with size and SHA-256, vendor job ids, ...).
struct StageRecord {
    std::string job_key;  // the job's name
    std::string stage;    // "render", "wait", "fetch", "compose", "archive"
    std::string fingerprint;
    nlohmann::json result = nlohmann::json::object();
    std::int64_t finished_at = 0;  // 0 when recording: now
};

struct ListRow {
    JobRecord job;
    AssetRecord asset;
};

// Removes the temporaries of catalogs whose creation a dead process left unfinished
// ("catalog.db.new-PID-N*" beside `catalog_file`). Returns how many files went.
int remove_abandoned_catalog_temporaries(const std::filesystem::path& catalog_file);

std::int64_t unix_now();
std::string iso8601(std::int64_t unix_seconds);  // "2026-11-21T05:30:00Z"

// Strips the query string, fragment and user info of a URL, so signatures and tokens in
// vendor links are never stored or printed.
std::string redact_url(std::string_view url);

nlohmann::json to_json(const JobRecord& job);
nlohmann::json to_json(const AssetRecord& asset);

class Catalog {
public:
    // Opens or creates the catalog file and brings its schema up to date. A new catalog is built
    // complete under a temporary name ("catalog.db.new-PID-N") and linked into place, so a failure
    // (a full disk) never leaves an empty or half-made catalog behind.
    explicit Catalog(const std::filesystem::path& file, CatalogOptions options = {});
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    static std::filesystem::path file_in(const std::filesystem::path& archive_root);  // ROOT/catalog.db

    int schema_version();
    static int latest_schema_version();

    // Inserts the job, or updates status, request and link expiry of the existing
    // (vendor, vendor_job_id). Returns its id.
    std::int64_t upsert_job(const JobRecord& job);
    std::optional<JobRecord> find_job(std::string_view vendor, std::string_view vendor_job_id);
    JobRecord job(std::int64_t id);
    // Jobs of a vendor with no asset yet (still rendering when last seen, or failed).
    std::vector<JobRecord> jobs_without_assets(std::string_view vendor);

    // Adds a pending asset (or returns the id of the existing one with this job and name).
    // The source URL is redacted before it is stored.
    std::int64_t add_asset(std::int64_t job_id, std::string_view kind, std::string_view name,
                           std::string_view source_url);
    AssetRecord asset(std::int64_t id);

    // Claims one asset for `owner` in a single IMMEDIATE transaction: pending, or downloading
    // with an expired lease. No two owners get the same asset while a lease is live.
    std::optional<AssetRecord> claim_next(std::string_view owner, std::chrono::seconds lease,
                                          std::int64_t now = 0);
    bool claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now = 0);
    // As claim_next, limited to one vendor (and, when given, to some of its jobs), skipping
    // `exclude` (assets this run already tried), nearest link expiry first (no expiry last).
    std::optional<AssetRecord> claim_next_for(std::string_view owner, std::chrono::seconds lease,
                                              const ClaimFilter& filter, std::int64_t now = 0);
    // Extends a claim `owner` still holds (long downloads). False when the claim was lost.
    bool renew_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now = 0);
    // The vendor link died and no fresh one could be had: the claim ends in expired-before-archived.
    void mark_expired(std::int64_t asset_id, std::string_view owner, std::string_view error);

    // Records a confirmed store; only the current claim owner may do this. The claim is kept
    // until mark_verified or mark_verify_failed (the owner reads the file back first), so no other
    // process verifies it meanwhile.
    void mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts);
    // Gives up a claim: back to pending (retryable) or to failed, with the error text.
    void release(std::int64_t asset_id, std::string_view owner, std::string_view error, bool retryable);

    void mark_verified(std::int64_t asset_id, std::int64_t now = 0);
    void mark_verify_failed(std::int64_t asset_id, std::string_view error);

    // Pending assets whose job link has expired become expired-before-archived. Returns how many.
    int expire_unarchived(std::int64_t now = 0);

    std::vector<ListRow> list(const ListQuery& query = {});
    // Stored or verified assets to re-check: all, or `sample` of them with the least recently
    // verified first (never verified first), so repeated sampling covers the whole archive.
    std::vector<ListRow> verify_candidates(std::optional<int> sample);

    // The asset of a job with this file name.
    std::optional<AssetRecord> find_asset(std::int64_t job_id, std::string_view name);

    // A failed asset goes back to pending, so a new attempt (a re-run job) may claim it.
    void requeue_failed(std::int64_t asset_id);
    // An expired-before-archived asset goes back to pending (the vendor offers it again), with
    // `reason` as its error text. Returns whether it did.
    bool requeue_expired(std::int64_t asset_id, std::string_view reason);

    // Finished stages of `avpost run` jobs (schema version 3).
    std::optional<StageRecord> find_stage(std::string_view job_key, std::string_view stage);
    void record_stage(const StageRecord& record);  // inserts or replaces
    void forget_stage(std::string_view job_key, std::string_view stage);

    sqlite3* handle() { return db_; }

private:
    void take_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now);

    void migrate(const CatalogOptions& options);
    sqlite3* db_ = nullptr;
};

}  // namespace avpost::archive
