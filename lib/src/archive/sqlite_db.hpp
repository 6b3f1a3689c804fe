#pragma once
// Internal: owners for sqlite3 and sqlite3_stmt, and the few helpers the catalog needs. Every
// failing SQLite call becomes an Error(sqlite) with the extended result code and sqlite3_errmsg,
// naming the catalog file, never the SQL (that goes to the debug log); running out of space
// (SQLITE_FULL, or a write error from ENOSPC/EDQUOT/EFBIG) becomes DiskFull.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avpost/archive/disk_full.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::archive::sql {

struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// "archive catalog '/root/catalog.db'" (or the in-memory database's plain name).
inline std::string catalog_name(sqlite3* db) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    return file && *file ? "archive catalog '" + std::string(file) + "'" : std::string("archive catalog");
}

// Out of space: SQLITE_FULL, or an I/O error whose errno says so.
inline bool is_full(int code, int system_errno) {
    if ((code & 0xff) == SQLITE_FULL) return true;
    return (code & 0xff) == SQLITE_IOERR && is_disk_full_errno(system_errno);
}

// `detail` empty: sqlite3_errmsg.
[[noreturn]] inline void throw_sqlite(sqlite3* db, int rc, std::string context, std::string detail = {}) {
    int code = db ? sqlite3_extended_errcode(db) : rc;
    int system_errno = db ? sqlite3_system_errno(db) : 0;
    if (is_full(code, system_errno))
        throw_disk_full(catalog_name(db), ErrorDomain::sqlite, code, (code & 0xff) == SQLITE_FULL ? 0 : system_errno);
    if (detail.empty()) detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw Error(ErrorDomain::sqlite, std::move(context), code, std::move(detail));
}

inline void check(sqlite3* db, int rc, std::string_view context) {
    if (rc != SQLITE_OK) throw_sqlite(db, rc, std::string(context));
}

// Runs one or more statements that return no rows we need.
inline void exec(sqlite3* db, std::string_view sql, std::string_view context) {
    char* message = nullptr;
    int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string detail = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw_sqlite(db, rc, std::string(context), std::move(detail));
    }
}

// A prepared statement bound by 1-based index; step() returns true while there is a row.
class Stmt {
public:
    Stmt(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
        sqlite3_stmt* raw = nullptr;
        int rc = sqlite3_prepare_v2(db, sql_.c_str(), int(sql_.size()), &raw, nullptr);
        stmt_.reset(raw);
        if (rc != SQLITE_OK) fail(rc, "prepare");
    }
    Stmt& bind(int i, std::int64_t v) { return checked(sqlite3_bind_int64(stmt_.get(), i, v), i); }
    Stmt& bind(int i, int v) { return bind(i, std::int64_t(v)); }
    Stmt& bind(int i, double v) { return checked(sqlite3_bind_double(stmt_.get(), i, v), i); }
    Stmt& bind(int i, std::string_view v) {
        return checked(sqlite3_bind_text(stmt_.get(), i, v.data(), int(v.size()), SQLITE_TRANSIENT), i);
    }
    Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Stmt& bind_null(int i) { return checked(sqlite3_bind_null(stmt_.get(), i), i); }
    template <class T>
    Stmt& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind_null(i);
    }
    // Binds NULL for an empty string (optional text columns).
    Stmt& bind_text_or_null(int i, std::string_view v) { return v.empty() ? bind_null(i) : bind(i, v); }

    bool step() {
        int rc = sqlite3_step(stmt_.get());
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(rc, "step");
    }
    void run() {
        while (step()) {
        }
    }
    void reset() {
        sqlite3_reset(stmt_.get());
        sqlite3_clear_bindings(stmt_.get());
    }

    bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
    double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
    std::string text(int col) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
        return p ? std::string(p, std::size_t(sqlite3_column_bytes(stmt_.get(), col))) : std::string();
    }
    std::optional<std::int64_t> opt_int64(int col) const {
        return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
    }

private:
    Stmt& checked(int rc, int index) {
        if (rc != SQLITE_OK) fail(rc, "bind parameter " + std::to_string(index) + " of");
        return *this;
    }
    // Users see which catalog failed and why; the statement itself only in the debug log.
    [[noreturn]] void fail(int rc, const std::string& what) {
        log::debug(what + " SQL statement '" + sql_ + "' failed");
        throw_sqlite(db_, rc, catalog_name(db_));
    }
    sqlite3* db_;
    std::string sql_;
    StmtPtr stmt_;
};

// BEGIN IMMEDIATE takes the write lock at once, so two writers queue on busy_timeout instead of
// deadlocking on a read-to-write upgrade. Rolls back unless committed.
class Transaction {
public:
    explicit Transaction(sqlite3* db, std::string_view begin = "BEGIN IMMEDIATE") : db_(db) {
        exec(db_, begin, "begin transaction");
    }
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        exec(db_, "COMMIT", "commit transaction");
        done_ = true;
    }

private:
    sqlite3* db_;
    bool done_ = false;
};

}  // namespace avpost::archive::sql
