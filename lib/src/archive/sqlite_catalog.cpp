#include "avpost/archive/sqlite_catalog.hpp"

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
#include "catalog_stats_sql.hpp"
#include "process_liveness.hpp"
#include "sqlite_db.hpp"
#include "webhook_payload.hpp"

namespace avpost::archive {
namespace {

// Version 1: jobs and assets. Version 2: indexes for the expiry and verify queries. Version 3:
// finished job stages. Version 4: assets wrongly marked expired are retried. Version 5: the job
// queue. Version 6: the gallery's indexes. Version 7: the retry backoff of failed assets.
// Version 8: the worker that ran a queued job last, kept after it finishes. Version 9: a fenced
// claim's job lease. Version 10: batches, API answers and the webhook outbox.
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
    // Version 5: the job queue of `avpost submit` and `avpost worker` (job_queue.hpp). A job is
    // unique by idempotency key while queued, running or done; finished_at is set exactly in the
    // final states, a worker and lease exactly while running.
    {5, R"sql(
CREATE TABLE queue_jobs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (name <> ''),
  idempotency_key TEXT NOT NULL,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','failed','cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  lease_token INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  lease_expires_at INTEGER,
  run_after INTEGER NOT NULL,
  stage TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  submitted_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  CHECK ((finished_at IS NOT NULL) = (state IN ('done','failed','cancelled'))),
  CHECK ((state = 'running') = (worker IS NOT NULL AND lease_expires_at IS NOT NULL))
);
CREATE UNIQUE INDEX queue_jobs_live_key ON queue_jobs(idempotency_key) WHERE state IN ('queued','running','done');
CREATE INDEX queue_jobs_runnable ON queue_jobs(state, run_after);
)sql"},
    // Version 6: indexes for the gallery of `avpost serve` (gallery_queries.cpp): newest first,
    // and a job's name from the run stage that rendered it.
    {6, R"sql(
CREATE INDEX jobs_by_created_at ON jobs(created_at, id);
CREATE INDEX job_stages_by_render ON job_stages(json_extract(result, '$.vendor'), json_extract(result, '$.id'))
  WHERE stage = 'render';
)sql"},
    // Version 7: a failed download is retried after a backoff kept here (retry_after, and the
    // backoff that set it, doubled at each failure), for as long as the vendor offers the file.
    // Assets an older avpost failed after its last allowed attempt are retried at once.
    {7, R"sql(
ALTER TABLE assets ADD COLUMN retry_after INTEGER;
ALTER TABLE assets ADD COLUMN retry_backoff INTEGER CHECK (retry_backoff IS NULL OR retry_backoff >= 0);
UPDATE assets SET retry_after = 0 WHERE state = 'failed' AND error LIKE 'gave up after % attempts:%';
CREATE INDEX assets_retry_due ON assets(retry_after) WHERE state = 'failed' AND retry_after IS NOT NULL;
)sql"},
    // Version 8: `worker` is set only while a job runs (the CHECK of version 5); `last_worker`
    // keeps who ran it last, so `avpost jobs` names the worker of a finished or failed job.
    {8, R"sql(
ALTER TABLE queue_jobs ADD COLUMN last_worker TEXT;
UPDATE queue_jobs SET last_worker = worker WHERE worker IS NOT NULL;
)sql"},
    // Version 9: a fenced claim records the job lease it was made under as two columns, where it
    // was text inside claim_owner, parsed back with from_chars.
    {9, R"sql(
ALTER TABLE assets ADD COLUMN claim_job INTEGER;
ALTER TABLE assets ADD COLUMN claim_token INTEGER;
)sql"},
    // Version 10: the HTTP job API and completion webhooks: batches of queued jobs, the answers
    // kept for Idempotency-Keys, a queued job's notify target, and the webhook outbox (one row per
    // event and URL, written in the transaction of the state change it reports; webhook_outbox.hpp).
    {10, R"sql(
CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  notify TEXT CHECK (notify IS NULL OR json_valid(notify)),
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE TABLE batch_jobs (
  batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  job_id INTEGER NOT NULL REFERENCES queue_jobs(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX batch_jobs_by_job ON batch_jobs(job_id);
CREATE TABLE api_answers (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
ALTER TABLE queue_jobs ADD COLUMN notify TEXT CHECK (notify IS NULL OR json_valid(notify));
CREATE TABLE webhook_outbox (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('job.succeeded','job.failed','batch.finished')),
  job_id INTEGER,
  batch_id INTEGER,
  url TEXT NOT NULL,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claim_owner TEXT,
  claim_expires_at INTEGER,
  last_status INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  CHECK ((delivered_at IS NOT NULL) = (state = 'delivered')),
  CHECK ((claim_owner IS NULL) = (claim_expires_at IS NULL))
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_outbox_by_job ON webhook_outbox(job_id) WHERE job_id IS NOT NULL;
CREATE INDEX webhook_outbox_by_batch ON webhook_outbox(batch_id) WHERE batch_id IS NOT NULL;
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
    "a.claim_expires_at, a.verified_at, a.updated_at, a.retry_after, a.retry_backoff, a.claim_job, a.claim_token";
constexpr int asset_column_count = 25;
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
    a.retry_after = s.opt_int64(c + 21);
    a.retry_backoff = s.opt_int64(c + 22);
    if (!s.is_null(c + 23)) a.claim_lease = JobLease{s.int64(c + 23), s.int64(c + 24)};
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

// Inside the caller's write transaction (BEGIN IMMEDIATE: no claim can come between check and write).
bool lease_held(sqlite3* db, const JobLease& lease) {
    sql::Stmt s(db, "SELECT 1 FROM queue_jobs WHERE id = ?1 AND lease_token = ?2 AND state = 'running'");
    s.bind(1, lease.job_id).bind(2, lease.token);
    return s.step();
}

}  // namespace

const std::vector<Migration>& catalog_migrations() { return migrations; }

int SqliteCatalog::latest_schema_version() { return migrations.back().version; }

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

SqliteCatalog::SqliteCatalog(const std::filesystem::path& file, CatalogOptions options) : file_(file), options_(options) {
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
            { SqliteCatalog upgrade(file, writing); }
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

SqliteCatalog::~SqliteCatalog() {
    if (db_) sqlite3_close_v2(db_);
}

int SqliteCatalog::schema_version() { return read_user_version(db_); }

std::string SqliteCatalog::describe() const { return sql::catalog_name(db_); }

// The same file and options (a test's migrations and target version too); touches nothing of
// this connection, so another thread may call it.
std::unique_ptr<Catalog> SqliteCatalog::open_another() const { return std::make_unique<SqliteCatalog>(file_, options_); }

void SqliteCatalog::migrate(const CatalogOptions& options) { migrate_connection(db_, options); }

std::int64_t SqliteCatalog::upsert_job(const JobRecord& job) {
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

std::optional<JobRecord> SqliteCatalog::find_job(std::string_view vendor, std::string_view vendor_job_id) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns + " FROM jobs j WHERE j.vendor = ?1 AND j.vendor_job_id = ?2");
    s.bind(1, vendor).bind(2, vendor_job_id);
    if (!s.step()) return std::nullopt;
    return read_job(s, 0);
}

JobRecord SqliteCatalog::job(std::int64_t id) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns + " FROM jobs j WHERE j.id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("catalog job " + std::to_string(id), "no such job");
    return read_job(s, 0);
}

std::vector<JobRecord> SqliteCatalog::jobs_without_assets(std::string_view vendor) {
    sql::Stmt s(db_, std::string("SELECT ") + job_columns +
                         " FROM jobs j WHERE j.vendor = ?1 AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.job_id = j.id)"
                         " ORDER BY j.id");
    s.bind(1, vendor);
    std::vector<JobRecord> out;
    while (s.step()) out.push_back(read_job(s, 0));
    return out;
}

std::int64_t SqliteCatalog::add_asset(std::int64_t job_id, std::string_view kind, std::string_view name,
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

AssetRecord SqliteCatalog::asset(std::int64_t id) {
    sql::Stmt s(db_, std::string("SELECT ") + asset_columns + " FROM assets a WHERE a.id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("catalog asset " + std::to_string(id), "no such asset");
    return read_asset(s, 0);
}

// Inside the caller's transaction: the picked asset becomes `owner`'s until the lease ends.
void SqliteCatalog::take_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    sql::Stmt take(db_,
                   "UPDATE assets SET state = 'downloading', claim_owner = ?2, claim_expires_at = ?3, "
                   "claim_job = NULL, claim_token = NULL, attempts = attempts + 1, updated_at = ?4 WHERE id = ?1");
    take.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now).run();
}

std::optional<AssetRecord> SqliteCatalog::claim_next(std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT a.id FROM assets a WHERE a.state = 'pending' "
                       "OR (a.state = 'downloading' AND a.claim_expires_at < ?1) "
                       "OR (a.state = 'failed' AND a.retry_after <= ?1) ORDER BY a.id LIMIT 1");
        pick.bind(1, now);
        if (!pick.step()) return std::nullopt;  // the transaction rolls back: nothing changed
        id = pick.int64(0);
    }
    take_claim(id, owner, lease, now);
    tx.commit();
    return asset(id);
}

bool SqliteCatalog::claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    return claim_fenced(asset_id, owner, lease, nullptr, now);
}

