#include "avpost/archive/gallery_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>

#include "avpost/archive/local_store.hpp"
#include "avpost/core/error.hpp"

namespace avpost::archive {
namespace {

struct FdCloser {
    int fd = -1;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

std::string lower_extension(std::string_view name) {
    auto dot = name.rfind('.');
    std::string ext(dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

// True when an If-None-Match header lists this entity tag (or "*").
bool etag_matches(const std::string& header, const std::string& etag) {
    if (header.empty()) return false;
    if (header == "*") return true;
    std::string_view rest = header;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view tag = rest.substr(0, comma);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
}

void serve_local(httplib::Response& res, const GalleryFile& file, const LocalStore& store) {
    const std::filesystem::path path = store.path_of(file.store_key);
    auto fd = std::make_shared<FdCloser>();
    fd->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd->fd < 0) {
        if (errno == ENOENT) throw_input("archived file " + file.name, "the stored file is missing");
        throw_errno("open archived file '" + path.string() + "'", errno);
    }
    struct stat st{};
    if (::fstat(fd->fd, &st) != 0) throw_errno("stat archived file '" + path.string() + "'", errno);
    if (!S_ISREG(st.st_mode) || (file.size && st.st_size != *file.size))
        throw_input("archived file " + file.name, "the stored file no longer has the recorded size");
    res.set_content_provider(std::size_t(st.st_size), std::string(content_type_for(file.name)),
                             [fd](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 char buffer[64 * 1024];
                                 std::size_t want = std::min(length, sizeof buffer);
                                 ssize_t got = ::pread(fd->fd, buffer, want, off_t(offset));
                                 if (got <= 0) return false;  // the connection is closed
                                 return sink.write(buffer, std::size_t(got));
                             });
}

void serve_through_store(httplib::Response& res, const GalleryFile& file, ArchiveStore& store) {
    if (file.size && *file.size > gallery_max_streamed_size)
        throw_input("archived file " + file.name, "too large to pass through the server from " + store.uri() +
                                                      "; download it with avpost archive export");
    std::string bytes;
    if (file.size) bytes.reserve(std::size_t(*file.size));
    bool too_large = false;  // the sink runs inside the store's transfer: it must not throw
    store.read(file.store_key, [&](const char* data, std::size_t n) {
        too_large = too_large || std::int64_t(bytes.size() + n) > gallery_max_streamed_size;
        if (!too_large) bytes.append(data, n);
    });
    if (too_large || (file.size && std::int64_t(bytes.size()) != *file.size))
        throw_input("archived file " + file.name, "the stored file no longer has the recorded size");
    res.set_content(std::move(bytes), std::string(content_type_for(file.name)));
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
    static const std::pair<std::string_view, std::string_view> types[] = {
        {"mp4", "video/mp4"},        {"m4v", "video/mp4"},         {"webm", "video/webm"},
        {"mov", "video/quicktime"},  {"mkv", "video/x-matroska"},  {"ts", "video/mp2t"},
        {"m4s", "video/iso.segment"}, {"m3u8", "application/vnd.apple.mpegurl"},
        {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},       {"png", "image/png"},
        {"gif", "image/gif"},        {"webp", "image/webp"},       {"wav", "audio/wav"},
        {"m4a", "audio/mp4"},        {"mp3", "audio/mpeg"},        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
    };
    const std::string ext = lower_extension(name);
    for (const auto& [e, type] : types)
        if (ext == e) return type;
    return "application/octet-stream";
}

void serve_stored_file(const httplib::Request& req, httplib::Response& res, const GalleryFile& file,
                       ArchiveStore& store) {
    const std::string etag = "\"" + file.sha256 + "\"";
    res.set_header("ETag", etag);
    res.set_header("Accept-Ranges", "bytes");
    // The content behind a URL can change (a file archived again): revalidate, cheaply, by ETag.
    res.set_header("Cache-Control", "private, no-cache");
    if (!file.sha256.empty() && etag_matches(req.get_header_value("If-None-Match"), etag)) {
        res.status = 304;
        return;
    }
    if (const auto* local = dynamic_cast<const LocalStore*>(&store)) serve_local(res, file, *local);
    else serve_through_store(res, file, store);
    // A download link saves the file under its own name.
    if (req.has_param("download")) {
        std::string name = file.name;
        for (char& c : name)
            if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
        res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
    }
}

}  // namespace avpost::archive
