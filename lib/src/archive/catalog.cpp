// What every catalog backend shares: the records' text and JSON forms, redaction, and
// open_catalog, which picks the backend from the location.
#include "avpost/archive/catalog.hpp"

#include <cstdlib>
#include <ctime>
#include <thread>

#include "avpost/archive/sqlite_catalog.hpp"
#include "pg_catalog.hpp"

namespace avpost::archive {

std::string_view to_string(AssetState state) {
    switch (state) {
        case AssetState::pending: return "pending";
        case AssetState::downloading: return "downloading";
        case AssetState::stored: return "stored";
        case AssetState::verified: return "verified";
        case AssetState::failed: return "failed";
        case AssetState::expired_before_archived: return "expired-before-archived";
    }
    return "unknown";
}

AssetState asset_state_from_string(std::string_view text) {
    std::string valid;
    for (auto s : {AssetState::pending, AssetState::downloading, AssetState::stored, AssetState::verified,
                   AssetState::failed, AssetState::expired_before_archived}) {
        if (to_string(s) == text) return s;
        valid += (valid.empty() ? "" : ", ") + std::string(to_string(s));
    }
    throw_usage("unknown asset state '" + std::string(text) + "' (one of: " + valid + ")");
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso8601(std::int64_t unix_seconds) {
    std::time_t t = std::time_t(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string redact_url(std::string_view url) {
    std::string_view u = url.substr(0, url.find_first_of("?#"));
    auto scheme_end = u.find("://");
    if (scheme_end == std::string_view::npos) return std::string(u);
    auto authority_start = scheme_end + 3;
    auto path_start = u.find('/', authority_start);
    std::string_view authority = u.substr(authority_start, path_start == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : path_start - authority_start);
    auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(u);
    std::string out(u.substr(0, authority_start));
    out += authority.substr(at + 1);
    if (path_start != std::string_view::npos) out += u.substr(path_start);
    return out;
}

nlohmann::json to_json(const JobRecord& j) {
    nlohmann::json out = {{"id", j.id},
                          {"vendor", j.vendor},
                          {"vendor_job_id", j.vendor_job_id},
                          {"request", j.request},
                          {"status", j.status},
                          {"created_at", iso8601(j.created_at)},
                          {"link_expires_at", nullptr}};
    if (j.link_expires_at) out["link_expires_at"] = iso8601(*j.link_expires_at);
    return out;
}

nlohmann::json to_json(const AssetRecord& a) {
    nlohmann::json out = {{"id", a.id},
                          {"job_id", a.job_id},
                          {"kind", a.kind},
                          {"name", a.name},
                          {"source_url", a.source_url},
                          {"bytes", nullptr},
                          {"sha256", a.sha256},
                          {"store_uri", a.store_uri},
                          {"store_key", a.store_key},
                          {"state", std::string(to_string(a.state))},
                          {"error", a.error.empty() ? nlohmann::json() : nlohmann::json(a.error)},
                          {"attempts", a.attempts},
                          {"verified_at", nullptr},
                          {"updated_at", iso8601(a.updated_at)},
                          {"retry_after", nullptr}};
    if (a.size) out["bytes"] = *a.size;
    if (a.retry_after && a.state == AssetState::failed) out["retry_after"] = iso8601(*a.retry_after);
    if (a.verified_at) out["verified_at"] = iso8601(*a.verified_at);
    if (a.media)
        out["media"] = {{"codec", a.media->codec},
                        {"width", a.media->width},
                        {"height", a.media->height},
                        {"duration_seconds", a.media->duration_seconds},
                        {"frame_rate", a.media->frame_rate}};
    return out;
}

std::filesystem::path Catalog::file_in(const std::filesystem::path& archive_root) {
    return archive_root / "catalog.db";
}

bool is_catalog_error(const Error& e) { return e.domain() == ErrorDomain::sqlite || e.domain() == ErrorDomain::postgres; }

bool is_postgres_location(std::string_view location) {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

bool Catalog::wait_for_queued_job(std::chrono::milliseconds timeout) {
    std::this_thread::sleep_for(timeout);
    return false;
}

QueuePage Catalog::queued_jobs_page(std::optional<QueueState> state, std::int64_t offset, int limit) {
    // Every job read: fine for the thousands a queue keeps; a backend may do it in SQL.
    std::vector<QueuedJob> all = queued_jobs();
    QueuePage page;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (state && it->state != *state) continue;
        if (page.total++ < offset || static_cast<std::int64_t>(page.jobs.size()) >= limit) continue;
        page.jobs.push_back(std::move(*it));
    }
    return page;
}

namespace {
[[noreturn]] void throw_unsupported(const Catalog& catalog, std::string_view what) {
    throw Error(ErrorDomain::usage, std::string(what), 0, "not supported by the catalog " + catalog.describe());
}
}  // namespace

BatchSubmitResult Catalog::submit_batch(std::string_view, const nlohmann::json&, const std::vector<BatchJob>&, int,
                                        std::int64_t) {
    throw_unsupported(*this, "submitting a batch");
}
BatchRecord Catalog::batch(std::int64_t) { throw_unsupported(*this, "reading a batch"); }
std::optional<ApiAnswer> Catalog::api_answer(std::string_view, std::string_view) {
    throw_unsupported(*this, "an Idempotency-Key");
}
ApiAnswer Catalog::remember_api_answer(std::string_view, std::string_view, const ApiAnswer&, std::int64_t) {
    throw_unsupported(*this, "an Idempotency-Key");
}

std::unique_ptr<Catalog> open_catalog(std::string_view location, const CatalogOptions& options) {
    if (location.empty()) throw_usage("no catalog given (a file path or a postgresql:// URI)");
    if (is_postgres_location(location)) return open_pg_catalog(std::string(location), options);
    return std::make_unique<SqliteCatalog>(std::filesystem::path(location), options);
}

std::string catalog_location(std::string_view location, const std::filesystem::path& archive_root) {
    if (!location.empty()) return std::string(location);
    if (const char* env = std::getenv("AVPOST_CATALOG"); env && *env) return env;
    return Catalog::file_in(archive_root).string();
}

std::string describe_catalog_location(std::string_view location) {
    if (!is_postgres_location(location)) return std::string(location);
    // redact_url drops the user info and the query (which may hold password=...); keep the user
    // name, which is no secret and tells which role connected.
    std::string_view u = location.substr(0, location.find_first_of("?#"));
    auto authority_start = u.find("://") + 3;
    auto path_start = u.find('/', authority_start);
    std::string_view authority = u.substr(authority_start, path_start == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : path_start - authority_start);
    auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(u);
    std::string_view user = authority.substr(0, at);
    user = user.substr(0, user.find(':'));
    std::string out(u.substr(0, authority_start));
    out += user;
    out += '@';
    out += authority.substr(at + 1);
    if (path_start != std::string_view::npos) out += u.substr(path_start);
    return out;
}

}  // namespace avpost::archive
