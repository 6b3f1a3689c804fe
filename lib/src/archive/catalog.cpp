#include "avpost/archive/catalog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "avpost/archive/disk_full.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "process_liveness.hpp"
#include "sqlite_db.hpp"

namespace avpost::archive {
namespace {

// Version 1: jobs and assets. Version 2: indexes for the expiry and verify queries. Version 3:
// finished job stages. Version 4: assets wrongly marked expired are retried. Version 5: indexes
// for the gallery (gallery_queries.cpp).
// Append new migrations; never edit a released one.
const std::vector<Migration> migrations = {
    {1, R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  vendor TEXT NOT NULL,
  vendor_job_id TEXT NOT NULL,
  request TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(request)),
  status TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  link_expires_at INTEGER,
  updated_at INTEGER NOT NULL,
  UNIQUE (vendor, vendor_job_id)
);
CREATE TABLE assets (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('avatar','mask','composite','delivery','other')),
  name TEXT NOT NULL CHECK (name <> '' AND instr(name, '/') = 0 AND name NOT IN ('.','..')),
  source_url TEXT NOT NULL DEFAULT '',
  size INTEGER CHECK (size IS NULL OR size >= 0),
  sha256 TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
  codec TEXT,
  width INTEGER,
  height INTEGER,
  duration REAL,
  frame_rate REAL,
  store_uri TEXT,
  store_key TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
    ('pending','downloading','stored','verified','failed','expired-before-archived')),
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_owner TEXT,
  claim_expires_at INTEGER,
  verified_at INTEGER,
  updated_at INTEGER NOT NULL,
  UNIQUE (job_id, name)
);
CREATE INDEX assets_by_state ON assets(state);
)sql"},
    {2, R"sql(
CREATE INDEX jobs_by_link_expiry ON jobs(link_expires_at);
CREATE INDEX assets_by_verified_at ON assets(verified_at);
)sql"},
    // Version 3: finished stages of `avpost run` jobs, so a re-run skips them.
    {3, R"sql(
CREATE TABLE job_stages (
  job_key TEXT NOT NULL,
  stage TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(result)),
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (job_key, stage)
);
)sql"},
    // Version 4: assets an older avpost marked expired-before-archived only because their
    // downloads kept failing (403/404 while the vendor still handed out links) go back to pending:
    // only the vendor's own answer may conclude that a file is gone.
    {4, R"sql(
UPDATE assets SET state = 'pending', claim_owner = NULL, claim_expires_at = NULL,
  error = 'tried again: expired was concluded from failed downloads alone (' || error || ')'
WHERE state = 'expired-before-archived' AND error LIKE '%still fails after % fresh links%';
)sql"},
    // Version 5: the gallery of `avpost serve` lists jobs newest first, and names each vendor job
    // after the `avpost run` job whose render stage started it (found by vendor and id).
    {5, R"sql(
CREATE INDEX jobs_by_created_at ON jobs(created_at, id);
CREATE INDEX job_stages_by_render ON job_stages(json_extract(result, '$.vendor'), json_extract(result, '$.id'))
  WHERE stage = 'render';
)sql"},
};

int read_user_version(sqlite3* db) {
    sql::Stmt s(db, "PRAGMA user_version");
    if (!s.step()) return 0;
    return int(s.int64(0));
}

const char* asset_columns =
    "a.id, a.job_id, a.kind, a.name, a.source_url, a.size, a.sha256, a.codec, a.width, a.height, "
    "a.duration, a.frame_rate, a.store_uri, a.store_key, a.state, a.error, a.attempts, a.claim_owner, "
    "a.claim_expires_at, a.verified_at, a.updated_at";
constexpr int asset_column_count = 21;
const char* job_columns =
    "j.id, j.vendor, j.vendor_job_id, j.request, j.status, j.created_at, j.link_expires_at, j.updated_at";

