#pragma once
// Keeping a vendor's renders archived: record what the vendor reports (jobs, and once finished
// their video and mask) in the catalog, then archive every asset not yet stored, nearest link
// expiry first, with several downloads at once. Each worker thread has its own catalog
// connection, store, HTTP client and vendor client; catalog claims (BEGIN IMMEDIATE + lease) keep
// two processes from archiving the same file, and claims of dead processes on this host are
// released at once (others wait for their lease to run out).
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/fetcher.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/archive/unarchived.hpp"
#include "avpost/net/a2v_client.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"

namespace avpost::archive {

// The vendor calls sync needs; one instance per thread.
class VendorApi {
public:
    virtual ~VendorApi() = default;
    virtual net::Vendor vendor() const = 0;
    // Every job the vendor can list (A2V video.list); nullopt when it cannot list (Akool): then
    // the jobs the catalog knows (from render, add and webhooks) are asked about one by one.
    virtual std::optional<std::vector<net::JobStatus>> list_jobs() = 0;
    virtual net::JobStatus status(const std::string& id) = 0;
};
using VendorApiFactory = std::function<std::unique_ptr<VendorApi>()>;
using StoreFactory = std::function<std::unique_ptr<ArchiveStore>()>;

std::unique_ptr<VendorApi> make_vendor_api(net::akool::ClientOptions options);
std::unique_ptr<VendorApi> make_vendor_api(net::a2v::ClientOptions options);

struct SyncOptions {
    net::Vendor vendor = net::Vendor::a2v;
    std::filesystem::path archive_root;  // staging in ROOT/partial; the catalog too unless `catalog`
    std::string catalog;                 // a path or postgresql:// URI; empty: ROOT/catalog.db
    StoreFactory open_store;             // called once per worker
    int jobs = 1;                        // downloads at once
    net::HttpClientOptions http;         // downloads
    FetchOptions fetch;                  // staging_dir empty: ROOT/partial
};

struct SyncReport {
    std::string vendor;
    int jobs_seen = 0;        // jobs the vendor listed or was asked about
    int jobs_running = 0;     // not finished yet: archived by a later run
    int jobs_failed = 0;      // renders that failed at the vendor (nothing to archive)
    int verified = 0;
    int failed = 0;
    int expired = 0;          // expired-before-archived
    int retry_later = 0;      // left pending (network, disk): a later run carries on
    int busy = 0;             // being archived by another live process
    std::vector<FetchOutcome> items;
    std::vector<std::string> errors;  // per job problems while asking the vendor (redacted)
    // After the run, every file of the vendor (of the jobs given, for add) the archive does not
    // hold, whether this run tried it or not: failed files waiting for their backoff, files lost
    // or damaged earlier. A sync is complete only when there are none.
    std::vector<UnarchivedFile> unarchived;
    bool complete() const { return failed == 0 && expired == 0 && retry_later == 0 && unarchived.empty(); }
};
nlohmann::json to_json(const SyncReport& report);

// Lists the vendor (or asks about the catalog's jobs), records, archives.
SyncReport sync_vendor(const SyncOptions& options, const VendorApiFactory& vendor_api);
// Records the given job ids (asking the vendor for each) and archives only them.
SyncReport add_jobs(const SyncOptions& options, const VendorApiFactory& vendor_api, const std::vector<std::string>& ids);

// Records the given statuses (e.g. from webhooks: their links are used first) and archives only
// those jobs.
SyncReport archive_statuses(const SyncOptions& options, const VendorApiFactory& vendor_api,
                            const std::vector<net::JobStatus>& statuses);

// Records one vendor status: the job row (its request kept) and, once finished, its assets
// (avatar.mp4, plus mask.mp4 when there is a mask). Returns the job's catalog id.
std::int64_t record_job_status(Catalog& catalog, const net::JobStatus& status);

// When a signed link stops working, from its query (Expires=UNIX, or X-Amz-Date + X-Amz-Expires).
std::optional<std::int64_t> link_expiry(std::string_view url);

// "HOST:PID:START/TAG": identifies this process (and its start time, so a reused pid is not
// mistaken for it) in catalog claims.
std::string claim_owner(std::string_view tag);
// True when `owner` names a process on this host that no longer runs.
bool claim_owner_dead(std::string_view owner);
// Releases (back to pending) the claims of dead processes on this host. Returns how many.
int release_dead_claims(Catalog& catalog);

}  // namespace avpost::archive
