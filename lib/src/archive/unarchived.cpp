#include "avpost/archive/unarchived.hpp"

#include <algorithm>
#include <cstdio>

#include "avpost/archive/sync.hpp"
#include "avpost/net/redact.hpp"

namespace avpost::archive {
namespace {

bool covered(const UnarchivedQuery& q, const ListRow& row) {
    if (!q.vendor.empty() && row.job.vendor != q.vendor) return false;
    return q.vendor_job_ids.empty() ||
           std::find(q.vendor_job_ids.begin(), q.vendor_job_ids.end(), row.job.vendor_job_id) != q.vendor_job_ids.end();
}

// A live claim of another process: what it holds is being archived, not left behind.
bool held_elsewhere(const AssetRecord& a, std::int64_t now) {
    return (a.state == AssetState::downloading || a.state == AssetState::stored) && !a.claim_owner.empty() &&
           a.claim_expires_at && *a.claim_expires_at >= now && !claim_owner_dead(a.claim_owner);
}

}  // namespace

std::vector<UnarchivedFile> unarchived_files(Catalog& catalog, const UnarchivedQuery& query) {
    const std::int64_t now = unix_now();
    std::vector<UnarchivedFile> out;
    for (const ListRow& row : catalog.list()) {
        const AssetRecord& a = row.asset;
        if (a.state == AssetState::verified || !covered(query, row) || held_elsewhere(a, now)) continue;
        UnarchivedFile f;
        f.asset_id = a.id;
        f.vendor = row.job.vendor;
        f.vendor_job_id = row.job.vendor_job_id;
        f.name = a.name;
        f.state = a.state;
        f.damaged = a.damaged();
        f.error = net::redact_text(a.error);
        if (!a.source_url.empty()) f.link_expires_at = row.job.link_expires_at;
        if (a.state == AssetState::failed) f.retry_after = a.retry_after;
        out.push_back(std::move(f));
    }
    std::stable_sort(out.begin(), out.end(), [](const UnarchivedFile& x, const UnarchivedFile& y) {
        if (x.link_expires_at.has_value() != y.link_expires_at.has_value()) return x.link_expires_at.has_value();
        return x.link_expires_at.value_or(0) < y.link_expires_at.value_or(0);
    });
    return out;
}

std::string duration_text(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    char buf[32];
    if (seconds >= 86400)
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                      static_cast<long long>(seconds % 86400 / 3600));
    else if (seconds >= 3600)
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                      static_cast<long long>(seconds % 3600 / 60));
    else if (seconds >= 60)
        std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(seconds / 60));
    else
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(seconds));
    return buf;
}

std::string describe(const UnarchivedFile& f, std::int64_t now) {
    std::string text = f.vendor + "/" + f.vendor_job_id + "/" + f.name + ": ";
    if (f.lost()) text += "LOST (expired before archived)";
    else if (f.damaged) text += "DAMAGED (run `avpost archive repair`)";
    else text += std::string(to_string(f.state));
    if (!f.lost() && !f.damaged && f.retry_after)
        text += *f.retry_after > now ? " (retried in " + duration_text(*f.retry_after - now) + ")" : " (retried next sync)";
    if (!f.lost()) {
        if (!f.link_expires_at) text += ", link expiry unknown";
        else if (*f.link_expires_at > now) text += ", link expires in " + duration_text(*f.link_expires_at - now);
        else text += ", link EXPIRED";
    }
    if (!f.error.empty()) text += ": " + f.error;
    return text;
}

std::string summary(const std::vector<UnarchivedFile>& files, std::int64_t now) {
    if (files.empty()) return {};
    int lost = 0, damaged = 0, later = 0;
    std::optional<std::int64_t> nearest;
    for (const UnarchivedFile& f : files) {
        if (f.lost()) ++lost;
        else if (f.damaged) ++damaged;
        else {
            ++later;
            if (f.link_expires_at && (!nearest || *f.link_expires_at < *nearest)) nearest = f.link_expires_at;
        }
    }
    std::string text = std::to_string(files.size()) + " file(s) not archived:";
    std::string sep = " ";
    if (later > 0) {
        text += sep + std::to_string(later) + " left for a later run";
        if (nearest)
            text += *nearest > now ? " (the first link expires in " + duration_text(*nearest - now) + ")"
                                   : " (a link has EXPIRED)";
        sep = ", ";
    }
    if (damaged > 0) {
        text += sep + std::to_string(damaged) + " DAMAGED (run `avpost archive repair`)";
        sep = ", ";
    }
    if (lost > 0) text += sep + std::to_string(lost) + " LOST (the vendor link expired before they were archived)";
    return text;
}

nlohmann::json to_json(const UnarchivedFile& f) {
    nlohmann::json j = {{"asset_id", f.asset_id},
                        {"vendor", f.vendor},
                        {"vendor_job_id", f.vendor_job_id},
                        {"name", f.name},
                        {"state", std::string(to_string(f.state))},
                        {"damaged", f.damaged},
                        {"lost", f.lost()},
                        {"error", f.error.empty() ? nlohmann::json() : nlohmann::json(f.error)},
                        {"link_expires_at", nullptr},
                        {"retry_after", nullptr}};
    if (f.link_expires_at) j["link_expires_at"] = iso8601(*f.link_expires_at);
    if (f.retry_after) j["retry_after"] = iso8601(*f.retry_after);
    return j;
}

}  // namespace avpost::archive
