// The gallery's queries on the SQLite catalog: one read transaction per page, so the count and
// the page see the same catalog.
#include <map>

#include "avpost/core/error.hpp"
#include "gallery_backends.hpp"
#include "sqlite_db.hpp"

namespace avpost::archive::gallery_sql {
namespace {

// The job's name is the `avpost run` job whose render stage started it (that stage's result names
// vendor and id), found through the index of migration 6; a local job's name is its id.
constexpr std::string_view render_stage_name_sql =
    "SELECT min(s.job_key) FROM job_stages s WHERE s.stage = 'render' "
    "AND json_extract(s.result, '$.vendor') = ?1 AND json_extract(s.result, '$.id') = ?2";
// Jobs whose name matches ?2: the render stages are matched on their key (no JSON read) and only
// the few that match are mapped to their jobs.
constexpr std::string_view named_jobs_sql =
    "SELECT j2.id FROM job_stages s JOIN jobs j2 ON j2.vendor = json_extract(s.result, '$.vendor') "
    "AND j2.vendor_job_id = json_extract(s.result, '$.id') WHERE s.stage = 'render' AND s.job_key LIKE ?2 ESCAPE '\\'";

// The WHERE clause of a query, parameters ?1 vendor, ?2 pattern, ?3 state rank.
std::string where_clause(const GalleryQuery& q) {
    std::string where = " WHERE 1";
    if (!q.vendor.empty()) where += " AND j.vendor = ?1";
    if (!q.search.empty())
        where += " AND (j.vendor_job_id LIKE ?2 ESCAPE '\\' OR j.id IN (" + std::string(named_jobs_sql) + "))";
    if (q.state) where += " AND coalesce(" + std::string(state_rank_sql) + ", 0) = ?3";
    return where;
}

void bind_filters(sql::Stmt& s, const GalleryQuery& q) {
    if (!q.vendor.empty()) s.bind(1, q.vendor);
    if (!q.search.empty()) s.bind(2, like_pattern(q.search));
    if (q.state) s.bind(3, rank_of(*q.state));
}

// The file_columns starting at column `c`.
GalleryFile read_file(sql::Stmt& s, int c) {
    GalleryFile f;
    f.asset_id = s.int64(c);
    f.kind = s.text(c + 1);
    f.name = s.text(c + 2);
    f.size = s.opt_int64(c + 3);
    f.state = asset_state_from_string(s.text(c + 4));
    f.sha256 = s.text(c + 5);
    if (!s.is_null(c + 6)) {
        MediaFacts m;
        m.codec = s.text(c + 6);
        m.width = int(s.int64(c + 7));
        m.height = int(s.int64(c + 8));
        m.duration_seconds = s.real(c + 9);
        m.frame_rate = s.real(c + 10);
        f.media = m;
    }
    f.store_uri = s.text(c + 11);
    f.store_key = s.text(c + 12);
    return f;
}

// Jobs (with names and states) and their files, for the given ids, in that order.
std::vector<GalleryJob> load_jobs(sqlite3* db, const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return {};
    nlohmann::json id_list = ids;
    std::map<std::int64_t, GalleryJob> by_id;
    {
        sql::Stmt s(db, "SELECT j.id, j.vendor, j.vendor_job_id, j.status, j.created_at, j.link_expires_at, " +
                            std::string(state_rank_sql) + " FROM jobs j WHERE j.id IN (SELECT value FROM json_each(?1))");
        s.bind(1, id_list.dump());
        sql::Stmt name(db, render_stage_name_sql);
        while (s.step()) {
            GalleryJob j;
            j.id = s.int64(0);
            j.vendor = s.text(1);
            j.vendor_job_id = s.text(2);
            j.status = s.text(3);
            j.created_at = s.int64(4);
            j.link_expires_at = s.opt_int64(5);
            j.state = state_of_rank(s.is_null(6) ? 0 : s.int64(6));
            // One indexed lookup per job: SQLite does not use the expression index from a join.
            name.reset();
            name.bind(1, j.vendor).bind(2, j.vendor_job_id);
            if (name.step() && !name.is_null(0)) j.name = name.text(0);
            else if (j.vendor == "local") j.name = j.vendor_job_id;
            by_id.emplace(j.id, std::move(j));
        }
    }
    {
        sql::Stmt s(db, "SELECT a.job_id, " + std::string(file_columns) +
                            " FROM assets a WHERE a.job_id IN (SELECT value FROM json_each(?1)) ORDER BY a.job_id, a.id");
        s.bind(1, id_list.dump());
        while (s.step()) {
            auto job = by_id.find(s.int64(0));
            if (job == by_id.end()) continue;
            job->second.files.push_back(read_file(s, 1));
        }
    }
    std::vector<GalleryJob> out;
    for (std::int64_t id : ids)
        if (auto j = by_id.find(id); j != by_id.end()) out.push_back(std::move(j->second));
    return out;
}

}  // namespace

GalleryPage sqlite_page(SqliteCatalog& catalog, const GalleryQuery& q) {
    sqlite3* db = catalog.handle();
    GalleryPage page;
    page.page = q.page;
    page.per_page = q.per_page;
    // The state is only computed when filtered on; newest first walks the index of migration 6.
    const std::string from = " FROM jobs j";
    const std::string where = where_clause(q);
    // One read transaction: the count and the page see the same catalog.
    sql::Transaction read(db, "BEGIN");
    {
        sql::Stmt count(db, "SELECT count(*)" + from + where);
        bind_filters(count, q);
        if (count.step()) page.total = count.int64(0);
    }
    std::vector<std::int64_t> ids;
    {
        sql::Stmt s(db, "SELECT j.id" + from + where + " ORDER BY j.created_at DESC, j.id DESC LIMIT ?4 OFFSET ?5");
        bind_filters(s, q);
        s.bind(4, q.per_page).bind(5, std::int64_t(q.page - 1) * q.per_page);
        while (s.step()) ids.push_back(s.int64(0));
    }
    page.jobs = load_jobs(db, ids);
    {
        sql::Stmt s(db, "SELECT DISTINCT vendor FROM jobs ORDER BY vendor");
        while (s.step()) page.vendors.push_back(s.text(0));
    }
    read.commit();
    return page;
}

std::optional<GalleryJob> sqlite_job(SqliteCatalog& catalog, std::int64_t job_id) {
    auto jobs = load_jobs(catalog.handle(), {job_id});
    if (jobs.empty()) return std::nullopt;
    return std::move(jobs.front());
}

std::optional<GalleryFile> sqlite_file(SqliteCatalog& catalog, std::int64_t asset_id) {
    sql::Stmt s(catalog.handle(), "SELECT " + std::string(file_columns) + " FROM assets a WHERE a.id = ?1");
    s.bind(1, asset_id);
    if (!s.step()) return std::nullopt;
    return read_file(s, 0);
}

}  // namespace avpost::archive::gallery_sql
