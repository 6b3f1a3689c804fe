#pragma once
// A file one stage made and a later one takes (fetch -> compose -> archive): what it is, where it
// is and what it holds, hashed once when it was downloaded or written, and probed once when it is
// a video the archive must be able to decode. Stages hand each other these instead of JSON lists,
// so no stage hashes or probes again what an earlier one already did.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

struct FileRecord {
    std::string kind;  // an asset kind (asset_kinds): avatar, mask, composite, delivery, other
    std::string name;  // the asset's name within its job, e.g. "video.mp4", "hls--720p.m3u8"
    std::filesystem::path path;
    std::int64_t bytes = 0;
    std::string sha256;               // lowercase hex of the bytes at `path`
    std::optional<MediaFacts> media;  // probed already (a video kind); nullopt: not yet
};

// Records a file already on disk: hashes it, and probes it when the archive must decode it
// (should_probe). The one read a file needs before it is archived.
FileRecord record_file(std::string kind, std::string name, const std::filesystem::path& path);

}  // namespace avpost::archive