AssetRecord read_asset(const sql::Stmt& s, int c) {
    AssetRecord a;
    a.id = s.int64(c + 0);
    a.job_id = s.int64(c + 1);
    a.kind = s.text(c + 2);
    a.name = s.text(c + 3);
    a.source_url = s.text(c + 4);
    a.size = s.opt_int64(c + 5);
    a.sha256 = s.text(c + 6);
    if (!s.is_null(c + 7)) {
        MediaFacts m;
        m.codec = s.text(c + 7);
        m.width = int(s.int64(c + 8));
        m.height = int(s.int64(c + 9));
        m.duration_seconds = s.real(c + 10);
        m.frame_rate = s.real(c + 11);
        a.media = m;
    }
    a.store_uri = s.text(c + 12);
    a.store_key = s.text(c + 13);
    a.state = asset_state_from_string(s.text(c + 14));
    a.error = s.text(c + 15);
    a.attempts = int(s.int64(c + 16));
    a.claim_owner = s.text(c + 17);
    a.claim_expires_at = s.opt_int64(c + 18);
    a.verified_at = s.opt_int64(c + 19);
    a.updated_at = s.int64(c + 20);
    return a;
}

JobRecord read_job(const sql::Stmt& s, int c) {
    JobRecord j;
    j.id = s.int64(c + 0);
    j.vendor = s.text(c + 1);
    j.vendor_job_id = s.text(c + 2);
    j.request = nlohmann::json::parse(s.text(c + 3), nullptr, false);
    if (j.request.is_discarded()) j.request = nlohmann::json::object();
    j.status = s.text(c + 4);
    j.created_at = s.int64(c + 5);
    j.link_expires_at = s.opt_int64(c + 6);
    j.updated_at = s.int64(c + 7);
    return j;
}

std::int64_t or_now(std::int64_t now) { return now != 0 ? now : unix_now(); }

}  // namespace

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
    for (auto s : {AssetState::pending, AssetState::downloading, AssetState::stored, AssetState::verified,
                   AssetState::failed, AssetState::expired_before_archived})
        if (to_string(s) == text) return s;
    throw_usage("unknown asset state '" + std::string(text) + "'");
}

const std::vector<Migration>& catalog_migrations() { return migrations; }

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
                          {"updated_at", iso8601(a.updated_at)}};
    if (a.size) out["bytes"] = *a.size;
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

int Catalog::latest_schema_version() { return migrations.back().version; }