bool SqliteCatalog::claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                          const JobLease& fence, std::int64_t now) {
    return claim_fenced(asset_id, owner, lease, &fence, now);
}

bool SqliteCatalog::claim_fenced(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                                 const JobLease* fence, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    if (fence && !lease_held(db_, *fence)) return false;
    sql::Stmt take(db_,
                   "UPDATE assets SET state = 'downloading', claim_owner = ?2, claim_expires_at = ?3, "
                   "claim_job = ?5, claim_token = ?6, attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 AND "
                   "(state = 'pending' OR (state = 'downloading' AND (claim_expires_at < ?4 OR claim_owner = ?2)))");
    take.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now);
    if (fence) take.bind(5, fence->job_id).bind(6, fence->token);
    take.run();
    bool taken = sqlite3_changes(db_) == 1;
    tx.commit();
    return taken;
}

std::optional<AssetRecord> SqliteCatalog::claim_next_for(std::string_view owner, std::chrono::seconds lease,
                                                   const ClaimFilter& filter, std::int64_t now) {
    now = or_now(now);
    nlohmann::json ids = filter.vendor_job_ids, exclude = filter.exclude;
    sql::Transaction tx(db_);
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT a.id FROM assets a JOIN jobs j ON j.id = a.job_id WHERE "
                       "(a.state = 'pending' OR (a.state = 'downloading' AND a.claim_expires_at < ?1) "
                       "OR (a.state = 'failed' AND a.retry_after <= ?1)) "
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

bool SqliteCatalog::renew_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Stmt s(db_,
                "UPDATE assets SET claim_expires_at = ?3, updated_at = ?4 "
                "WHERE id = ?1 AND state IN ('downloading','stored') AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, now + lease.count()).bind(4, now).run();
    return sqlite3_changes(db_) == 1;
}

void SqliteCatalog::mark_expired(std::int64_t asset_id, std::string_view owner, std::string_view error) {
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'expired-before-archived', error = ?3, claim_owner = NULL, "
                "claim_expires_at = NULL, updated_at = ?4 WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, error).bind(4, unix_now()).run();
    tx.commit();
}

void SqliteCatalog::mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts) {
    store_fenced(asset_id, owner, facts, nullptr);
}

