#pragma once
// Copying a job's archived files back out of the store: each one is written under a temporary
// name in the destination, hashed on the way, compared with the catalog (size and SHA-256),
// fsynced and renamed into place only when it matches.
#include <filesystem>
#include <string>
#include <vector>

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

struct ExportedFile {
    std::int64_t asset_id = 0;
    std::string name;
    std::filesystem::path path;
    std::int64_t size = 0;
    std::string sha256;
};

// The jobs whose vendor job id is `id` (of `vendor` when not empty).
std::vector<JobRecord> find_jobs(Catalog& catalog, std::string_view id, std::string_view vendor = {});

// Exports every stored or verified asset of `job` into `directory` (created if needed). Throws
// Error(input) when the job has nothing stored, when a stored copy is missing or differs from
// the catalog (nothing is left under its name), or when a file of that name already exists with
// other content.
std::vector<ExportedFile> export_job(Catalog& catalog, const JobRecord& job, const std::filesystem::path& directory,
                                     const StoreOpener& open);

}  // namespace avpost::archive
