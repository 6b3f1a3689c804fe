#pragma once
// Internal: the gallery's queries in each catalog's SQL (gallery_queries_sqlite.cpp,
// gallery_queries_pg.cpp) and what they share. gallery.hpp's functions check the query and
// pick the backend.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "avpost/archive/gallery.hpp"

namespace avpost::archive::gallery_sql {

// The job's state as a number, worst highest; NULL (no asset) is waiting. Plain SQL, the same in
// both dialects.
inline constexpr std::string_view state_rank_sql =
    "(SELECT max(CASE a.state WHEN 'failed' THEN 4 WHEN 'expired-before-archived' THEN 3 "
    "WHEN 'pending' THEN 2 WHEN 'downloading' THEN 2 ELSE 1 END) FROM assets a WHERE a.job_id = j.id)";
// A gallery file's columns, in the order both backends read them (plain SQL, the same in both).
inline constexpr std::string_view file_columns =
    "a.id, a.kind, a.name, a.size, a.state, a.sha256, a.codec, a.width, a.height, a.duration, a.frame_rate, "
    "a.store_uri, a.store_key";
int rank_of(GalleryState state);
GalleryState state_of_rank(std::int64_t rank);

// "%text%" for LIKE, with LIKE's own wildcards (and the escape, a backslash) taken literally.
std::string like_pattern(std::string_view text);

GalleryPage sqlite_page(SqliteCatalog& catalog, const GalleryQuery& query);
std::optional<GalleryJob> sqlite_job(SqliteCatalog& catalog, std::int64_t job_id);
std::optional<GalleryFile> sqlite_file(SqliteCatalog& catalog, std::int64_t asset_id);

GalleryPage pg_page(Catalog& catalog, const GalleryQuery& query);
std::optional<GalleryJob> pg_job(Catalog& catalog, std::int64_t job_id);
std::optional<GalleryFile> pg_file(Catalog& catalog, std::int64_t asset_id);

}  // namespace avpost::archive::gallery_sql