void SqliteCatalog::mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts,
                                const JobLease& fence) {
    store_fenced(asset_id, owner, facts, &fence);
}

void SqliteCatalog::store_fenced(std::int64_t asset_id, std::string_view owner, const StoredFacts& f,
                                 const JobLease* fence) {
    sql::Transaction tx(db_);
    if (fence && !lease_held(db_, *fence))
        throw ClaimLost(ErrorDomain::sqlite, "mark asset " + std::to_string(asset_id) + " stored", 0,
                        "queued job " + std::to_string(fence->job_id) + " is no longer this worker's (lease lost)");
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
        throw ClaimLost(ErrorDomain::sqlite, "mark asset " + std::to_string(asset_id) + " stored", 0,
                    "the claim of '" + std::string(owner) + "' is no longer held (lease expired and taken over?)");
    tx.commit();
}

void SqliteCatalog::release(std::int64_t asset_id, std::string_view owner, std::string_view error, bool retryable) {
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = ?3, error = ?4, claim_owner = NULL, claim_expires_at = NULL, "
                "retry_after = NULL, updated_at = ?5 WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, retryable ? "pending" : "failed").bind(4, error).bind(5, unix_now());
    s.run();
    tx.commit();
}

void SqliteCatalog::release_with_backoff(std::int64_t asset_id, std::string_view owner, std::string_view error,
                                         const RetryBackoff& backoff, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'failed', error = ?3, claim_owner = NULL, claim_expires_at = NULL, "
                "retry_backoff = min(coalesce(retry_backoff * 2, ?4), ?5), "
                "retry_after = ?6 + min(coalesce(retry_backoff * 2, ?4), ?5), updated_at = ?6 "
                "WHERE id = ?1 AND state = 'downloading' AND claim_owner = ?2");
    s.bind(1, asset_id).bind(2, owner).bind(3, error).bind(4, std::int64_t(backoff.initial.count()));
    s.bind(5, std::int64_t(backoff.max.count())).bind(6, now).run();
    tx.commit();
}

void SqliteCatalog::mark_verified(std::int64_t asset_id, std::int64_t now) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'verified', verified_at = ?2, error = NULL, claim_owner = NULL, "
                "claim_expires_at = NULL, retry_after = NULL, retry_backoff = NULL, updated_at = ?2 WHERE id = ?1 AND "
                "(state IN ('stored','verified') OR (state = 'failed' AND sha256 IS NOT NULL AND store_key IS NOT NULL))");
    s.bind(1, asset_id).bind(2, or_now(now)).run();
}

void SqliteCatalog::mark_verify_failed(std::int64_t asset_id, std::string_view error) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'failed', error = ?2, claim_owner = NULL, claim_expires_at = NULL, "
                "retry_after = NULL, retry_backoff = NULL, updated_at = ?3 WHERE id = ?1");
    s.bind(1, asset_id).bind(2, error).bind(3, unix_now()).run();
}

std::vector<ListRow> SqliteCatalog::list(const ListQuery& q) {
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
    static_assert(asset_column_count == 25);
    return rows;
}

std::vector<ListRow> SqliteCatalog::verify_candidates(std::optional<int> sample) {
    std::string sql = std::string("SELECT ") + job_columns + ", " + asset_columns +
                      " FROM assets a JOIN jobs j ON j.id = a.job_id WHERE a.state IN ('stored','verified')"
                      " OR (a.state = 'failed' AND a.sha256 IS NOT NULL AND a.store_key IS NOT NULL)"
                      " ORDER BY a.state <> 'failed', a.verified_at IS NOT NULL, a.verified_at, random()";
    if (sample) sql += " LIMIT ?1";
    sql::Stmt s(db_, sql);
    if (sample) s.bind(1, *sample);
    std::vector<ListRow> rows;
    while (s.step()) rows.push_back({read_job(s, 0), read_asset(s, 8)});
    return rows;
}