namespace {

// "file:PATH?immutable=1" with the characters a URI path cannot hold escaped.
std::string immutable_uri(const std::filesystem::path& file) {
    std::string uri = "file:";
    for (char c : std::filesystem::absolute(file).string()) {
        if (c == '%') uri += "%25";
        else if (c == '?') uri += "%3f";
        else if (c == '#') uri += "%23";
        else uri += c;
    }
    return uri + "?immutable=1";
}

// One configured connection. Writing: extended result codes, busy timeout, WAL, synchronous FULL
// and foreign keys. Read-only: no pragma that writes; and when no write-ahead log exists (every
// change is in the main file, as after any clean close) the file is read as immutable, so not
// even SQLite's shared-memory index or an empty log is created beside it. With a log present (a
// writer is at work, or died) its changes must be read, through SQLite's usual read-only access.
sql::DbPtr open_connection(const std::filesystem::path& file, bool read_only, bool create,
                           const CatalogOptions& options) {
    int flags = SQLITE_OPEN_FULLMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    if (create) flags |= SQLITE_OPEN_CREATE;
    std::string name = file.string();
    std::error_code ec;
    if (read_only && !std::filesystem::exists(name + "-wal", ec)) {
        name = immutable_uri(file);
        flags |= SQLITE_OPEN_URI;
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
    sql::DbPtr db(raw);  // sqlite3_open_v2 returns a handle to close even on failure
    if (rc != SQLITE_OK) sql::throw_sqlite(raw, rc, "open catalog '" + file.string() + "'");
    sql::check(raw, sqlite3_extended_result_codes(raw, 1), "enable extended result codes");
    sql::check(raw, sqlite3_busy_timeout(raw, int(options.busy_timeout.count())), "set busy timeout");
    if (read_only) return db;
    // Switching a new file to WAL needs an exclusive lock and SQLite does not wait for it (no busy
    // handler): when several processes open a fresh archive at once, retry within the busy timeout.
    for (auto give_up = std::chrono::steady_clock::now() + options.busy_timeout;;) {
        try {
            sql::Stmt wal(raw, "PRAGMA journal_mode=WAL");
            if (!wal.step() || wal.text(0) != "wal")
                throw Error(ErrorDomain::sqlite, "enable WAL on catalog '" + file.string() + "'", 0,
                            "journal mode stayed '" + wal.text(0) + "'");
            break;
        } catch (const Error& e) {
            if ((e.code() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= give_up) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // FULL: a committed state change survives a power cut, which the store's fsync relies on.
    sql::exec(raw, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "configure catalog");
    return db;
}

[[noreturn]] void throw_newer_schema(int current, int latest) {
    throw Error(ErrorDomain::sqlite, "open catalog", 0,
                "the catalog has schema version " + std::to_string(current) + " but this avpost knows only up to " +
                    std::to_string(latest) + "; upgrade avpost");
}

void migrate_connection(sqlite3* db, const CatalogOptions& options) {
    const std::vector<Migration>& list = options.migrations ? *options.migrations : migrations;
    int latest = list.empty() ? 0 : list.back().version;
    int target = options.target_version.value_or(latest);
    int current = read_user_version(db);
    if (current > latest) throw_newer_schema(current, latest);
    for (const Migration& m : list) {
        if (m.version > target) break;
        if (m.version <= current) continue;
        sql::Transaction tx(db);
        // Another process may have migrated while we waited for the write lock.
        current = read_user_version(db);
        if (m.version <= current) continue;
        if (m.version != current + 1)
            throw Error(ErrorDomain::sqlite, "migrate catalog", 0,
                        "migration " + std::to_string(m.version) + " does not follow version " +
                            std::to_string(current));
        sql::exec(db, m.sql, "catalog migration to version " + std::to_string(m.version));
        sql::exec(db, "PRAGMA user_version = " + std::to_string(m.version), "set catalog schema version");
        tx.commit();
        current = m.version;
    }
}

// The temporaries a catalog being created lives under: "catalog.db.new-PID-N" (plus its -wal,
// -shm, -journal).
std::string creation_prefix(const std::filesystem::path& file) { return file.filename().string() + ".new-"; }

void remove_quietly(const std::filesystem::path& base) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        ::unlink((base.string() + suffix).c_str());
}

void fsync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// Builds the catalog under a temporary name, migrated and checkpointed, then link()s it into
// place: complete or not at all. When another process links first (EEXIST), its catalog is used.
void create_catalog_file(const std::filesystem::path& file, const CatalogOptions& options) {
    static std::atomic<int> counter{0};
    remove_abandoned_catalog_temporaries(file);
    std::filesystem::path temp = file;
    temp += ".new-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    try {
        {
            sql::DbPtr db = open_connection(temp, false, true, options);
            migrate_connection(db.get(), options);
            // Everything into the main file now: only it is linked into place.
            sql::Stmt checkpoint(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
            if (checkpoint.step() && checkpoint.int64(0) != 0)
                throw Error(ErrorDomain::sqlite, "create catalog '" + file.string() + "'", SQLITE_BUSY,
                            "the new catalog could not be checkpointed");
        }
        if (::link(temp.c_str(), file.c_str()) != 0 && errno != EEXIST) {
            int e = errno;
            if (is_disk_full_errno(e))
                throw_disk_full("archive catalog '" + file.string() + "'", ErrorDomain::system, e, e);
            throw_errno("create catalog '" + file.string() + "'", e);
        }
    } catch (const DiskFull& e) {
        remove_quietly(temp);
        throw DiskFull(e.domain(), "archive catalog '" + file.string() + "'", e.code(), e.detail());  // not the temporary
    } catch (...) {
        remove_quietly(temp);
        throw;
    }
    remove_quietly(temp);  // the catalog lives on under its own name
    fsync_directory(file.parent_path());
}

}  // namespace

int remove_abandoned_catalog_temporaries(const std::filesystem::path& file) {
    const std::string prefix = creation_prefix(file);
    std::error_code ec;
    std::filesystem::directory_iterator it(file.parent_path().empty() ? "." : file.parent_path(), ec);
    if (ec) return 0;
    int removed = 0;
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid == long(::getpid()) || !left_by_dead_process(pid, entry.path())) continue;
        if (::unlink(entry.path().c_str()) == 0) {
            ++removed;
            log::info("removed '" + entry.path().string() + "' left by a process that died creating the catalog");
        }
    }
    return removed;
}

Catalog::Catalog(const std::filesystem::path& file, CatalogOptions options) {
    if (options.read_only) {
        if (!std::filesystem::exists(file)) throw_input("open catalog '" + file.string() + "'", "there is no catalog");
        sql::DbPtr db = open_connection(file, true, false, options);
        const std::vector<Migration>& list = options.migrations ? *options.migrations : migrations;
        int latest = list.empty() ? 0 : list.back().version;
        int current = read_user_version(db.get());
        if (current < options.target_version.value_or(latest)) {
            db.reset();  // an older schema: upgraded once through a writing connection
            CatalogOptions writing = options;
            writing.read_only = false;
            { Catalog upgrade(file, writing); }
            db = open_connection(file, true, false, options);
        }
        if (int now = read_user_version(db.get()); now > latest) throw_newer_schema(now, latest);
        db_ = db.release();
        return;
    }
    if (file.has_parent_path()) {  // the archive root of a first run
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            if (is_disk_full_errno(ec.value()))
                throw_disk_full("archive directory '" + file.parent_path().string() + "'", ErrorDomain::system,
                                ec.value(), ec.value());
            throw_errno("create archive directory '" + file.parent_path().string() + "'", ec.value());
        }
    }
    if (!std::filesystem::exists(file)) create_catalog_file(file, options);
    sql::DbPtr db = open_connection(file, false, false, options);
    db_ = db.release();
    try {
        migrate(options);
    } catch (...) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

Catalog::~Catalog() {
    if (db_) sqlite3_close_v2(db_);
}

int Catalog::schema_version() { return read_user_version(db_); }

void Catalog::migrate(const CatalogOptions& options) { migrate_connection(db_, options); }

std::int64_t Catalog::upsert_job(const JobRecord& job) {
    if (job.vendor.empty() || job.vendor_job_id.empty()) throw_usage("a job needs a vendor and a vendor job id");
    std::int64_t now = unix_now();
    sql::Stmt s(db_,
                "INSERT INTO jobs (vendor, vendor_job_id, request, status, created_at, link_expires_at, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                "ON CONFLICT (vendor, vendor_job_id) DO UPDATE SET request = excluded.request, "
                "status = excluded.status, link_expires_at = excluded.link_expires_at, updated_at = excluded.updated_at "
                "RETURNING id");
    s.bind(1, job.vendor).bind(2, job.vendor_job_id).bind(3, job.request.dump()).bind(4, job.status);
    s.bind(5, job.created_at != 0 ? job.created_at : now).bind(6, job.link_expires_at).bind(7, now);
    if (!s.step()) throw Error(ErrorDomain::sqlite, "upsert job", 0, "no id returned");
    std::int64_t id = s.int64(0);
    s.run();
    return id;
}

std::optional<JobRecord> Catalog::find_job(std::string_view vendor, std::string_view vendor_job_id) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns + " FROM jobs j WHERE j.vendor = ?1 AND j.vendor_job_id = ?2");
    s.bind(1, vendor).bind(2, vendor_job_id);
    if (!s.step()) return std::nullopt;
    return read_job(s, 0);
}

