// The gallery's queries on the PostgreSQL catalog (a fleet's): the same answers as SQLite's, in
// PostgreSQL's SQL. The count and the page's ids come from one statement, so they agree.
#include <map>

#include "avpost/core/error.hpp"
#include "gallery_backends.hpp"
#include "pg_catalog.hpp"

namespace avpost::archive::gallery_sql {
namespace {

// A job's name: the `avpost run` job whose render stage started it, through the index of
// migration 4; a local job's name is its id.
constexpr std::string_view name_sql =
    "(SELECT min(s.job_key) FROM job_stages s WHERE s.stage = 'render' "
    "AND s.result->>'vendor' = j.vendor AND s.result->>'id' = j.vendor_job_id)";

// "$N" (gcc 12 warns wrongly of overlapping copies in "$" + std::to_string(n)).
std::string parameter(int number) {
    std::string out = std::to_string(number);
    out.insert(out.begin(), '$');
    return out;
}

// The WHERE clause, numbering its parameters after those already in `params`.
std::string where_clause(const GalleryQuery& q, pg::Params& params) {
    auto next = [&] { return parameter(params.size()); };
    std::string where = " WHERE true";
    if (!q.vendor.empty()) {
        params.add(q.vendor);
        where += " AND j.vendor = " + next();
    }
    if (!q.search.empty()) {
        params.add(like_pattern(q.search));
        const std::string pattern = next();
        // Render stages are matched on their key (no JSON read); only those few map to jobs.
        where += " AND (j.vendor_job_id LIKE " + pattern + " ESCAPE '\\' OR j.id IN (SELECT j2.id FROM job_stages s "
                 "JOIN jobs j2 ON j2.vendor = s.result->>'vendor' AND j2.vendor_job_id = s.result->>'id' "
                 "WHERE s.stage = 'render' AND s.job_key LIKE " + pattern + " ESCAPE '\\'))";
    }
    if (q.state) {
        params.add(rank_of(*q.state));
        where += " AND coalesce(" + std::string(state_rank_sql) + ", 0) = " + next();
    }
    return where;
}

std::string id_array(const std::vector<std::int64_t>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(ids[i]);
    }
    out += '}';
    return out;
}

// The file_columns of row `r`, starting at column `c`.
GalleryFile read_file(const pg::Rows& rows, int r, int c) {
    GalleryFile f;
    f.asset_id = rows.int64(r, c);
    f.kind = rows.text(r, c + 1);
    f.name = rows.text(r, c + 2);
    f.size = rows.opt_int64(r, c + 3);
    f.state = asset_state_from_string(rows.text(r, c + 4));
    f.sha256 = rows.text(r, c + 5);
    if (!rows.is_null(r, c + 6)) {
        MediaFacts m;
        m.codec = rows.text(r, c + 6);
        m.width = int(rows.int64(r, c + 7));
        m.height = int(rows.int64(r, c + 8));
        m.duration_seconds = rows.real(r, c + 9);
        m.frame_rate = rows.real(r, c + 10);
        f.media = m;
    }
    f.store_uri = rows.text(r, c + 11);
    f.store_key = rows.text(r, c + 12);
    return f;
}

// Jobs (with names and states) and their files, for the given ids, in that order.
std::vector<GalleryJob> load_jobs(Catalog& catalog, const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return {};
    std::map<std::int64_t, GalleryJob> by_id;
    pg::Rows jobs = pg_read(catalog,
                            "SELECT j.id, j.vendor, j.vendor_job_id, j.status, j.created_at, j.link_expires_at, " +
                                std::string(state_rank_sql) + ", " + std::string(name_sql) +
                                " FROM jobs j WHERE j.id = ANY($1::bigint[])",
                            pg::Params().add(id_array(ids)));
    for (int r = 0; r < jobs.size(); ++r) {
        GalleryJob j;
        j.id = jobs.int64(r, 0);
        j.vendor = jobs.text(r, 1);
        j.vendor_job_id = jobs.text(r, 2);
        j.status = jobs.text(r, 3);
        j.created_at = jobs.int64(r, 4);
        j.link_expires_at = jobs.opt_int64(r, 5);
        j.state = state_of_rank(jobs.is_null(r, 6) ? 0 : jobs.int64(r, 6));
        if (!jobs.is_null(r, 7)) j.name = jobs.text(r, 7);
        else if (j.vendor == "local") j.name = j.vendor_job_id;
        by_id.emplace(j.id, std::move(j));
    }
    pg::Rows files = pg_read(catalog,
                             "SELECT a.job_id, " + std::string(file_columns) +
                                 " FROM assets a WHERE a.job_id = ANY($1::bigint[]) ORDER BY a.job_id, a.id",
                             pg::Params().add(id_array(ids)));
    for (int r = 0; r < files.size(); ++r) {
        auto job = by_id.find(files.int64(r, 0));
        if (job == by_id.end()) continue;
        job->second.files.push_back(read_file(files, r, 1));
    }
    std::vector<GalleryJob> out;
    for (std::int64_t id : ids)
        if (auto j = by_id.find(id); j != by_id.end()) out.push_back(std::move(j->second));
    return out;
}

}  // namespace

GalleryPage pg_page(Catalog& catalog, const GalleryQuery& q) {
    GalleryPage page;
    page.page = q.page;
    page.per_page = q.per_page;
    pg::Params params;
    const std::string where = where_clause(q, params);
    params.add(q.per_page).add(std::int64_t(q.page - 1) * q.per_page);
    const std::string limit = parameter(params.size() - 1), offset = parameter(params.size());
    // The total comes with the page (a page past the end still brings it, as a row without an id).
    pg::Rows rows = pg_read(catalog,
                            "WITH matched AS (SELECT j.id, j.created_at FROM jobs j" + where + ") "
                            "SELECT t.total, p.id FROM (SELECT count(*) AS total FROM matched) t "
                            "LEFT JOIN LATERAL (SELECT id, created_at FROM matched ORDER BY created_at DESC, id DESC "
                            "LIMIT " + limit + " OFFSET " + offset + ") p ON true ORDER BY p.created_at DESC, p.id DESC",
                            params);
    std::vector<std::int64_t> ids;
    for (int r = 0; r < rows.size(); ++r) {
        page.total = rows.int64(r, 0);
        if (!rows.is_null(r, 1)) ids.push_back(rows.int64(r, 1));
    }
    page.jobs = load_jobs(catalog, ids);
    pg::Rows vendors = pg_read(catalog, "SELECT DISTINCT vendor FROM jobs ORDER BY vendor");
    for (int r = 0; r < vendors.size(); ++r) page.vendors.push_back(vendors.text(r, 0));
    return page;
}

std::optional<GalleryJob> pg_job(Catalog& catalog, std::int64_t job_id) {
    auto jobs = load_jobs(catalog, {job_id});
    if (jobs.empty()) return std::nullopt;
    return std::move(jobs.front());
}

std::optional<GalleryFile> pg_file(Catalog& catalog, std::int64_t asset_id) {
    pg::Rows r = pg_read(catalog, "SELECT " + std::string(file_columns) + " FROM assets a WHERE a.id = $1",
                         pg::Params().add(asset_id));
    if (r.empty()) return std::nullopt;
    return read_file(r, 0, 0);
}

}  // namespace avpost::archive::gallery_sql
