#include "avpost/archive/fetcher.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "avpost/archive/disk_full.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/retry_rule.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::archive {
namespace fs = std::filesystem;
namespace {

// The vendor's own answer says the file is gone: no such job, no (live) link, or past its lifetime.
struct LinkGone {
    std::string reason;
};

// The vendor still hands out links but they fail: not a conclusion, a later run tries again.
struct LinksRefused {
    std::string reason;
};

// Removes the staged copy of an asset and its partial download (nothing when `staged` is unknown).
void drop_staging(const fs::path& staged) {
    if (staged.empty()) return;
    std::error_code ec;
    for (const fs::path& f : staging_files(staged)) fs::remove(f, ec);
}

bool is_interrupt(const Error& e) { return e.domain() == ErrorDomain::system && e.context() == "interrupted"; }

std::string safe_text(const std::string& text) { return net::redact_text(text); }

// Renews the claim every quarter lease for as long as the asset is being fetched and stored (an
// upload of a large file can outlast the lease too), on a connection of its own: a catalog
// connection must not be shared between threads that open transactions.
class LeaseKeeper {
public:
    LeaseKeeper(Catalog& catalog, std::int64_t asset_id, std::string owner, std::chrono::seconds lease) {
        thread_ = std::thread([this, &catalog, asset_id, owner = std::move(owner), lease] {
            std::unique_lock lock(mutex_);
            auto every = std::max<std::chrono::milliseconds>(lease / 4, std::chrono::milliseconds(500));
            std::unique_ptr<Catalog> own;
            while (!wake_.wait_for(lock, every, [this] { return stop_; })) {
                try {
                    if (!own) own = catalog.open_another();
                    if (!own->renew_claim(asset_id, owner, lease)) lost_ = true;
                } catch (const std::exception& e) {
                    log::warning(std::string("renewing an archive claim: ") + e.what());
                }
            }
        });
    }
    ~LeaseKeeper() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    bool lost() const { return lost_; }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::atomic<bool> lost_{false};
    std::thread thread_;
};

}  // namespace

nlohmann::json to_json(const FetchOutcome& o) {
    nlohmann::json j = {{"asset_id", o.asset_id},
                        {"vendor", o.vendor},
                        {"vendor_job_id", o.vendor_job_id},
                        {"kind", o.kind},
                        {"name", o.name},
                        {"state", o.state},
                        {"bytes", o.size},
                        {"sha256", o.sha256},
                        {"store_uri", o.store_uri},
                        {"store_key", o.store_key},
                        {"resumed_from", o.resumed_from},
                        {"transfers", o.transfers},
                        {"link_refreshes", o.link_refreshes},
                        {"reused_download", o.reused_download},
                        {"error", o.error.empty() ? nlohmann::json() : nlohmann::json(o.error)},
                        {"media", nullptr}};
    if (o.media)
        j["media"] = {{"codec", o.media->codec},
                      {"width", o.media->width},
                      {"height", o.media->height},
                      {"duration_seconds", o.media->duration_seconds},
                      {"frame_rate", o.media->frame_rate}};
    return j;
}

std::string link_for(const net::JobStatus& status, std::string_view name) {
    if (name == "mask.mp4") return status.mask_url;
    return status.video_url;
}

std::vector<fs::path> staging_files(const fs::path& staged) {
    return {staged, fs::path(staged.string() + ".part"), fs::path(staged.string() + ".part.etag")};
}

std::optional<std::chrono::seconds> documented_result_lifetime(std::string_view vendor) {
    if (vendor == "akool") return std::chrono::hours(24 * 7);  // "Resources expire 7 days after generation"
    return std::nullopt;
}

bool past_documented_lifetime(const JobRecord& job, std::int64_t now) {
    auto lifetime = documented_result_lifetime(job.vendor);
    if (!lifetime || job.created_at <= 0) return false;
    return (now != 0 ? now : unix_now()) > job.created_at + lifetime->count();
}

bool link_already_expired(std::string_view url, std::int64_t now) {
    auto expiry = link_expiry(url);
    return expiry && *expiry <= (now != 0 ? now : unix_now());
}

fs::path staging_path(const fs::path& staging_dir, const JobRecord& job, std::string_view name) {
    check_store_key(job.vendor + "/" + job.vendor_job_id + "/" + std::string(name));  // no "..", no '/' in ids
    // One flat directory per vendor: removing a per-job directory once empty would race with
    // another worker about to stage the job's other file there.
    return staging_dir / job.vendor / (job.vendor_job_id + "--" + std::string(name));
}

