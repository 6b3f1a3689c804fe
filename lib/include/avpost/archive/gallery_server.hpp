#pragma once
// The archive as a web page: `GET /` (HTML, CSS and JavaScript built into avpost, no CDN), the
// JSON it is built from under /api/, and the archived files under /files/ID/NAME. Every GET
// passes GalleryAccess first (401 otherwise); other methods are left to whoever else is installed
// on the server (the Akool webhook receiver). Nothing secret reaches a response: no request
// bodies, source URLs, store URIs or keys, error texts only redacted.
#include <httplib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/gallery.hpp"
#include "avpost/archive/gallery_access.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::archive {

struct GalleryServerOptions {
    std::filesystem::path archive_root;
    // --catalog / $AVPOST_CATALOG as given (catalog_location): a SQLite file or a PostgreSQL URI.
    std::string catalog_location;
    std::string token;    // one read token; empty: `tokens`
    AccessTokens tokens;  // none (and no token): loopback clients only (GalleryAccess)
    CatalogOptions catalog;
};

// The JSON of one job as /api/jobs shows it; `now` is the server's clock (Unix seconds).
nlohmann::json gallery_job_json(const GalleryJob& job);
nlohmann::json gallery_page_json(const GalleryPage& page, std::int64_t now);

class GalleryServer {
public:
    explicit GalleryServer(GalleryServerOptions options);
    GalleryServer(const GalleryServer&) = delete;
    GalleryServer& operator=(const GalleryServer&) = delete;

    // The access check (pre-routing, GET and HEAD only), the GET routes and the security headers.
    void install(httplib::Server& server);
    const GalleryAccess& access() const { return access_; }

private:
    void api_jobs(const httplib::Request& req, httplib::Response& res);
    void api_job(const httplib::Request& req, httplib::Response& res);
    void file(const httplib::Request& req, httplib::Response& res);
    ArchiveStore& store_for(const std::string& uri);  // under mutex_

    GalleryServerOptions options_;
    GalleryAccess access_;
    std::mutex mutex_;  // one catalog connection, one query at a time
    std::unique_ptr<Catalog> catalog_;
    std::map<std::string, std::unique_ptr<ArchiveStore>> stores_;
};

}  // namespace avpost::archive
