#pragma once
// Internal: the PostgreSQL catalog behind open_catalog("postgresql://...").
#include <memory>
#include <string>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

// Connects (libpq connection URI, unix sockets included) and brings the schema up to date.
std::unique_ptr<Catalog> open_pg_catalog(const std::string& uri, const CatalogOptions& options);

}  // namespace avpost::archive
