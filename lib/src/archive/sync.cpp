#include "avpost/archive/sync.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unistd.h>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/sqlite_catalog.hpp"
#include "avpost/archive/staging_cleanup.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::archive {
namespace fs = std::filesystem;
namespace {

class AkoolApi final : public VendorApi {
public:
    explicit AkoolApi(net::akool::ClientOptions o) : client_(std::move(o)) {}
    net::Vendor vendor() const override { return net::Vendor::akool; }
    std::optional<std::vector<net::JobStatus>> list_jobs() override { return std::nullopt; }
    net::JobStatus status(const std::string& id) override { return net::to_job_status(client_.video_info(id)); }

private:
    net::akool::Client client_;
};

class A2vApi final : public VendorApi {
public:
    explicit A2vApi(net::a2v::ClientOptions o) : client_(std::move(o)) {}
    net::Vendor vendor() const override { return net::Vendor::a2v; }
    std::optional<std::vector<net::JobStatus>> list_jobs() override {
        std::vector<net::JobStatus> out;
        for (const auto& v : client_.list_videos()) out.push_back(net::to_job_status(v));
        return out;
    }
    net::JobStatus status(const std::string& id) override { return net::to_job_status(client_.get(id)); }

private:
    net::a2v::Client client_;
};

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string query_value(std::string_view url, std::string_view name) {
    auto q = url.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view rest = url.substr(q + 1);
    rest = rest.substr(0, rest.find('#'));
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return {};
}

// A stored vendor status, decoded by the vendor's one decoder (net::job_state).
net::JobState stored_state(std::string_view vendor, std::string_view status) {
    return net::job_state(vendor == "akool" ? net::Vendor::akool : net::Vendor::a2v, status);
}

bool is_finished_status(std::string_view vendor, std::string_view status) {
    const net::JobState s = stored_state(vendor, status);
    return s == net::JobState::finished || s == net::JobState::failed;
}

bool is_failed_status(std::string_view vendor, std::string_view status) {
    return stored_state(vendor, status) == net::JobState::failed;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

// Field 22 of /proc/PID/stat: the start time in clock ticks since boot ("" when no such process).
std::string process_start(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto close = stat.rfind(')');
    if (close == std::string::npos) return {};
    std::string_view rest = std::string_view(stat).substr(close + 2);
    for (int field = 3; field < 22; ++field) {
        auto sp = rest.find(' ');
        if (sp == std::string_view::npos) return {};
        rest = rest.substr(sp + 1);
    }
    return std::string(rest.substr(0, rest.find(' ')));
}

fs::path staging_dir_of(const SyncOptions& options) {
    return options.fetch.staging_dir.empty() ? options.archive_root / "partial" : options.fetch.staging_dir;
}

std::unique_ptr<Catalog> open_sync_catalog(const SyncOptions& options) {
    return open_catalog(catalog_location(options.catalog, options.archive_root));
}

// What dead processes left: their claims go back to pending, staging files no asset needs any
// more and half-created catalogs are removed.
void clean_up_after_dead_processes(const SyncOptions& options, Catalog& catalog) {
    if (int n = release_dead_claims(catalog)) log::info("took over " + std::to_string(n) + " claim(s) of dead processes");
    if (!is_postgres_location(options.catalog))
        remove_abandoned_catalog_temporaries(catalog_location(options.catalog, options.archive_root));
    clean_staging(catalog, staging_dir_of(options));
}

// What one sync run shares between its workers.
struct Shared {
    std::mutex mutex;
    std::map<std::string, net::JobStatus> fresh;  // vendor job id -> status with live links
    std::set<std::int64_t> tried;                 // assets this run claimed (never twice per run)
    SyncReport* report = nullptr;
    std::exception_ptr failure;
};

void worker(const SyncOptions& options, const VendorApiFactory& vendor_api, const ClaimFilter& base_filter,
            Shared& shared, int index) {
    try {
        std::unique_ptr<Catalog> own_catalog = open_sync_catalog(options);
        Catalog& catalog = *own_catalog;
        std::unique_ptr<ArchiveStore> store = options.open_store();
        net::HttpClient http(options.http);
        std::unique_ptr<VendorApi> api;
        std::string tag = "w";  // appended: gcc 12 warns falsely (-Wrestrict) on "w" + string
        tag += std::to_string(index);
        const std::string owner = claim_owner(tag);
        FetchOptions fetch = options.fetch;
        fetch.staging_dir = staging_dir_of(options);
        LinkRefresher refresh = [&](const JobRecord& job) {
            if (!api) api = vendor_api();
            net::JobStatus st = api->status(job.vendor_job_id);
            record_job_status(catalog, st);
            std::lock_guard lock(shared.mutex);
            shared.fresh[st.id] = st;
            return st;
        };
        for (;;) {
            if (interrupted()) return;
            ClaimFilter filter = base_filter;
            {
                std::lock_guard lock(shared.mutex);
                if (shared.failure) return;  // another worker hit what stops the run (a full disk)
                filter.exclude.assign(shared.tried.begin(), shared.tried.end());
            }
            std::optional<AssetRecord> claimed = catalog.claim_next_for(owner, fetch.lease, filter);
            if (!claimed) return;
            std::string url;
            {
                std::lock_guard lock(shared.mutex);
                shared.tried.insert(claimed->id);
                JobRecord job = catalog.job(claimed->job_id);
                auto it = shared.fresh.find(job.vendor_job_id);
                if (it != shared.fresh.end()) url = link_for(it->second, claimed->name);
            }
            FetchOutcome out = fetch_claimed_asset(catalog, *store, http, *claimed, owner, url, refresh, fetch);
            log::info("archive " + out.vendor + "/" + out.vendor_job_id + "/" + out.name + ": " + out.state +
                      (out.error.empty() ? "" : " (" + out.error + ")"));
            std::lock_guard lock(shared.mutex);
            SyncReport& r = *shared.report;
            if (out.state == "verified") ++r.verified;
            else if (out.state == "expired-before-archived") ++r.expired;
            else if (out.state == "pending" || out.state == "lost") ++r.retry_later;
            else ++r.failed;
            r.items.push_back(std::move(out));
        }
    } catch (...) {
        std::lock_guard lock(shared.mutex);
        if (!shared.failure) shared.failure = std::current_exception();
    }
}

void archive_assets(const SyncOptions& options, const VendorApiFactory& vendor_api, const ClaimFilter& filter,
                    Shared& shared) {
    int n = std::max(1, options.jobs);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back(worker, std::cref(options), std::cref(vendor_api), std::cref(filter), std::ref(shared), i);
    for (auto& t : threads) t.join();
    if (shared.failure) std::rethrow_exception(shared.failure);
}

void note_status(SyncReport& report, const net::JobStatus& st) {
    ++report.jobs_seen;
    if (st.state == net::JobState::failed) ++report.jobs_failed;
    else if (st.state != net::JobState::finished) ++report.jobs_running;
}

// A live claim of another process: its lease runs and its owner is not known dead.
bool claim_held(const AssetRecord& a) {
    return !a.claim_owner.empty() && a.claim_expires_at && *a.claim_expires_at >= unix_now() &&
           !claim_owner_dead(a.claim_owner);
}

// Whether this sync's vendor and job list take in `row`.
bool sync_covers(const ClaimFilter& filter, const ListRow& row) {
    if (row.job.vendor != filter.vendor) return false;
    return filter.vendor_job_ids.empty() || std::find(filter.vendor_job_ids.begin(), filter.vendor_job_ids.end(),
                                                      row.job.vendor_job_id) != filter.vendor_job_ids.end();
}

void count_busy(Catalog& catalog, SyncReport& report, const ClaimFilter& filter) {
    for (AssetState state : {AssetState::downloading, AssetState::stored}) {
        ListQuery q;
        q.state = state;
        for (const ListRow& row : catalog.list(q))
            if (sync_covers(filter, row) && claim_held(row.asset)) ++report.busy;
    }
}

// Assets stored but never verified (a run stopped between the two): read back and settled.
void verify_stored(const SyncOptions& options, Catalog& catalog, const ClaimFilter& filter, SyncReport& report) {
    ListQuery q;
    q.state = AssetState::stored;
    std::map<std::string, std::unique_ptr<ArchiveStore>> stores;
    for (const ListRow& row : catalog.list(q)) {
        if (!sync_covers(filter, row)) continue;
        throw_if_interrupted();
        const AssetRecord& a = row.asset;
        // Still held by the process that stored it (it reads it back itself): not ours to settle.
        if (claim_held(a)) continue;
        FetchOutcome out;
        out.asset_id = a.id;
        out.vendor = row.job.vendor;
        out.vendor_job_id = row.job.vendor_job_id;
        out.kind = a.kind;
        out.name = a.name;
        out.store_uri = a.store_uri;
        out.store_key = a.store_key;
        out.media = a.media;
        try {
            auto& store = stores[a.store_uri];
            if (!store) {
                store = options.open_store();
                if (store->uri() != a.store_uri) store = open_store(a.store_uri);
            }
            ObjectDigest d = store->rehash(a.store_key);
            out.size = d.size;
            out.sha256 = d.sha256;
            const std::string mismatch = read_back_mismatch(d, a.size, a.sha256);
            if (mismatch.empty()) {
                catalog.mark_verified(a.id);
                out.state = "verified";
                ++report.verified;
            } else {
                out.error = "verify after store: " + mismatch;
                catalog.mark_verify_failed(a.id, out.error);
                out.state = "failed";
                ++report.failed;
            }
        } catch (const Error& e) {
            if (is_catalog_error(e) || e.context() == "interrupted") throw;
            out.error = net::redact_text(e.what());  // the store cannot be read now: try next run
            out.state = "stored";
            ++report.retry_later;
        }
        report.items.push_back(std::move(out));
    }
}

std::string problem(const std::string& id, const std::exception& e) {
    return net::redact_text("job " + id + ": " + e.what());
}

}  // namespace

std::unique_ptr<VendorApi> make_vendor_api(net::akool::ClientOptions options) {
    return std::make_unique<AkoolApi>(std::move(options));
}
std::unique_ptr<VendorApi> make_vendor_api(net::a2v::ClientOptions options) {
    return std::make_unique<A2vApi>(std::move(options));
}

std::optional<std::int64_t> link_expiry(std::string_view url) {
    if (auto v = parse_int(query_value(url, "Expires"))) return *v;
    std::string date = query_value(url, "X-Amz-Date");  // 20261121T055000Z
    auto seconds = parse_int(query_value(url, "X-Amz-Expires"));
    if (date.size() == 16 && seconds) {
        std::tm tm{};
        if (strptime(date.c_str(), "%Y%m%dT%H%M%SZ", &tm)) return std::int64_t(timegm(&tm)) + *seconds;
    }
    return std::nullopt;
}

std::int64_t record_job_status(Catalog& catalog, const net::JobStatus& st) {
    const std::string vendor(net::to_string(st.vendor));
    JobRecord job;
    if (auto existing = catalog.find_job(vendor, st.id)) {
        job = *existing;
        // A late, out-of-order report never takes a finished job back to running.
        if (!(is_finished_status(vendor, job.status) && !st.done())) job.status = st.vendor_status;
    } else {
        job.vendor = vendor;
        job.vendor_job_id = st.id;
        job.status = st.vendor_status;
        job.created_at = unix_now();
    }
    if (!st.video_url.empty())
        if (auto expiry = link_expiry(st.video_url)) job.link_expires_at = expiry;
    std::int64_t id = catalog.upsert_job(job);
    if (st.state == net::JobState::finished) {
        job.id = id;
        for (const auto& [name, kind, url] : {std::tuple{"avatar.mp4", "avatar", st.video_url},
                                              std::tuple{"mask.mp4", "mask", st.mask_url}}) {
            if (url.empty()) continue;
            std::int64_t asset = catalog.add_asset(id, kind, name, url);
            // The vendor offers the file again with a live link: whatever concluded it expired
            // (an older avpost, from failed downloads alone) was wrong, so it is tried again.
            if (!link_already_expired(url) && !past_documented_lifetime(job) &&
                catalog.requeue_expired(asset, "the vendor offers it again; tried again"))
                log::info("archive " + vendor + "/" + st.id + "/" + name + ": offered again by the vendor; pending");
        }
    }
    return id;
}

std::string claim_owner(std::string_view tag) {
    long pid = long(::getpid());
    return host_name() + ":" + std::to_string(pid) + ":" + process_start(pid) + "/" + std::string(tag);
}

bool claim_owner_dead(std::string_view owner) {
    std::string_view head = owner.substr(0, owner.find('/'));
    auto c1 = head.find(':');
    auto c2 = head.find(':', c1 == std::string_view::npos ? c1 : c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos) return false;
    if (head.substr(0, c1) != host_name()) return false;  // another host: wait for its lease
    auto pid = parse_int(head.substr(c1 + 1, c2 - c1 - 1));
    if (!pid || *pid <= 0) return false;
    std::string start = process_start(long(*pid));
    return start.empty() || start != head.substr(c2 + 1);
}

int release_dead_claims(Catalog& catalog) {
    ListQuery q;
    q.state = AssetState::downloading;
    int n = 0;
    for (const ListRow& row : catalog.list(q)) {
        if (!claim_owner_dead(row.asset.claim_owner)) continue;
        catalog.release(row.asset.id, row.asset.claim_owner, "the archiving process died; taken over", true);
        ++n;
    }
    return n;
}

nlohmann::json to_json(const SyncReport& r) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& i : r.items) items.push_back(to_json(i));
    nlohmann::json unarchived = nlohmann::json::array();
    for (const auto& u : r.unarchived) unarchived.push_back(to_json(u));
    return {{"vendor", r.vendor},           {"jobs_seen", r.jobs_seen}, {"jobs_running", r.jobs_running},
            {"jobs_failed", r.jobs_failed}, {"verified", r.verified},   {"failed", r.failed},
            {"expired", r.expired},         {"retry_later", r.retry_later}, {"busy", r.busy},
            {"complete", r.complete()},     {"items", items},           {"errors", r.errors},
            {"unarchived", unarchived}};
}