JobRecord Catalog::job(std::int64_t id) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns + " FROM jobs j WHERE j.id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("catalog job " + std::to_string(id), "no such job");
    return read_job(s, 0);
}

std::vector<JobRecord> Catalog::jobs_without_assets(std::string_view vendor) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns +
                         " FROM jobs j WHERE j.vendor = ?1 AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.job_id = j.id)"
                         " ORDER BY j.id");
    s.bind(1, vendor);
    std::vector<JobRecord> out;
    while (s.step()) out.push_back(read_job(s, 0));
    return out;
}

std::int64_t Catalog::add_asset(std::int64_t job_id, std::string_view kind, std::string_view name,
                                std::string_view source_url) {
    sql::Stmt s(db_,
                "INSERT INTO assets (job_id, kind, name, source_url, state, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, 'pending', ?5) "
                "ON CONFLICT (job_id, name) DO UPDATE SET source_url = excluded.source_url RETURNING id");
    s.bind(1, job_id).bind(2, kind).bind(3, name).bind(4, redact_url(source_url)).bind(5, unix_now());
    if (!s.step()) throw Error(ErrorDomain::sqlite, "add asset", 0, "no id returned");
    std::int64_t id = s.int64(0);
    s.run();
    return id;
}

AssetRecord Catalog::asset(std::int64_t id) {
    sql::Stmt s(db_, std::string("SELECT ") + asset_columns + " FROM assets a WHERE a.id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("catalog asset " + std::to_string(id), "no such asset");
    return read_asset(s, 0);
}

// Inside the caller's transaction: the picked asset becomes `owner`'s until the lease ends.
void Catalog::take_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    sql::Stmt take(db_,
                   "UPDATE assets SET state = 'downloading', claim_owner = ?2, claim_expires_at = ?3, "
                   "attempts = attempts + 1, updated_at = ?4 WHERE id = ?1");
    take.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now).run();
}

