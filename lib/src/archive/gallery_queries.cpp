#include "avpost/archive/gallery.hpp"

#include "avpost/core/error.hpp"
#include "gallery_backends.hpp"
#include "pg_catalog.hpp"

namespace avpost::archive {
namespace gallery_sql {

int rank_of(GalleryState s) {
    switch (s) {
        case GalleryState::waiting: return 0;
        case GalleryState::archived: return 1;
        case GalleryState::archiving: return 2;
        case GalleryState::expired: return 3;
        case GalleryState::failed: return 4;
    }
    return 0;
}

GalleryState state_of_rank(std::int64_t rank) {
    switch (rank) {
        case 1: return GalleryState::archived;
        case 2: return GalleryState::archiving;
        case 3: return GalleryState::expired;
        case 4: return GalleryState::failed;
        default: return GalleryState::waiting;
    }
}

std::string like_pattern(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

}  // namespace gallery_sql

std::string_view to_string(GalleryState state) {
    switch (state) {
        case GalleryState::waiting: return "waiting";
        case GalleryState::archiving: return "archiving";
        case GalleryState::archived: return "archived";
        case GalleryState::failed: return "failed";
        case GalleryState::expired: return "expired";
    }
    return "waiting";
}

std::optional<GalleryState> gallery_state_from_string(std::string_view text) {
    for (auto s : {GalleryState::waiting, GalleryState::archiving, GalleryState::archived, GalleryState::failed,
                   GalleryState::expired})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

GalleryPage gallery_page(Catalog& catalog, const GalleryQuery& q) {
    if (q.page < 1) throw_usage("gallery page must be 1 or more");
    if (q.per_page < 1 || q.per_page > gallery_max_per_page)
        throw_usage("gallery page size must be 1 to " + std::to_string(gallery_max_per_page));
    if (auto* sqlite = dynamic_cast<SqliteCatalog*>(&catalog)) return gallery_sql::sqlite_page(*sqlite, q);
    return gallery_sql::pg_page(catalog, q);
}

std::optional<GalleryJob> gallery_job(Catalog& catalog, std::int64_t job_id) {
    if (auto* sqlite = dynamic_cast<SqliteCatalog*>(&catalog)) return gallery_sql::sqlite_job(*sqlite, job_id);
    return gallery_sql::pg_job(catalog, job_id);
}

std::optional<GalleryFile> gallery_file(Catalog& catalog, std::int64_t asset_id) {
    if (auto* sqlite = dynamic_cast<SqliteCatalog*>(&catalog)) return gallery_sql::sqlite_file(*sqlite, asset_id);
    return gallery_sql::pg_file(catalog, asset_id);
}

}  // namespace avpost::archive
