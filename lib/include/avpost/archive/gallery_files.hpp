#pragma once
// Answers a request for one archived file the catalog knows: the right Content-Type, a strong
// ETag (the file's SHA-256, so If-None-Match gets 304), and byte ranges (206) for players that
// seek. The file is found by its catalog record alone, never by a path from the request.
#include <httplib.h>

#include <string_view>

#include "avpost/archive/gallery.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::archive {

// "video/mp4" for "a.mp4", ...; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view file_name);

// Local stores are read in place with pread; other stores (S3) through the store, whole, up to
// this size (a ranged store read is not there yet).
inline constexpr std::int64_t gallery_max_streamed_size = 256LL << 20;

// Fills `response` for a stored file: 304 when If-None-Match names it, else the file's bytes with
// httplib applying any Range (206). Throws Error(input) when the stored file is missing or no
// longer has the recorded size.
void serve_stored_file(const httplib::Request& request, httplib::Response& response, const GalleryFile& file,
                       ArchiveStore& store);

}  // namespace avpost::archive