FetchOutcome fetch_claimed_asset(Catalog& catalog, ArchiveStore& store, net::HttpClient& http,
                                 const AssetRecord& claimed, std::string_view owner, std::string url,
                                 const LinkRefresher& refresh, const FetchOptions& options) {
    FetchOutcome out;
    out.asset_id = claimed.id;
    out.kind = claimed.kind;
    out.name = claimed.name;
    JobRecord job = catalog.job(claimed.job_id);
    out.vendor = job.vendor;
    out.vendor_job_id = job.vendor_job_id;
    const bool video = should_probe(claimed.kind, claimed.name);

    // Never final: a transient failure is retried by the next run, up to max_claims runs; after
    // that, or after any other failure, the asset is failed and retried after a growing backoff
    // for as long as the vendor offers it (only the vendor's answer ends it: LinkGone below).
    auto give_up = [&](const std::string& error, bool transient) {
        out.error = safe_text(error);
        if (transient && claimed.attempts < options.max_claims) {
            out.state = "pending";
            catalog.release(claimed.id, owner, out.error, true);
            return;
        }
        if (transient) out.error = "failed " + std::to_string(claimed.attempts) + " times: " + out.error;
        out.state = "failed";
        catalog.release_with_backoff(claimed.id, owner, out.error, options.retry_backoff);
    };

    fs::path dest;
    LeaseKeeper keeper(catalog, claimed.id, std::string(owner), options.lease);
    try {
        dest = staging_path(options.staging_dir, job, claimed.name);
        std::error_code ec;
        fs::create_directories(dest.parent_path(), ec);
        if (ec) throw_errno("create '" + dest.parent_path().string() + "'", ec.value());
        // The claim makes these files ours: a validator whose partial file is gone is useless.
        if (!fs::exists(dest.string() + ".part", ec)) fs::remove(dest.string() + ".part.etag", ec);

        // Hashed (and probed) once, as it downloads: the store checks its copy against this.
        FileRecord record{claimed.kind, claimed.name, dest, 0, {}, std::nullopt};
        bool have = false;
        // A finished download of a run that stopped before storing it: use it if it still checks out.
        if (fs::exists(dest, ec)) {
            try {
                if (video) record.media = probe_media(dest, options.probe_frames);
                FileDigest digest = sha256_file(dest);
                record.bytes = digest.size;
                record.sha256 = digest.sha256;
                have = true;
                out.reused_download = true;
            } catch (const Error& e) {
                log::warning("discarding unusable earlier download '" + dest.string() + "': " + e.what());
                fs::remove(dest, ec);
            }
        }
        if (!have) {
            const fs::path part(dest.string() + ".part");
            out.resumed_from = fs::exists(part, ec) ? std::int64_t(fs::file_size(part, ec)) : 0;
            auto fresh_link = [&]() -> std::string {
                if (!refresh) throw LinkGone{"no way to ask the vendor for a fresh link"};
                net::JobStatus st;
                try {
                    st = refresh(job);
                } catch (const net::ServiceError& e) {
                    if (e.kind() == net::ServiceErrorKind::unknown_id)
                        throw LinkGone{"the vendor no longer knows job " + job.vendor_job_id};
                    throw;
                }
                std::string fresh = link_for(st, claimed.name);
                if (st.state != net::JobState::finished || fresh.empty())
                    throw LinkGone{"the vendor reports job " + job.vendor_job_id + " as " +
                                   std::string(net::to_string(st.state)) + " without a link for " + claimed.name};
                if (link_already_expired(fresh))
                    throw LinkGone{"the vendor hands out only an already expired link for " + job.vendor_job_id + "/" +
                                   claimed.name};
                return fresh;
            };
            if (url.empty()) url = fresh_link();

            net::Downloader downloader(http);
            int corrupt = 0;
            for (;;) {
                std::int64_t announced = 0;
                net::DownloadOptions dl;
                dl.progress = [&](std::int64_t, std::int64_t total) {
                    announced = total;
                    throw_if_interrupted();
                    if (keeper.lost())
                        throw ClaimLost(ErrorDomain::system, "renew claim", 0, "the claim is no longer held (taken over)");
                };
                dl.verify = [&](const fs::path& file, const std::string& sha256) {
                    std::int64_t size = std::int64_t(fs::file_size(file));
                    if (announced > 0 && size != announced)
                        throw_input("download of " + claimed.name, "got " + std::to_string(size) +
                                                                        " bytes but the server announced " +
                                                                        std::to_string(announced));
                    if (video) record.media = probe_media(file, options.probe_frames);  // throws when not decodable
                    record.bytes = size;  // hashed while it downloaded: no second read
                    record.sha256 = sha256;
                };
                try {
                    net::DownloadResult r = downloader.download(url, dest, dl);
                    out.transfers += r.attempts;
                    break;
                } catch (const net::ServiceError& e) {
                    if (e.kind() != net::ServiceErrorKind::link_expired && e.kind() != net::ServiceErrorKind::unknown_id)
                        throw;
                    if (out.link_refreshes >= options.max_link_refreshes) {
                        if (past_documented_lifetime(job))
                            throw LinkGone{"job " + job.vendor_job_id + " is past " + job.vendor +
                                           "'s documented lifetime and its links fail: " + std::string(e.what())};
                        throw LinksRefused{"the vendor still offers " + job.vendor_job_id + "/" + claimed.name +
                                           " but its links failed " + std::to_string(out.link_refreshes + 1) +
                                           " times (" + e.what() + "); left pending for a later run"};
                    }
                    log::info("link of " + job.vendor_job_id + "/" + claimed.name + " expired; asking " + job.vendor +
                              " for a fresh one");
                    url = fresh_link();
                    ++out.link_refreshes;
                } catch (const Error& e) {
                    // Complete but unusable (not a video, wrong size): the downloader removed it;
                    // one fresh download, then the asset is failed.
                    if (e.domain() != ErrorDomain::input || ++corrupt > 1) throw;
                    log::warning("download of " + job.vendor_job_id + "/" + claimed.name +
                                 " is unusable; downloading again: " + safe_text(e.what()));
                }
            }
        }
        if (options.before_store) options.before_store(dest);

        StoreOutcome stored;
        try {
            stored = store_and_verify(catalog, store, claimed, owner, record);
        } catch (const ClaimLost& e) {
            out.state = "lost";
            out.error = e.what();
            return out;
        } catch (const Error& e) {
            if (is_interrupt(e) || is_disk_full(e)) throw;  // the staged copy stays usable
            // The claim was released (a changed local copy must be fetched again), or the file is
            // stored and only its read-back failed (sync's next run verifies it).
            fs::remove(dest, ec);
            out.error = safe_text(e.what());
            out.state = std::string(to_string(catalog.asset(claimed.id).state));
            return out;
        }
        out.size = stored.facts.size;
        out.sha256 = stored.facts.sha256;
        out.media = stored.facts.media;
        out.store_uri = stored.facts.store_uri;
        out.store_key = stored.facts.store_key;
        out.state = stored.verified ? "verified" : "failed";
        if (!stored.verified) out.error = "verify after store: " + stored.mismatch;
        drop_staging(dest);
        return out;
    } catch (const LinkGone& gone) {
        out.error = safe_text("the vendor link expired before the file was archived: " + gone.reason);
        out.state = "expired-before-archived";
        catalog.mark_expired(claimed.id, owner, out.error);
        drop_staging(dest);  // nothing left to resume from
        return out;
    } catch (const LinksRefused& refused) {
        // Not a conclusion, and not counted against max_claims: only the vendor ends this asset.
        out.error = safe_text(refused.reason);
        out.state = "pending";
        catalog.release(claimed.id, owner, out.error, true);
        return out;
    } catch (const Error& e) {
        if (is_interrupt(e)) {
            catalog.release(claimed.id, owner, "interrupted", true);
            throw;
        }
        if (is_disk_full(e)) {
            // A full disk fails every file alike: give the claim back and stop the run.
            try {
                catalog.release(claimed.id, owner, safe_text(e.what()), true);
            } catch (const Error&) {
                // The catalog is on the full disk too: the claim lapses with this process.
            }
            if (dynamic_cast<const DiskFull*>(&e)) throw;
            throw_disk_full(safe_text(e.context()), e.domain(), e.code(), int(e.code()));
        }
        if (dynamic_cast<const ClaimLost*>(&e)) {
            out.state = "lost";  // another process took the asset over; it finishes it
            out.error = e.what();
            return out;
        }
        if (is_catalog_error(e)) throw;
        give_up(e.what(), net::is_transient(e));
        if (out.state == "failed") drop_staging(dest);  // given up: no resume
        return out;
    } catch (const std::exception& e) {
        give_up(e.what(), true);
        return out;
    }
}

}  // namespace avpost::archive
