#pragma once
// Internal: the PostgreSQL catalog behind open_catalog("postgresql://...").
#include <memory>
#include <string>

#include "avpost/archive/catalog.hpp"
#include "pg_db.hpp"

namespace avpost::archive {

// Connects (libpq connection URI, unix sockets included) and brings the schema up to date.
std::unique_ptr<Catalog> open_pg_catalog(const std::string& uri, const CatalogOptions& options);

// For read-only views kept beside the catalog (the gallery's queries): whether `catalog` is the
// PostgreSQL one, and one statement run on its connection as its own are (reconnecting after a
// server restart, errors as Error(postgres) naming the catalog without its password).
bool is_pg_catalog(const Catalog& catalog);
pg::Rows pg_read(Catalog& catalog, const std::string& sql, const pg::Params& params = {});

}  // namespace avpost::archive
