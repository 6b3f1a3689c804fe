#include "avpost/archive/gallery_server.hpp"

#include <charconv>

#include "avpost/archive/gallery_files.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/redact.hpp"
#include "gallery_page.hpp"

namespace avpost::archive {
namespace {

using nlohmann::json;

std::string percent_encoded(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The files' URLs carry their names percent-encoded (names never hold '/').
std::string file_url(const GalleryFile& f) {
    std::string url = "/files/";
    return url.append(std::to_string(f.asset_id)).append("/").append(percent_encoded(f.name));
}

// Where the browser goes once the token has become a cookie: the same page and query, less the token.
std::string without_token(const httplib::Request& req) {
    std::string query;
    for (const auto& [name, value] : req.params) {
        if (name == "token") continue;
        query += query.empty() ? '?' : '&';
        query.append(percent_encoded(name)).append("=").append(percent_encoded(value));
    }
    return req.path + query;
}

bool has_extension(const std::string& name, std::string_view ext) {
    return name.size() > ext.size() && name.ends_with(ext);
}

// The first servable file `pick` accepts, trying the predicates in order of preference.
template <class... Picks>
const GalleryFile* first_of(const GalleryJob& job, Picks... picks) {
    const GalleryFile* found = nullptr;
    auto try_pick = [&](auto pick) {
        if (found) return;
        for (const GalleryFile& f : job.files)
            if (f.servable() && pick(f)) {
                found = &f;
                return;
            }
    };
    (try_pick(picks), ...);
    return found;
}

json media_json(const GalleryFile& f) {
    json out = {{"url", file_url(f)}, {"type", content_type_for(f.name)}, {"name", f.name}};
    if (f.media) {
        out["width"] = f.media->width;
        out["height"] = f.media->height;
    }
    return out;
}

void reply_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply_json(res, status, {{"error", net::redact_text(message)}});
}

std::optional<int> int_param(const httplib::Request& req, const char* name, int fallback) {
    if (!req.has_param(name)) return fallback;
    const std::string text = req.get_param_value(name);
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> id_of(const std::string& digits) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

void unauthorized(const httplib::Request& req, httplib::Response& res, const std::string& reason) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"avpost gallery\"");
    res.set_header("Cache-Control", "no-store");
    if (req.path.starts_with("/api/")) return reply_json(res, 401, {{"error", reason}});
    res.set_content("<!doctype html><meta charset=utf-8><title>avpost gallery</title><h1>401</h1><p>" + reason +
                        "</p>",
                    "text/html; charset=utf-8");
}

}  // namespace

json gallery_job_json(const GalleryJob& job) {
    json files = json::array();
    for (const GalleryFile& f : job.files) {
        json file = {{"id", f.asset_id},   {"kind", f.kind},
                     {"name", f.name},     {"size", nullptr},
                     {"state", to_string(f.state)}, {"url", nullptr},
                     {"type", content_type_for(f.name)}};
        if (f.size) file["size"] = *f.size;
        if (f.servable()) file["url"] = file_url(f);
        if (f.media)
            file["media"] = {{"codec", f.media->codec},
                             {"width", f.media->width},
                             {"height", f.media->height},
                             {"duration", f.media->duration_seconds}};
        files.push_back(std::move(file));
    }
    auto image = [](const GalleryFile& f) { return content_type_for(f.name).starts_with("image/"); };
    auto poster = [&](const GalleryFile& f) { return image(f) && f.name.find("poster") != std::string::npos; };
    auto mp4 = [](const GalleryFile& f) { return has_extension(f.name, ".mp4"); };
    auto web_mp4 = [&](const GalleryFile& f) {
        return f.kind == "delivery" && mp4(f) && (!f.media || f.media->codec == "h264");
    };
    auto delivery_mp4 = [&](const GalleryFile& f) { return f.kind == "delivery" && mp4(f); };
    auto composite_mp4 = [&](const GalleryFile& f) { return f.kind == "composite" && mp4(f); };
    auto avatar_mp4 = [&](const GalleryFile& f) { return f.kind == "avatar" && mp4(f); };
    auto webm = [](const GalleryFile& f) { return has_extension(f.name, ".webm"); };
    json out = {{"id", job.id},
                {"name", job.name},
                {"vendor", job.vendor},
                {"vendor_job_id", job.vendor_job_id},
                {"status", job.status},
                {"state", to_string(job.state)},
                {"rendered_at", iso8601(job.created_at)},
                {"link_expires_at", nullptr},
                {"poster", nullptr},
                {"video", nullptr},
                {"alpha_video", nullptr},
                {"files", std::move(files)}};
    if (job.link_expires_at) out["link_expires_at"] = iso8601(*job.link_expires_at);
    if (const GalleryFile* f = first_of(job, poster, image)) out["poster"] = file_url(*f);
    if (const GalleryFile* f = first_of(job, web_mp4, delivery_mp4, composite_mp4, avatar_mp4))
        out["video"] = media_json(*f);
    if (const GalleryFile* f = first_of(job, webm)) out["alpha_video"] = media_json(*f);
    return out;
}

json gallery_page_json(const GalleryPage& page, std::int64_t now) {
    json jobs = json::array();
    for (const GalleryJob& j : page.jobs) jobs.push_back(gallery_job_json(j));
    json states = json::array();
    for (auto s : {GalleryState::waiting, GalleryState::archiving, GalleryState::archived, GalleryState::failed,
                   GalleryState::expired})
        states.push_back(to_string(s));
    return {{"now", iso8601(now)},
            {"total", page.total},
            {"page", page.page},
            {"per_page", page.per_page},
            {"pages", (page.total + page.per_page - 1) / page.per_page},
            {"vendors", page.vendors},
            {"states", std::move(states)},
            {"jobs", std::move(jobs)}};
}