std::optional<AssetRecord> Catalog::claim_next(std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT a.id FROM assets a WHERE a.state = 'pending' "
                       "OR (a.state = 'downloading' AND a.claim_expires_at < ?1) ORDER BY a.id LIMIT 1");
        pick.bind(1, now);
        if (!pick.step()) return std::nullopt;  // the transaction rolls back: nothing changed
        id = pick.int64(0);
    }
    take_claim(id, owner, lease, now);
    tx.commit();
    return asset(id);
}

bool Catalog::claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    sql::Stmt take(db_,
                   "UPDATE assets SET state = 'downloading', claim_owner = ?2, claim_expires_at = ?3, "
                   "attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 AND (state = 'pending' OR "
                   "(state = 'downloading' AND (claim_expires_at < ?4 OR claim_owner = ?2)))");
    take.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now).run();
    bool taken = sqlite3_changes(db_) == 1;
    tx.commit();
    return taken;
}

std::optional<AssetRecord> Catalog::claim_next_for(std::string_view owner, std::chrono::seconds lease,
                                                   const ClaimFilter& filter, std::int64_t now) {
    now = or_now(now);
    nlohmann::json ids = filter.vendor_job_ids, exclude = filter.exclude;
    sql::Transaction tx(db_);
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT a.id FROM assets a JOIN jobs j ON j.id = a.job_id WHERE "
                       "(a.state = 'pending' OR (a.state = 'downloading' AND a.claim_expires_at < ?1)) "
                       "AND (?2 = '' OR j.vendor = ?2) "
                       "AND (?3 = '[]' OR j.vendor_job_id IN (SELECT value FROM json_each(?3))) "
                       "AND a.id NOT IN (SELECT value FROM json_each(?4)) "
                       "ORDER BY j.link_expires_at IS NULL, j.link_expires_at, a.id LIMIT 1");
        pick.bind(1, now).bind(2, filter.vendor).bind(3, ids.dump()).bind(4, exclude.dump());
        if (!pick.step()) return std::nullopt;
        id = pick.int64(0);
    }
    take_claim(id, owner, lease, now);
    tx.commit();
    return asset(id);
}