SyncReport sync_vendor(const SyncOptions& options, const VendorApiFactory& vendor_api) {
    SyncReport report;
    report.vendor = std::string(net::to_string(options.vendor));
    std::unique_ptr<Catalog> own_catalog = open_sync_catalog(options);
    Catalog& catalog = *own_catalog;
    clean_up_after_dead_processes(options, catalog);
    Shared shared;
    shared.report = &report;
    std::unique_ptr<VendorApi> api = vendor_api();
    if (auto listed = api->list_jobs()) {
        for (const net::JobStatus& st : *listed) {
            record_job_status(catalog, st);
            note_status(report, st);
            shared.fresh[st.id] = st;
        }
    } else {
        // Jobs the catalog knows that are not finished, or finished with nothing archived yet.
        std::set<std::string> ids;
        for (const ListRow& row : catalog.list()) {
            if (row.job.vendor != report.vendor) continue;
            if (row.asset.state == AssetState::pending) ids.insert(row.job.vendor_job_id);
        }
        // (A finished job without assets came from a report without its link: ask again.)
        for (const JobRecord& job : catalog.jobs_without_assets(report.vendor))
            if (!is_failed_status(job.vendor, job.status)) ids.insert(job.vendor_job_id);
        for (const std::string& id : ids) {
            throw_if_interrupted();
            try {
                net::JobStatus st = api->status(id);
                record_job_status(catalog, st);
                note_status(report, st);
                shared.fresh[st.id] = st;
            } catch (const net::ServiceError& e) {
                if (e.kind() == net::ServiceErrorKind::missing_credentials) throw;
                report.errors.push_back(problem(id, e));
            }
        }
    }
    ClaimFilter filter;
    filter.vendor = report.vendor;
    archive_assets(options, vendor_api, filter, shared);
    verify_stored(options, catalog, filter, report);
    count_busy(catalog, report, filter);
    report.unarchived = unarchived_files(catalog, {filter.vendor, filter.vendor_job_ids});
    clean_staging(catalog, staging_dir_of(options));  // copies of files verified just now
    return report;
}

