#pragma once
// The --catalog option of the queue commands (submit, jobs, worker): where the job queue lives.
#include <CLI/CLI.hpp>
#include <string>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::tool {

inline void add_queue_catalog_option(CLI::App& sub, std::string& catalog) {
    sub.add_option("--catalog", catalog,
                   "The job queue's catalog: a postgresql:// URI (a fleet) or a file path (default: "
                   "$AVPOST_CATALOG, else catalog.db in the archive root)");
}

// --catalog, else $AVPOST_CATALOG, else the default archive root's catalog.db.
inline std::string queue_catalog_location(const std::string& catalog) {
    return archive::catalog_location(catalog, archive::archive_root());
}

}  // namespace avpost::tool