GalleryServer::GalleryServer(GalleryServerOptions options)
    : options_(std::move(options)),
      access_(options_.token.empty() ? GalleryAccess(options_.tokens) : GalleryAccess(options_.token)) {
    const std::string location = catalog_location(options_.catalog_location, options_.archive_root);
    catalog_ = open_catalog(location, options_.catalog);
}

void GalleryServer::install(httplib::Server& server) {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (req.method != "GET" && req.method != "HEAD") return httplib::Server::HandlerResponse::Unhandled;
        // The job API (pipeline/job_api.hpp) checks its own tokens and scopes.
        if (req.path.starts_with("/api/v1/")) return httplib::Server::HandlerResponse::Unhandled;
        GalleryAccess::Decision d = access_.check(req);
        if (d.verdict == GalleryAccess::Verdict::denied) {
            unauthorized(req, res, d.reason);
            return httplib::Server::HandlerResponse::Handled;
        }
        if (d.verdict == GalleryAccess::Verdict::token_in_query) {
            // The token leaves the address bar (and history) at once; the cookie carries on.
            res.status = 303;
            res.set_header("Set-Cookie", access_.session_cookie());
            res.set_header("Location", without_token(req));
            res.set_header("Cache-Control", "no-store");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
                       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    });
    auto page = [](std::string_view body, const char* type) {
        return [body, type](const httplib::Request&, httplib::Response& res) {
            res.set_content(std::string(body), type);
            res.set_header("Cache-Control", "no-cache");
        };
    };
    server.Get("/", page(gallery_web::index_html(), "text/html; charset=utf-8"));
    server.Get("/gallery.css", page(gallery_web::css(), "text/css; charset=utf-8"));
    server.Get("/gallery.js", page(gallery_web::javascript(), "text/javascript; charset=utf-8"));
    server.Get("/api/jobs", [this](const httplib::Request& req, httplib::Response& res) { api_jobs(req, res); });
    server.Get(R"(/api/jobs/(\d+))", [this](const httplib::Request& req, httplib::Response& res) { api_job(req, res); });
    server.Get(R"(/files/(\d+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) { file(req, res); });
    // Anything else, `..` and absolute paths included, matches no route: 404.
}

void GalleryServer::api_jobs(const httplib::Request& req, httplib::Response& res) {
    GalleryQuery q;
    q.search = req.get_param_value("q");
    q.vendor = req.get_param_value("vendor");
    if (std::string state = req.get_param_value("state"); !state.empty()) {
        q.state = gallery_state_from_string(state);
        if (!q.state) return reply_error(res, 400, "unknown state '" + state + "'");
    }
    auto page = int_param(req, "page", 1);
    auto per_page = int_param(req, "per_page", 24);
    if (!page || !per_page) return reply_error(res, 400, "page and per_page are whole numbers");
    q.page = *page;
    q.per_page = *per_page;
    try {
        GalleryPage result;
        {
            std::lock_guard lock(mutex_);
            result = gallery_page(*catalog_, q);
        }
        reply_json(res, 200, gallery_page_json(result, unix_now()));
        res.set_header("Cache-Control", "no-store");
    } catch (const Error& e) {
        if (e.domain() == ErrorDomain::usage) return reply_error(res, 400, e.what());
        log::error(std::string("gallery: ") + net::redact_text(e.what()));
        reply_error(res, 500, "the catalog could not be read");
    }
}

void GalleryServer::api_job(const httplib::Request& req, httplib::Response& res) {
    auto id = id_of(req.matches[1]);
    if (!id) return reply_error(res, 404, "no such job");
    try {
        std::optional<GalleryJob> job;
        {
            std::lock_guard lock(mutex_);
            job = gallery_job(*catalog_, *id);
        }
        if (!job) return reply_error(res, 404, "no such job");
        reply_json(res, 200, gallery_job_json(*job));
        res.set_header("Cache-Control", "no-store");
    } catch (const Error& e) {
        log::error(std::string("gallery: ") + net::redact_text(e.what()));
        reply_error(res, 500, "the catalog could not be read");
    }
}

ArchiveStore& GalleryServer::store_for(const std::string& uri) {
    auto& store = stores_[uri];
    if (!store) store = open_store(uri);
    return *store;
}

void GalleryServer::file(const httplib::Request& req, httplib::Response& res) {
    auto id = id_of(req.matches[1]);
    const std::string name = req.matches[2];
    try {
        std::optional<GalleryFile> f;
        ArchiveStore* store = nullptr;
        {
            std::lock_guard lock(mutex_);
            if (id) f = gallery_file(*catalog_, *id);
            // Only a file of this id and this name, once stored, is served.
            if (!f || f->name != name || !f->servable()) return reply_error(res, 404, "no such archived file");
            store = &store_for(f->store_uri);
        }
        serve_stored_file(req, res, *f, *store);
    } catch (const Error& e) {
        log::warning(std::string("gallery: ") + net::redact_text(e.what()));
        if (e.domain() == ErrorDomain::input) return reply_error(res, 404, "the archived file is not in its store");
        reply_error(res, 500, "the file could not be read");
    }
}

}  // namespace avpost::archive
