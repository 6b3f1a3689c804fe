#pragma once
// A small archive for the gallery tests: three jobs whose files (a web MP4, a WebM with alpha and
// a poster, made with the ffmpeg CLI from lavfi sources) are archived through the real store and
// catalog, plus the signed vendor URLs the gallery must never show.
#include "sync_test_support.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <random>
#include <string>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/sqlite_catalog.hpp"
#include "avpost/archive/local_store.hpp"

namespace avpost::test {

// Never to appear in any gallery response.
// An access token made for this run (a committed literal would read as a leaked credential).
inline const std::string& random_gallery_token() {
    static const std::string token = [] {
        std::random_device device;
        std::string t = "test-";
        for (int i = 0; i < 32; ++i) t += "0123456789abcdef"[device() % 16];
        return t;
    }();
    return token;
}

inline constexpr const char* gallery_secret = "SIGSECRETq7Zx9";
inline const std::string signed_vendor_url =
    std::string("https://cdn.vendor.example/renders/a.mp4?Expires=1893456000&Signature=") + gallery_secret;

struct GalleryArchive {
    fs::path root;
    std::string catalog_location;   // empty: the SQLite catalog.db in root
    std::int64_t web_job = 0;       // name "brand-intro": web mp4, webm alpha, poster, all verified
    std::int64_t pending_job = 0;   // akool, link expiring in an hour, nothing archived yet
    std::int64_t failed_job = 0;    // a2v, one failed asset whose error quotes a signed link
    std::int64_t web_mp4 = 0, alpha_webm = 0, poster = 0;
    std::int64_t web_mp4_size = 0;
};

inline void make_media(const fs::path& dir) {
    const std::string ff = shell_quote(FFMPEG_EXECUTABLE) + " -v error -y ";
    auto must = [](const std::string& cmd) {
        auto r = run(cmd);
        if (r.exit_code != 0) throw std::runtime_error(cmd + ": " + r.err);
    };
    must(ff + "-f lavfi -i testsrc=size=320x180:rate=25:duration=1 -c:v libx264 -pix_fmt yuv420p "
              "-movflags +faststart " + shell_quote((dir / "brand-intro.mp4").string()));
    must(ff + "-f lavfi -i color=c=red@0.5:size=160x90:rate=25:duration=1,format=yuva420p -c:v libvpx-vp9 "
              "-pix_fmt yuva420p -auto-alt-ref 0 " + shell_quote((dir / "brand-intro.webm").string()));
    must(ff + "-f lavfi -i testsrc=size=320x180 -frames:v 1 " + shell_quote((dir / "brand-intro-poster.jpg").string()));
}

inline std::int64_t archive_file(archive::Catalog& catalog, archive::LocalStore& store, std::int64_t job,
                                 const std::string& kind, const fs::path& file) {
    std::int64_t id = catalog.add_asset(job, kind, file.filename().string(), signed_vendor_url);
    if (!catalog.claim(id, "gallery-test", std::chrono::seconds(60))) throw std::runtime_error("claim");
    archive::archive_claimed_file(catalog, store, catalog.asset(id), "gallery-test", file);
    catalog.mark_verified(id);
    return id;
}

// Straight SQL on the catalog, past its rules (to make what an older avpost may have left).
inline void raw_catalog_sql(archive::Catalog& catalog, const std::string& location, const std::string& sql) {
    if (auto* sqlite = dynamic_cast<archive::SqliteCatalog*>(&catalog)) {
        if (sqlite3_exec(sqlite->handle(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(sqlite->handle()));
        return;
    }
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(location.c_str()), &PQfinish);
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
}

// `catalog_location`: empty for the SQLite catalog.db in the archive, else e.g. a PostgreSQL URI.
inline GalleryArchive make_gallery_archive(const std::string& label, const std::string& catalog_location = {}) {
    GalleryArchive a;
    a.root = make_temp_dir(label);
    a.catalog_location = catalog_location;
    fs::path media = a.root.parent_path() / (a.root.filename().string() + "-media");
    fs::create_directories(media);
    make_media(media);
    std::unique_ptr<archive::Catalog> opened =
        catalog_location.empty() ? std::make_unique<archive::SqliteCatalog>(archive::Catalog::file_in(a.root))
                                 : archive::open_catalog(catalog_location);
    archive::Catalog& catalog = *opened;
    archive::LocalStore store(a.root);
    const std::int64_t now = archive::unix_now();

    archive::JobRecord web;
    web.vendor = "akool";
    web.vendor_job_id = "akool-job-web";
    web.status = "3";
    web.created_at = now - 3600;
    web.link_expires_at = now + 3 * 86400;
    web.request = {{"avatar_id", "demo"}, {"audio_url", signed_vendor_url}};
    a.web_job = catalog.upsert_job(web);
    // The `avpost run` job that rendered it gives it its name.
    archive::StageRecord render;
    render.job_key = "brand-intro";
    render.stage = "render";
    render.fingerprint = "f";
    render.result = {{"vendor", "akool"}, {"id", "akool-job-web"}};
    catalog.record_stage(render);
    a.web_mp4 = archive_file(catalog, store, a.web_job, "delivery", media / "brand-intro.mp4");
    a.alpha_webm = archive_file(catalog, store, a.web_job, "delivery", media / "brand-intro.webm");
    a.poster = archive_file(catalog, store, a.web_job, "delivery", media / "brand-intro-poster.jpg");
    a.web_mp4_size = std::int64_t(fs::file_size(media / "brand-intro.mp4"));

    archive::JobRecord pending;
    pending.vendor = "akool";
    pending.vendor_job_id = "akool-job-pending";
    pending.status = "3";
    pending.created_at = now - 60;
    pending.link_expires_at = now + 3600;
    a.pending_job = catalog.upsert_job(pending);
    catalog.add_asset(a.pending_job, "avatar", "avatar.mp4", signed_vendor_url);

    archive::JobRecord failed;
    failed.vendor = "a2v";
    failed.vendor_job_id = "a2v-job-failed";
    failed.status = "failed";
    failed.created_at = now - 7200;
    a.failed_job = catalog.upsert_job(failed);
    std::int64_t broken = catalog.add_asset(a.failed_job, "avatar", "avatar.mp4", signed_vendor_url);
    catalog.claim(broken, "gallery-test", std::chrono::seconds(60));
    catalog.release(broken, "gallery-test", "download " + signed_vendor_url + " failed: 403", false);
    // An older catalog may hold an unredacted source URL: it must not leak either.
    raw_catalog_sql(catalog, catalog_location,
                    "UPDATE assets SET source_url = '" + signed_vendor_url + "' WHERE id = " + std::to_string(broken));
    fs::remove_all(media);
    return a;
}

}  // namespace avpost::test