std::optional<AssetRecord> SqliteCatalog::find_asset(std::int64_t job_id, std::string_view name) {
    sql::Stmt s(db_, std::string("SELECT ") + asset_columns + " FROM assets a WHERE a.job_id = ?1 AND a.name = ?2");
    s.bind(1, job_id).bind(2, name);
    if (!s.step()) return std::nullopt;
    return read_asset(s, 0);
}

std::optional<StageRecord> SqliteCatalog::find_stage(std::string_view job_key, std::string_view stage) {
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

std::vector<StageRecord> SqliteCatalog::stages_named(std::string_view stage) {
    sql::Stmt s(db_, "SELECT job_key, fingerprint, result, finished_at FROM job_stages WHERE stage = ?1 ORDER BY job_key");
    s.bind(1, stage);
    std::vector<StageRecord> out;
    while (s.step()) {
        StageRecord r;
        r.job_key = s.text(0);
        r.stage = stage;
        r.fingerprint = s.text(1);
        r.result = nlohmann::json::parse(s.text(2));
        r.finished_at = s.int64(3);
        out.push_back(std::move(r));
    }
    return out;
}

namespace {

constexpr const char* upsert_stage =
    "INSERT INTO job_stages (job_key, stage, fingerprint, result, finished_at) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (job_key, stage) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "result = excluded.result, finished_at = excluded.finished_at";

void check_stage(const StageRecord& record) {
    if (record.job_key.empty() || record.stage.empty()) throw_usage("a job stage needs a job key and a stage name");
}

void write_stage(sqlite3* db, const StageRecord& record) {
    check_stage(record);
    sql::Stmt s(db, upsert_stage);
    s.bind(1, record.job_key).bind(2, record.stage).bind(3, record.fingerprint).bind(4, record.result.dump());
    s.bind(5, record.finished_at != 0 ? record.finished_at : unix_now());
    s.run();
}


}  // namespace

void SqliteCatalog::record_stage(const StageRecord& record) { write_stage(db_, record); }

bool SqliteCatalog::record_stage(const StageRecord& record, const JobLease& lease) {
    check_stage(record);
    sql::Transaction tx(db_);
    if (!lease_held(db_, lease)) return false;
    write_stage(db_, record);
    tx.commit();
    return true;
}

bool SqliteCatalog::forget_stage(std::string_view job_key, std::string_view stage, const JobLease& lease) {
    sql::Transaction tx(db_);
    if (!lease_held(db_, lease)) return false;
    forget_stage(job_key, stage);
    tx.commit();
    return true;
}

void SqliteCatalog::requeue_failed(std::int64_t asset_id) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'pending', error = NULL, claim_owner = NULL, claim_expires_at = NULL, "
                "retry_after = NULL, retry_backoff = NULL, updated_at = ?2 WHERE id = ?1 AND state = 'failed'");
    s.bind(1, asset_id).bind(2, unix_now());
    s.run();
}

bool SqliteCatalog::requeue_expired(std::int64_t asset_id, std::string_view reason) {
    sql::Stmt s(db_,
                "UPDATE assets SET state = 'pending', error = ?2, claim_owner = NULL, claim_expires_at = NULL, "
                "updated_at = ?3 WHERE id = ?1 AND state = 'expired-before-archived'");
    s.bind(1, asset_id).bind(2, reason).bind(3, unix_now());
    s.run();
    return sqlite3_changes(db_) == 1;
}

void SqliteCatalog::forget_stage(std::string_view job_key, std::string_view stage) {
    sql::Stmt s(db_, "DELETE FROM job_stages WHERE job_key = ?1 AND stage = ?2");
    s.bind(1, job_key).bind(2, stage);
    s.run();
}

namespace {

const char* queue_columns =
    "id, name, idempotency_key, spec, state, attempts, max_attempts, lease_token, worker, lease_expires_at, "
    "run_after, stage, last_error, submitted_at, updated_at, finished_at, last_worker";

QueuedJob read_queued(const sql::Stmt& s) {
    QueuedJob j;
    j.id = s.int64(0);
    j.name = s.text(1);
    j.idempotency_key = s.text(2);
    j.spec = nlohmann::json::parse(s.text(3), nullptr, false);
    if (j.spec.is_discarded()) j.spec = nlohmann::json::object();
    j.state = queue_state_from_string(s.text(4));
    j.attempts = int(s.int64(5));
    j.max_attempts = int(s.int64(6));
    j.lease_token = s.int64(7);
    j.worker = s.text(8);
    j.lease_expires_at = s.opt_int64(9);
    j.run_after = s.int64(10);
    j.stage = s.text(11);
    j.last_error = s.text(12);
    j.submitted_at = s.int64(13);
    j.updated_at = s.int64(14);
    j.finished_at = s.opt_int64(15);
    j.last_worker = s.text(16);
    return j;
}

// The WHERE of every change a worker makes: its claim is still the job's current one.
constexpr const char* fenced = " WHERE id = ?1 AND lease_token = ?2 AND state = 'running'";

}  // namespace

