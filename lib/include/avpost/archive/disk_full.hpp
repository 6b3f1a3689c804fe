#pragma once
// Running out of space while archiving (ENOSPC, EDQUOT, the EFBIG of a file size limit, or
// SQLite's SQLITE_FULL): one error that says so in one line and stops the run, whichever file hit
// it (the catalog, a staged download, the local store). It is an OutputError, so the CLI exits 4.
#include <string>

#include "avpost/core/error.hpp"

namespace avpost::archive {

class DiskFull : public OutputError {
public:
    using OutputError::OutputError;
};

// ENOSPC, EDQUOT or EFBIG.
bool is_disk_full_errno(int errno_value);
// A DiskFull, or an errno Error (ErrorDomain::system) with one of those codes.
bool is_disk_full(const Error& error);

// "the disk is full (No space left on device); free some space and run again", or the like for
// a quota, a file size limit (errno_value 0: SQLITE_FULL, which reports no errno).
std::string disk_full_text(int errno_value);

// Throws DiskFull for `where` (e.g. "archive catalog '/a/catalog.db'").
[[noreturn]] void throw_disk_full(std::string where, ErrorDomain domain, std::int64_t code, int errno_value);

}  // namespace avpost::archive