bool Catalog::renew_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Stmt s(db_,
                "UPDATE assets SET claim_expires_at = ?3, updated_at = ?4 "
                "WHERE id = ?1 AND state IN ('downloading','stored') AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now).run();
    return sqlite3_changes(db_) == 1;
}

void Catalog::mark_expired(std::int64_t asset_id, std::string_view owner, std::string_view error) {
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'expired-before-archived', error = ?3, claim_owner = NULL, "
                "claim_expires_at = NULL, updated_at = ?4 WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, error).bind(4, unix_now()).run();
    tx.commit();
}

void Catalog::mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& f) {
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'stored', size = ?3, sha256 = ?4, codec = ?5, width = ?6, height = ?7, "
                "duration = ?8, frame_rate = ?9, store_uri = ?10, store_key = ?11, error = NULL, "
                "updated_at = ?12 WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, f.size).bind(4, f.sha256);
    if (f.media) {
        s.bind(5, f.media->codec).bind(6, f.media->width).bind(7, f.media->height);
        s.bind(8, f.media->duration_seconds).bind(9, f.media->frame_rate);
    } else {
        for (int i = 5; i <= 9; ++i) s.bind_null(i);
    }
    s.bind(10, f.store_uri).bind(11, f.store_key).bind(12, unix_now()).run();
    if (sqlite3_changes(db_) != 1)
        throw Error(ErrorDomain::sqlite, "mark asset " + std::to_string(asset_id) + " stored", 0,
                    "the claim of '" + std::string(owner) + "' is no longer held (lease expired and taken over?)");
    tx.commit();
}

void Catalog::release(std::int64_t asset_id, std::string_view owner, std::string_view error, bool retryable) {
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = ?3, error = ?4, claim_owner = NULL, claim_expires_at = NULL, "
                "updated_at = ?5 WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, retryable ? "pending" : "failed").bind(4, error).bind(5, unix_now());
    s.run();
    tx.commit();
}

void Catalog::mark_verified(std::int64_t asset_id, std::int64_t now) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'verified', verified_at = ?2, error = NULL, claim_owner = NULL, "
                "claim_expires_at = NULL, updated_at = ?2 WHERE id = ?1 AND state IN ('stored','verified')");
    s.bind(1, asset_id).bind(2, or_now(now)).run();
}

void Catalog::mark_verify_failed(std::int64_t asset_id, std::string_view error) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'failed', error = ?2, claim_owner = NULL, claim_expires_at = NULL, "
                "updated_at = ?3 WHERE id = ?1");
    s.bind(1, asset_id).bind(2, error).bind(3, unix_now()).run();
}

int Catalog::expire_unarchived(std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'expired-before-archived', updated_at = ?1, "
                "error = 'the vendor link expired before the asset was archived' "
                "WHERE state = 'pending' AND job_id IN "
                "(SELECT id FROM jobs WHERE link_expires_at IS NOT NULL AND link_expires_at <= ?1)");
    s.bind(1, now).run();
    int n = sqlite3_changes(db_);
    tx.commit();
    return n;
}