namespace {

QueuedJob queued_in(sqlite3* db, std::int64_t id) {
    sql::Stmt s(db, std::string("SELECT ") + queue_columns + " FROM queue_jobs WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("queued job " + std::to_string(id), "no such job");
    return read_queued(s);
}

nlohmann::json json_or_null(const sql::Stmt& s, int col) {
    if (s.is_null(col)) return nullptr;
    nlohmann::json j = nlohmann::json::parse(s.text(col), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

void add_event(sqlite3* db, std::string_view type, std::optional<std::int64_t> job_id,
               std::optional<std::int64_t> batch_id, const std::string& url, const std::string& payload,
               std::int64_t now) {
    sql::Stmt s(db,
                "INSERT INTO webhook_outbox (event_id, type, job_id, batch_id, url, payload, next_attempt_at, "
                "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
    s.bind(1, new_webhook_event_id()).bind(2, type).bind(3, job_id).bind(4, batch_id).bind(5, url).bind(6, payload);
    s.bind(7, now).run();
}

// Inside the caller's write transaction, after the job's state changed.
void add_job_event(sqlite3* db, std::string_view type, std::int64_t job_id, std::int64_t now) {
    nlohmann::json notify;
    {
        sql::Stmt s(db, "SELECT notify FROM queue_jobs WHERE id = ?1");
        s.bind(1, job_id);
        if (s.step()) notify = json_or_null(s, 0);
    }
    if (!notify_wants(notify, type)) return;
    std::optional<std::int64_t> batch_id;
    {
        sql::Stmt s(db, "SELECT min(batch_id) FROM batch_jobs WHERE job_id = ?1");
        s.bind(1, job_id);
        if (s.step()) batch_id = s.opt_int64(0);
    }
    add_event(db, type, job_id, std::nullopt, notify["url"].get<std::string>(),
              job_event_payload(type, queued_in(db, job_id), batch_id, now), now);
}

BatchRecord batch_in(sqlite3* db, std::int64_t id) {
    BatchRecord b;
    {
        sql::Stmt s(db, "SELECT id, name, notify, created_at, finished_at FROM batches WHERE id = ?1");
        s.bind(1, id);
        if (!s.step()) throw_input("batch " + std::to_string(id), "no such batch");
        b.id = s.int64(0);
        b.name = s.text(1);
        b.notify = json_or_null(s, 2);
        b.created_at = s.int64(3);
        b.finished_at = s.opt_int64(4);
    }
    sql::Stmt s(db, "SELECT job_id FROM batch_jobs WHERE batch_id = ?1 ORDER BY position");
    s.bind(1, id);
    while (s.step()) b.job_ids.push_back(s.int64(0));
    return b;
}

// Finishes the batch (once) when none of its jobs is queued or running, with its batch.finished
// event; inside the caller's write transaction.
void finish_batch_if_done(sqlite3* db, std::int64_t batch_id, std::int64_t now) {
    sql::Stmt s(db,
                "UPDATE batches SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM batch_jobs bj JOIN queue_jobs q ON q.id = bj.job_id WHERE bj.batch_id = ?1 AND "
                "q.state IN ('queued','running'))");
    s.bind(1, batch_id).bind(2, now).run();
    if (sqlite3_changes(db) != 1) return;
    BatchRecord b = batch_in(db, batch_id);
    if (!notify_wants(b.notify, "batch.finished")) return;
    std::vector<QueuedJob> jobs;
    for (std::int64_t id : b.job_ids) jobs.push_back(queued_in(db, id));
    add_event(db, "batch.finished", std::nullopt, batch_id, b.notify["url"].get<std::string>(),
              batch_event_payload(b, jobs, now), now);
}

void finish_batches_of(sqlite3* db, std::int64_t job_id, std::int64_t now) {
    std::vector<std::int64_t> open;
    {
        sql::Stmt s(db, "SELECT DISTINCT b.id FROM batches b JOIN batch_jobs bj ON bj.batch_id = b.id "
                        "WHERE bj.job_id = ?1 AND b.finished_at IS NULL ORDER BY b.id");
        s.bind(1, job_id);
        while (s.step()) open.push_back(s.int64(0));
    }
    for (std::int64_t id : open) finish_batch_if_done(db, id, now);
}

const char* webhook_columns =
    "id, event_id, type, job_id, batch_id, url, payload, state, attempts, failed_attempts, next_attempt_at, "
    "claim_owner, claim_expires_at, last_status, last_error, created_at, delivered_at";

WebhookEvent read_webhook(const sql::Stmt& s) {
    WebhookEvent e;
    e.id = s.int64(0);
    e.event_id = s.text(1);
    e.type = s.text(2);
    e.job_id = s.opt_int64(3);
    e.batch_id = s.opt_int64(4);
    e.url = s.text(5);
    e.payload = s.text(6);
    e.state = webhook_state_from_string(s.text(7));
    e.attempts = int(s.int64(8));
    e.failed_attempts = int(s.int64(9));
    e.next_attempt_at = s.int64(10);
    e.claim_owner = s.text(11);
    e.claim_expires_at = s.opt_int64(12);
    if (!s.is_null(13)) e.last_status = int(s.int64(13));
    e.last_error = s.text(14);
    e.created_at = s.int64(15);
    e.delivered_at = s.opt_int64(16);
    return e;
}

}  // namespace

SubmitResult SqliteCatalog::submit_job(std::string_view name, const nlohmann::json& spec, int max_attempts,
                                       std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    SubmitResult result = submit_in_transaction(name, spec, max_attempts, now);
    tx.commit();
    return result;
}

SubmitResult SqliteCatalog::submit_in_transaction(std::string_view name, const nlohmann::json& spec, int max_attempts,
                                                  std::int64_t now) {
    if (name.empty()) throw_usage("a queued job needs a name");
    if (max_attempts < 1) throw_usage("a queued job needs at least one attempt");
    const std::string key = job_idempotency_key(name, spec);
    {
        sql::Stmt live(db_, "SELECT id, state FROM queue_jobs WHERE idempotency_key = ?1 AND "
                            "state IN ('queued','running','done')");
        live.bind(1, key);
        if (live.step()) return {live.int64(0), false, queue_state_from_string(live.text(1))};
    }
    sql::Stmt add(db_,
                  "INSERT INTO queue_jobs (name, idempotency_key, spec, max_attempts, run_after, submitted_at, "
                  "updated_at, notify) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6) RETURNING id");
    add.bind(1, name).bind(2, key).bind(3, spec.dump()).bind(4, max_attempts).bind(5, now);
    if (spec.is_object() && spec.contains("notify") && !spec["notify"].is_null()) add.bind(6, spec["notify"].dump());
    else add.bind_null(6);
    if (!add.step()) throw Error(ErrorDomain::sqlite, "submit job", 0, "no id returned");
    std::int64_t id = add.int64(0);
    add.run();
    return {id, true, QueueState::queued};
}

std::optional<QueuedJob> SqliteCatalog::claim_job(std::string_view worker, std::chrono::seconds lease, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);  // BEGIN IMMEDIATE: the write lock, so one claimer at a time
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT id FROM queue_jobs WHERE (state = 'queued' AND run_after <= ?1) OR "
                       "(state = 'running' AND lease_expires_at < ?1) ORDER BY run_after, id LIMIT 1");
        pick.bind(1, now);
        if (!pick.step()) return std::nullopt;
        id = pick.int64(0);
    }
    sql::Stmt take(db_,
                   "UPDATE queue_jobs SET state = 'running', worker = ?2, last_worker = ?2, lease_expires_at = ?3, "
                   "lease_token = lease_token + 1, attempts = attempts + 1, updated_at = ?4 WHERE id = ?1");
    take.bind(1, id).bind(2, worker).bind(3, now + lease.count()).bind(4, now).run();
    tx.commit();
    return queued_job(id);
}

bool SqliteCatalog::heartbeat_job(const JobLease& lease, std::chrono::seconds duration, std::int64_t now) {
    now = or_now(now);
    sql::Stmt s(db_, std::string("UPDATE queue_jobs SET lease_expires_at = ?3, updated_at = ?4") + fenced);
    s.bind(1, lease.job_id).bind(2, lease.token).bind(3, now + duration.count()).bind(4, now).run();
    return sqlite3_changes(db_) == 1;
}

bool SqliteCatalog::set_job_stage(const JobLease& lease, std::string_view stage) {
    sql::Stmt s(db_, std::string("UPDATE queue_jobs SET stage = ?3, updated_at = ?4") + fenced);
    s.bind(1, lease.job_id).bind(2, lease.token).bind(3, stage).bind(4, unix_now()).run();
    return sqlite3_changes(db_) == 1;
}

bool SqliteCatalog::complete_job(const JobLease& lease, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);  // the job's events commit with its state, or neither does
    sql::Stmt s(db_, std::string("UPDATE queue_jobs SET state = 'done', worker = NULL, lease_expires_at = NULL, "
                                 "last_error = '', finished_at = ?3, updated_at = ?3") + fenced);
    s.bind(1, lease.job_id).bind(2, lease.token).bind(3, now).run();
    if (sqlite3_changes(db_) != 1) return false;
    add_job_event(db_, "job.succeeded", lease.job_id, now);
    finish_batches_of(db_, lease.job_id, now);
    tx.commit();
    return true;
}

