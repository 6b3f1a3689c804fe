#include "avpost/archive/store.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <ctime>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/s3_store.hpp"
#include "avpost/core/error.hpp"

namespace avpost::archive {
namespace {

// One path segment that is safe on every filesystem and in S3 keys.
std::string segment(std::string_view text) {
    std::string out;
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        out += ok ? c : '_';
    }
    if (out.empty() || out == "." || out == "..") out = "_" + out;
    if (out.front() == '.') out.front() = '_';  // no hidden files (and no clash with temporaries)
    return out;
}

}  // namespace

void check_store_key(std::string_view key) {
    if (key.empty() || key.front() == '/' || key.back() == '/')
        throw_usage("bad store key '" + std::string(key) + "'");
    std::size_t start = 0;
    while (start <= key.size()) {
        auto end = key.find('/', start);
        if (end == std::string_view::npos) end = key.size();
        std::string_view part = key.substr(start, end - start);
        if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos)
            throw_usage("bad store key '" + std::string(key) + "'");
        start = end + 1;
    }
}

std::string asset_store_key(std::string_view vendor, std::int64_t job_created_at, std::string_view vendor_job_id,
                            std::string_view name) {
    std::time_t t = std::time_t(job_created_at);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char month[16];
    std::strftime(month, sizeof month, "%Y-%m", &tm);
    return segment(vendor) + "/" + month + "/" + segment(vendor_job_id) + "/" + segment(name);
}

namespace {

// A root that exists must be a directory: /dev/null or a file is a mistake to name, not a
// catalog to open.
std::filesystem::path directory_root(const std::filesystem::path& root, const std::string& given_as) {
    std::error_code ec;
    if (std::filesystem::exists(root, ec) && !std::filesystem::is_directory(root, ec))
        throw_usage(given_as + " '" + root.string() + "' is not a directory (the archive root holds catalog.db)");
    return root;
}

}  // namespace

std::filesystem::path archive_root(const std::filesystem::path& explicit_root) {
    if (!explicit_root.empty()) return directory_root(explicit_root, "--archive");
    if (const char* a = std::getenv("AVPOST_ARCHIVE"); a && *a) return directory_root(a, "AVPOST_ARCHIVE");
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::filesystem::path(x) / "avpost";
    if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".local/share/avpost";
    throw_usage("no archive root: pass --archive DIR or set AVPOST_ARCHIVE (HOME is not set)");
}

std::string stored_file_uri(std::string_view store_uri, std::string_view key) {
    std::string scheme = "file://";
    std::string root(store_uri);
    if (const auto at = store_uri.find("://"); at != std::string_view::npos) {
        scheme = std::string(store_uri.substr(0, at + 3));
        root = std::string(store_uri.substr(at + 3));
    }
    if (scheme == "file://") root = std::filesystem::path(root).lexically_normal().generic_string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    const std::string path = root + "/" + std::string(key);
    std::string uri = scheme;
    for (const unsigned char c : path) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            uri += char(c);
        } else {
            static const char hex[] = "0123456789ABCDEF";
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 15];
        }
    }
    return uri;
}

std::unique_ptr<ArchiveStore> open_store(std::string_view uri) {
    if (uri.starts_with("s3://")) return std::make_unique<S3Store>(S3Config::from_environment(uri));
    if (uri.starts_with("file://")) return std::make_unique<LocalStore>(std::string(uri.substr(7)));
    if (uri.find("://") != std::string_view::npos) throw_usage("unknown store '" + std::string(uri) + "'");
    if (uri.empty()) throw_usage("empty store URI");
    return std::make_unique<LocalStore>(std::string(uri));
}

}  // namespace avpost::archive