SyncReport archive_statuses(const SyncOptions& options, const VendorApiFactory& vendor_api,
                            const std::vector<net::JobStatus>& statuses) {
    SyncReport report;
    report.vendor = std::string(net::to_string(options.vendor));
    std::unique_ptr<Catalog> own_catalog = open_sync_catalog(options);
    Catalog& catalog = *own_catalog;
    clean_up_after_dead_processes(options, catalog);
    Shared shared;
    shared.report = &report;
    ClaimFilter filter;
    filter.vendor = report.vendor;
    for (const net::JobStatus& st : statuses) {
        record_job_status(catalog, st);
        note_status(report, st);
        shared.fresh[st.id] = st;
        filter.vendor_job_ids.push_back(st.id);
    }
    if (filter.vendor_job_ids.empty()) return report;
    archive_assets(options, vendor_api, filter, shared);
    verify_stored(options, catalog, filter, report);
    count_busy(catalog, report, filter);
    report.unarchived = unarchived_files(catalog, {filter.vendor, filter.vendor_job_ids});
    clean_staging(catalog, staging_dir_of(options));
    return report;
}

SyncReport add_jobs(const SyncOptions& options, const VendorApiFactory& vendor_api, const std::vector<std::string>& ids) {
    std::vector<net::JobStatus> statuses;
    std::unique_ptr<VendorApi> api = vendor_api();
    for (const std::string& id : ids) statuses.push_back(api->status(id));  // an unknown id throws
    return archive_statuses(options, vendor_api, statuses);
}

}  // namespace avpost::archive