bool SqliteCatalog::fail_job(const JobLease& lease, std::string_view error, bool transient, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    QueuedJob job = queued_job(lease.job_id);
    if (job.state != QueueState::running || job.lease_token != lease.token) return false;
    bool again = transient && job.attempts < job.max_attempts;
    sql::Stmt s(db_, std::string("UPDATE queue_jobs SET state = ?3, worker = NULL, lease_expires_at = NULL, "
                                 "last_error = ?4, run_after = ?5, finished_at = ?6, updated_at = ?7") + fenced);
    s.bind(1, lease.job_id).bind(2, lease.token).bind(3, again ? "queued" : "failed").bind(4, error);
    s.bind(5, again ? now + queue_backoff(job.attempts).count() : job.run_after);
    s.bind(6, again ? std::optional<std::int64_t>() : std::optional<std::int64_t>(now)).bind(7, now).run();
    bool changed = sqlite3_changes(db_) == 1;
    if (changed && !again) {  // ended failed: a transient failure queued again reports nothing
        add_job_event(db_, "job.failed", lease.job_id, now);
        finish_batches_of(db_, lease.job_id, now);
    }
    tx.commit();
    return changed;
}

bool SqliteCatalog::release_job(const JobLease& lease, std::int64_t now) {
    now = or_now(now);
    sql::Stmt s(db_, std::string("UPDATE queue_jobs SET state = 'queued', worker = NULL, lease_expires_at = NULL, "
                                 "attempts = max(attempts - 1, 0), run_after = ?3, updated_at = ?3") + fenced);
    s.bind(1, lease.job_id).bind(2, lease.token).bind(3, now).run();
    return sqlite3_changes(db_) == 1;
}