std::vector<ListRow> Catalog::list(const ListQuery& q) {
    std::string sql = std::string("SELECT ") + job_columns + ", " + asset_columns +
                      " FROM assets a JOIN jobs j ON j.id = a.job_id WHERE 1";
    if (q.expiring_within)
        sql += " AND a.state IN ('pending','downloading','failed','expired-before-archived')"
               " AND j.link_expires_at IS NOT NULL AND j.link_expires_at <= ?1";
    if (q.state) sql += " AND a.state = ?2";
    sql += q.expiring_within ? " ORDER BY j.link_expires_at, a.id" : " ORDER BY j.created_at, j.id, a.id";
    sql::Stmt s(db_, sql);
    if (q.expiring_within) s.bind(1, or_now(q.now) + *q.expiring_within);
    if (q.state) s.bind(2, to_string(*q.state));
    std::vector<ListRow> rows;
    while (s.step()) rows.push_back({read_job(s, 0), read_asset(s, 8)});
    static_assert(asset_column_count == 21);
    return rows;
}

std::vector<ListRow> Catalog::verify_candidates(std::optional<int> sample) {
    std::string sql = std::string("SELECT ") + job_columns + ", " + asset_columns +
                      " FROM assets a JOIN jobs j ON j.id = a.job_id WHERE a.state IN ('stored','verified')"
                      " ORDER BY a.verified_at IS NOT NULL, a.verified_at, random()";
    if (sample) sql += " LIMIT ?1";
    sql::Stmt s(db_, sql);
    if (sample) s.bind(1, *sample);
    std::vector<ListRow> rows;
    while (s.step()) rows.push_back({read_job(s, 0), read_asset(s, 8)});
    return rows;
}

std::optional<AssetRecord> Catalog::find_asset(std::int64_t job_id, std::string_view name) {
    sql::Stmt s(db_, std::string("SELECT ") + asset_columns + " FROM assets a WHERE a.job_id = ?1 AND a.name = ?2");
    s.bind(1, job_id).bind(2, name);
    if (!s.step()) return std::nullopt;
    return read_asset(s, 0);
}

std::optional<StageRecord> Catalog::find_stage(std::string_view job_key, std::string_view stage) {
    sql::Stmt s(db_, "SELECT fingerprint, result, finished_at FROM job_stages WHERE job_key = ?1 AND stage = ?2");
    s.bind(1, job_key).bind(2, stage);
    if (!s.step()) return std::nullopt;
    StageRecord r;
    r.job_key = job_key;
    r.stage = stage;
    r.fingerprint = s.text(0);
    r.result = nlohmann::json::parse(s.text(1));
    r.finished_at = s.int64(2);
    return r;
}

void Catalog::record_stage(const StageRecord& record) {
    if (record.job_key.empty() || record.stage.empty()) throw_usage("a job stage needs a job key and a stage name");
    sql::Stmt s(db_,
                "INSERT INTO job_stages (job_key, stage, fingerprint, result, finished_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT (job_key, stage) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "result = excluded.result, finished_at = excluded.finished_at");
    s.bind(1, record.job_key).bind(2, record.stage).bind(3, record.fingerprint).bind(4, record.result.dump());
    s.bind(5, record.finished_at != 0 ? record.finished_at : unix_now());
    s.run();
}

void Catalog::requeue_failed(std::int64_t asset_id) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'pending', error = NULL, claim_owner = NULL, claim_expires_at = NULL, "
                "updated_at = ?2 WHERE id = ?1 AND state = 'failed'");
    s.bind(1, asset_id).bind(2, unix_now());
    s.run();
}

bool Catalog::requeue_expired(std::int64_t asset_id, std::string_view reason) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'pending', error = ?2, claim_owner = NULL, claim_expires_at = NULL, "
                "updated_at = ?3 WHERE id = ?1 AND state = 'expired-before-archived'");
    s.bind(1, asset_id).bind(2, reason).bind(3, unix_now());
    s.run();
    return sqlite3_changes(db_) == 1;
}

void Catalog::forget_stage(std::string_view job_key, std::string_view stage) {
    sql::Stmt s(db_, "DELETE FROM job_stages WHERE job_key = ?1 AND stage = ?2");
    s.bind(1, job_key).bind(2, stage);
    s.run();
}

}  // namespace avpost::archive
