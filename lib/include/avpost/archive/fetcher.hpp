#pragma once
// Fetching one claimed asset from its vendor link into the archive: a download that can be
// trusted (".part" beside the target, Range + If-Range resume, size against the server's, a few
// frames decoded, SHA-256, fsync + atomic rename), a fresh link from the vendor when a signed one
// has expired, then archive_claimed_file() and a read-back through the store before "verified".
//
// The SHA-256 is computed right after the transfer, on the complete ".part" file before it is
// renamed (the downloader's verify hook), not inside the transfer loop: a resumed file's earlier
// bytes were written by another process, so the whole file must be hashed anyway.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/net/http_client.hpp"
#include "avpost/net/render_job.hpp"

namespace avpost::archive {

// Asks the vendor for the job's current status (and so fresh signed links). Throws
// ServiceError(unknown_id) when the vendor no longer has the job.
using LinkRefresher = std::function<net::JobStatus(const JobRecord& job)>;

struct FetchOptions {
    std::filesystem::path staging_dir;   // downloads land here first (ARCHIVE/partial)
    std::chrono::seconds lease{600};     // claim lease, renewed while a download runs
    int max_link_refreshes = 2;          // fresh links asked for after 403s before giving up
    // Runs that retry a transient failure at once; after them (or after a failure that is not
    // transient) the asset is failed and retried with `retry_backoff` for as long as the vendor offers it.
    int max_claims = 20;
    RetryBackoff retry_backoff;
    int probe_frames = 3;                // frames that must decode before a video counts
    // (Transfers are retried by the HttpClient's RetryPolicy, the one its API calls use.)
    // Tests: runs on the downloaded file before it is stored (to corrupt it).
    std::function<void(const std::filesystem::path&)> before_store;
};

struct FetchOutcome {
    std::int64_t asset_id = 0;
    std::string vendor;
    std::string vendor_job_id;
    std::string kind;
    std::string name;
    // "verified", "failed", "expired-before-archived", "pending" (left for a later run), "lost"
    // (the claim was taken over by another process).
    std::string state;
    std::int64_t size = 0;
    std::string sha256;
    std::optional<MediaFacts> media;
    std::string store_uri;
    std::string store_key;
    std::int64_t resumed_from = 0;  // bytes already in ".part" when this run started on it
    int transfers = 0;
    int link_refreshes = 0;
    bool reused_download = false;   // a finished download of an interrupted run was used
    std::string error;
};
nlohmann::json to_json(const FetchOutcome& outcome);

// The signed link of asset `name` in a vendor status: avatar.mp4 the video, mask.mp4 the mask.
std::string link_for(const net::JobStatus& status, std::string_view name);

// The staging file of an asset: STAGING/VENDOR/JOB--NAME (its ".part" lies beside it).
std::filesystem::path staging_path(const std::filesystem::path& staging_dir, const JobRecord& job,
                                   std::string_view name);
// The staged copy of an asset and what a download leaves beside it (".part", ".part.etag").
std::vector<std::filesystem::path> staging_files(const std::filesystem::path& staged);

// How long a vendor documents its results to live (Akool: 7 days after generation); nullopt when
// it documents nothing (A2V). A job older than this may be concluded gone.
std::optional<std::chrono::seconds> documented_result_lifetime(std::string_view vendor);
// True when the job, recorded at `job.created_at`, is past its vendor's documented lifetime.
bool past_documented_lifetime(const JobRecord& job, std::int64_t now = 0);
// True when a signed link's own expiry (Expires=, X-Amz-Expires) has passed: a "fresh" link the
// vendor hands out already dead is the vendor saying the file is gone.
bool link_already_expired(std::string_view url, std::int64_t now = 0);

// Fetches, stores and verifies one asset `owner` has claimed, starting from `url` (empty: ask
// `refresh`). Never throws for a failure of this asset: the outcome says what became of it and
// the catalog holds the same. Rethrows interrupts (claim released first) and catalog errors, and
// throws DiskFull when a file (staging, store, catalog) cannot grow: the whole run must stop.
//
// "expired-before-archived" is concluded only from the vendor's own answer: it no longer knows
// the job, reports it without a link or only with an already expired one, or the job is past the
// vendor's documented lifetime. Links the vendor keeps handing out that fail (403, 404) leave the
// asset pending, however often: a later run, with the CDN back, archives it.
FetchOutcome fetch_claimed_asset(Catalog& catalog, ArchiveStore& store, net::HttpClient& http,
                                 const AssetRecord& claimed, std::string_view owner, std::string url,
                                 const LinkRefresher& refresh, const FetchOptions& options);

}  // namespace avpost::archive