bool SqliteCatalog::cancel_job(std::int64_t id, std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "UPDATE queue_jobs SET state = 'cancelled', worker = NULL, lease_expires_at = NULL, finished_at = ?2, "
                "updated_at = ?2 WHERE id = ?1 AND state IN ('queued','running')");
    s.bind(1, id).bind(2, now).run();
    if (sqlite3_changes(db_) != 1) return false;
    finish_batches_of(db_, id, now);  // a cancelled job has no event of its own
    tx.commit();
    return true;
}

bool SqliteCatalog::retry_job(std::int64_t id, std::int64_t now) {
    now = or_now(now);
    sql::Stmt s(db_,
                "UPDATE queue_jobs SET state = 'queued', attempts = 0, run_after = ?2, finished_at = NULL, "
                "updated_at = ?2 WHERE id = ?1 AND state IN ('failed','cancelled')");
    s.bind(1, id).bind(2, now).run();
    return sqlite3_changes(db_) == 1;
}

QueuedJob SqliteCatalog::queued_job(std::int64_t id) {
    sql::Stmt s(db_, std::string("SELECT ") + queue_columns + " FROM queue_jobs WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw_input("queued job " + std::to_string(id), "no such job");
    return read_queued(s);
}

std::vector<QueuedJob> SqliteCatalog::queued_jobs() {
    sql::Stmt s(db_, std::string("SELECT ") + queue_columns + " FROM queue_jobs ORDER BY id");
    std::vector<QueuedJob> out;
    while (s.step()) out.push_back(read_queued(s));
    return out;
}

CatalogStats SqliteCatalog::stats(std::int64_t now) {
    now = or_now(now);
    CatalogStats out = stats_sql::zero_stats();
    sql::Transaction tx(db_, "BEGIN");  // a read: one snapshot for all four statements
    {
        sql::Stmt s(db_, stats_sql::jobs_by_state);
        while (s.step()) out.jobs[queue_state_from_string(s.text(0))] = s.int64(1);
    }
    {
        sql::Stmt s(db_, stats_sql::due_jobs("?1"));
        s.bind(1, now);
        if (s.step()) {
            out.due_jobs = s.int64(0);
            out.oldest_due_since = s.opt_int64(1);
        }
    }
    {
        sql::Stmt s(db_, stats_sql::assets_by_state);
        while (s.step()) stats_sql::add_asset_row(out, asset_state_from_string(s.text(0)), s.int64(1), s.int64(2));
    }
    {
        sql::Stmt s(db_, stats_sql::webhooks_by_state);
        while (s.step()) stats_sql::add_webhook_row(out, webhook_state_from_string(s.text(0)), s.int64(1), s.int64(2));
    }
    {
        sql::Stmt s(db_, stats_sql::unarchived);
        if (s.step()) {
            out.unarchived_assets = s.int64(0);
            out.soonest_link_expiry = s.opt_int64(1);
        }
    }
    tx.commit();
    return out;
}

QueuePage SqliteCatalog::queued_jobs_page(std::optional<QueueState> state, std::int64_t offset, int limit) {
    QueuePage page;
    {
        sql::Stmt count(db_, "SELECT count(*) FROM queue_jobs WHERE ?1 IS NULL OR state = ?1");
        if (state) count.bind(1, to_string(*state));
        else count.bind_null(1);
        if (count.step()) page.total = count.int64(0);
    }
    sql::Stmt s(db_, std::string("SELECT ") + queue_columns +
                         " FROM queue_jobs WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3");
    if (state) s.bind(1, to_string(*state));
    else s.bind_null(1);
    s.bind(2, limit).bind(3, offset);
    while (s.step()) page.jobs.push_back(read_queued(s));
    return page;
}

BatchSubmitResult SqliteCatalog::submit_batch(std::string_view name, const nlohmann::json& notify,
                                              const std::vector<BatchJob>& jobs, int max_attempts, std::int64_t now) {
    if (name.empty()) throw_usage("a batch needs a name");
    now = or_now(now);
    sql::Transaction tx(db_);
    BatchSubmitResult result;
    {
        sql::Stmt add(db_, "INSERT INTO batches (name, notify, created_at) VALUES (?1, ?2, ?3) RETURNING id");
        add.bind(1, name).bind(3, now);
        if (notify.is_null()) add.bind_null(2);
        else add.bind(2, notify.dump());
        if (!add.step()) throw Error(ErrorDomain::sqlite, "submit batch", 0, "no id returned");
        result.batch_id = add.int64(0);
        add.run();
    }
    sql::Stmt member(db_, "INSERT INTO batch_jobs (batch_id, job_id, position) VALUES (?1, ?2, ?3)");
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        SubmitResult r = submit_in_transaction(jobs[i].name, jobs[i].spec, max_attempts, now);
        member.reset();
        member.bind(1, result.batch_id).bind(2, r.id).bind(3, std::int64_t(i)).run();
        result.jobs.push_back(r);
    }
    finish_batch_if_done(db_, result.batch_id, now);  // every job already finished: at once
    tx.commit();
    return result;
}

