#pragma once
// What the gallery of `avpost serve` shows: jobs newest first with their files, searched,
// filtered and paged in SQL so a catalog of many thousands of jobs answers in milliseconds.
// Reads the catalog only; the page and its JSON are built from these records (gallery_server.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/sqlite_catalog.hpp"

namespace avpost::archive {

// A job's archive state, from its assets: no asset yet (still rendering, or failed at the
// vendor); some not yet stored; all stored; some failed; some whose link died first.
// One word per job, the worst that applies (failed > expired > archiving > archived).
enum class GalleryState { waiting, archiving, archived, failed, expired };
std::string_view to_string(GalleryState state);
std::optional<GalleryState> gallery_state_from_string(std::string_view text);

struct GalleryQuery {
    std::string search;                  // part of the job's name or vendor job id; empty: all
    std::string vendor;                  // empty: all
    std::optional<GalleryState> state;   // empty: all
    int page = 1;                        // 1-based
    int per_page = 24;
};

struct GalleryFile {
    std::int64_t asset_id = 0;
    std::string kind;
    std::string name;
    std::optional<std::int64_t> size;
    AssetState state = AssetState::pending;
    std::string sha256;
    std::optional<MediaFacts> media;
    std::string store_uri;
    std::string store_key;
    bool servable() const { return (state == AssetState::stored || state == AssetState::verified) && !store_key.empty(); }
};

struct GalleryJob {
    std::int64_t id = 0;
    std::string name;  // the `avpost run` job that rendered it, or the local job's name; may be empty
    std::string vendor;
    std::string vendor_job_id;
    std::string status;  // the vendor's status word
    std::int64_t created_at = 0;
    std::optional<std::int64_t> link_expires_at;
    GalleryState state = GalleryState::waiting;
    std::vector<GalleryFile> files;  // in the order they were recorded
};

struct GalleryPage {
    std::int64_t total = 0;  // jobs matching the query, all pages
    int page = 1;
    int per_page = 24;
    std::vector<GalleryJob> jobs;
    std::vector<std::string> vendors;  // every vendor in the catalog (for the filter)
};

inline constexpr int gallery_max_per_page = 100;

// On either catalog (SQLite or PostgreSQL). Throws Error(usage) for a page below 1 or a per_page
// outside 1..gallery_max_per_page.
GalleryPage gallery_page(Catalog& catalog, const GalleryQuery& query);
std::optional<GalleryJob> gallery_job(Catalog& catalog, std::int64_t job_id);
std::optional<GalleryFile> gallery_file(Catalog& catalog, std::int64_t asset_id);

}  // namespace avpost::archive
