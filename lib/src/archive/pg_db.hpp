#pragma once
// Internal: owners for PGconn and PGresult, text parameters, and the one way a libpq failure
// becomes an Error(postgres): what failed (the catalog, named without password or query), the
// SQLSTATE as its code and libpq's own primary message in one line; the SQL only in the debug
// log. Running out of space (SQLSTATE 53100) becomes DiskFull.
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avpost/archive/disk_full.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"

namespace avpost::archive::pg {

struct ConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline and may continue on more lines (DETAIL, HINT): one line.
inline std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// "53100" -> a number (base 36), so Error::code carries the SQLSTATE; 0 when there is none.
inline std::int64_t sqlstate_code(const char* state) {
    if (!state || !*state) return 0;
    return std::int64_t(std::strtoll(state, nullptr, 36));
}

[[noreturn]] inline void throw_result(const std::string& where, const PGresult* r, PGconn* conn) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string detail = primary ? primary : one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    if (detail.empty()) detail = one_line(PQerrorMessage(conn));
    if (state && std::string_view(state) == "53100")  // disk_full
        throw_disk_full(where, ErrorDomain::postgres, sqlstate_code(state), 0);
    throw Error(ErrorDomain::postgres, where, sqlstate_code(state), detail.empty() ? "unknown failure" : detail);
}

// Parameters of one statement, all sent as text ($1, $2, ... in the order added).
class Params {
public:
    Params& add(std::string_view v) {
        values_.emplace_back(v);
        return *this;
    }
    Params& add(const char* v) { return add(std::string_view(v)); }
    Params& add(const std::string& v) { return add(std::string_view(v)); }
    Params& add(std::int64_t v) { return add(std::to_string(v)); }
    Params& add(int v) { return add(std::int64_t(v)); }
    Params& add(bool v) { return add(v ? "true" : "false"); }
    Params& add(double v) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        return add(std::string_view(buf));
    }
    template <class T>
    Params& add(const std::optional<T>& v) {
        return v ? add(*v) : add_null();
    }
    Params& add_null() {
        values_.emplace_back(std::nullopt);
        return *this;
    }

    int size() const { return int(values_.size()); }
    std::vector<const char*> pointers() const {
        std::vector<const char*> out;
        for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
        return out;
    }

private:
    std::vector<std::optional<std::string>> values_;
};

// A result of rows, read by column index.
class Rows {
public:
    explicit Rows(ResultPtr r) : r_(std::move(r)) {}
    int size() const { return PQntuples(r_.get()); }
    bool empty() const { return size() == 0; }
    bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
    std::string text(int row, int col) const {
        return std::string(PQgetvalue(r_.get(), row, col), std::size_t(PQgetlength(r_.get(), row, col)));
    }
    std::int64_t int64(int row, int col) const { return std::int64_t(std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10)); }
    double real(int row, int col) const { return std::strtod(PQgetvalue(r_.get(), row, col), nullptr); }
    std::optional<std::int64_t> opt_int64(int row, int col) const {
        return is_null(row, col) ? std::nullopt : std::optional<std::int64_t>(int64(row, col));
    }
    // Rows an UPDATE or DELETE changed.
    int affected() const {
        const char* n = PQcmdTuples(r_.get());
        return n && *n ? std::atoi(n) : 0;
    }

private:
    ResultPtr r_;
};

}  // namespace avpost::archive::pg