BatchRecord SqliteCatalog::batch(std::int64_t id) { return batch_in(db_, id); }

std::optional<ApiAnswer> SqliteCatalog::api_answer(std::string_view scope, std::string_view key) {
    sql::Stmt s(db_, "SELECT request_sha256, status, body FROM api_answers WHERE scope = ?1 AND key = ?2");
    s.bind(1, scope).bind(2, key);
    if (!s.step()) return std::nullopt;
    return ApiAnswer{s.text(0), int(s.int64(1)), s.text(2)};
}

ApiAnswer SqliteCatalog::remember_api_answer(std::string_view scope, std::string_view key, const ApiAnswer& answer,
                                             std::int64_t now) {
    now = or_now(now);
    sql::Transaction tx(db_);
    sql::Stmt s(db_,
                "INSERT INTO api_answers (scope, key, request_sha256, status, body, created_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (scope, key) DO NOTHING");
    s.bind(1, scope).bind(2, key).bind(3, answer.request_sha256).bind(4, answer.status).bind(5, answer.body).bind(6, now);
    s.run();
    std::optional<ApiAnswer> kept = api_answer(scope, key);
    tx.commit();
    if (!kept) throw Error(ErrorDomain::sqlite, "remember API answer", 0, "the answer is missing after its insert");
    return *kept;
}

std::optional<WebhookEvent> SqliteCatalog::claim_webhook_event(std::string_view owner, std::chrono::seconds lease,
                                                               std::int64_t now) {
    if (owner.empty()) throw_usage("a webhook claim needs an owner");
    now = or_now(now);
    sql::Transaction tx(db_);  // BEGIN IMMEDIATE: one claimer at a time, across processes
    std::int64_t id = 0;
    {
        sql::Stmt pick(db_,
                       "SELECT id FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= ?1 AND "
                       "(claim_expires_at IS NULL OR claim_expires_at < ?1) ORDER BY next_attempt_at, id LIMIT 1");
        pick.bind(1, now);
        if (!pick.step()) return std::nullopt;
        id = pick.int64(0);
    }
    sql::Stmt take(db_, "UPDATE webhook_outbox SET claim_owner = ?2, claim_expires_at = ?3, attempts = attempts + 1 "
                        "WHERE id = ?1");
    take.bind(1, id).bind(2, owner).bind(3, now + lease.count()).run();
    sql::Stmt read(db_, std::string("SELECT ") + webhook_columns + " FROM webhook_outbox WHERE id = ?1");
    read.bind(1, id);
    if (!read.step()) throw Error(ErrorDomain::sqlite, "claim webhook event", 0, "the claimed event is missing");
    WebhookEvent event = read_webhook(read);
    tx.commit();
    return event;
}

bool SqliteCatalog::record_webhook_attempt(const WebhookEvent& claimed, const WebhookAttemptResult& r, std::int64_t now) {
    now = or_now(now);
    using Outcome = WebhookAttemptResult::Outcome;
    const char* state = r.outcome == Outcome::delivered ? "delivered" : r.outcome == Outcome::dead ? "dead" : "pending";
    sql::Stmt s(db_,
                "UPDATE webhook_outbox SET state = ?4, claim_owner = NULL, claim_expires_at = NULL, last_status = ?5, "
                "last_error = ?6, failed_attempts = failed_attempts + ?7, next_attempt_at = ?8, delivered_at = ?9 "
                "WHERE id = ?1 AND claim_owner = ?2 AND attempts = ?3 AND state = 'pending'");
    s.bind(1, claimed.id).bind(2, claimed.claim_owner).bind(3, claimed.attempts).bind(4, state);
    s.bind(5, r.status ? std::optional<std::int64_t>(*r.status) : std::nullopt).bind(6, r.error);
    s.bind(7, r.outcome == Outcome::delivered ? 0 : 1);
    s.bind(8, r.outcome == Outcome::failed ? r.next_attempt_at : claimed.next_attempt_at);
    s.bind(9, r.outcome == Outcome::delivered ? std::optional<std::int64_t>(now) : std::nullopt).run();
    return sqlite3_changes(db_) == 1;
}

std::vector<WebhookEvent> SqliteCatalog::webhook_events(const WebhookQuery& q) {
    sql::Stmt s(db_, std::string("SELECT ") + webhook_columns +
                         " FROM webhook_outbox WHERE (?1 IS NULL OR job_id = ?1) AND (?2 IS NULL OR batch_id = ?2) "
                         "AND (?3 IS NULL OR state = ?3) ORDER BY id");
    s.bind(1, q.job_id).bind(2, q.batch_id);
    if (q.state) s.bind(3, to_string(*q.state));
    else s.bind_null(3);
    std::vector<WebhookEvent> out;
    while (s.step()) out.push_back(read_webhook(s));
    return out;
}

bool SqliteCatalog::queue_has_work() {
    // queue_jobs_runnable (state, run_after): a lookup of each state, not a scan.
    sql::Stmt s(db_, "SELECT 1 FROM queue_jobs WHERE state IN ('queued','running') LIMIT 1");
    return s.step();
}

}  // namespace avpost::archive
