#pragma once
// Keeping a job's files in the archive: each file becomes an asset of the job's catalog row,
// stored through the archive's store and read back before it counts as verified, so
// `avpost archive verify` checks it later. Files already archived with the same content are left
// alone (one an earlier run stored but did not read back is read back first); a file whose name
// is archived with other content (a re-run that made something new) is archived beside it under
// a name carrying its hash, so nothing archived is lost.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/file_record.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::pipeline {

struct ArchivedFile {
    std::int64_t asset_id = 0;
    std::string kind;
    std::string name;  // the asset's name within the catalog job
    std::int64_t size = 0;
    std::string sha256;
    std::string store_uri;
    std::string store_key;
    bool already = false;  // it was archived before with this content
};
nlohmann::json to_json(const ArchivedFile& file);

// `owner` claims the file while it is stored. With `fence` (the queued job's lease), the claim
// and the stored mark are written only while that lease holds, checked in the same statement: a
// worker paused past its lease claims and records nothing. The claim records the lease, so a
// claim of an earlier attempt of the same queued job (a lower lease token; its worker is gone, as
// the queue's lease makes this one the job's only runner) is taken over. A later attempt's claim
// is never taken: a worker that lost its lease cannot take the file from the one that took over.
ArchivedFile archive_job_file(archive::Catalog& catalog, archive::ArchiveStore& store, std::int64_t catalog_job_id,
                              const archive::FileRecord& file, const std::string& source_url, const std::string& owner,
                              const std::optional<archive::JobLease>& fence = std::nullopt);

// True when the catalog still holds the asset stored or verified with this content.
bool still_archived(archive::Catalog& catalog, std::int64_t asset_id, const std::string& sha256);

}  // namespace avpost::pipeline
