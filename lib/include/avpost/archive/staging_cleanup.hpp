#pragma once
// What a run that died (kill -9, power cut) leaves in the staging area, ARCHIVE/partial/VENDOR/:
// staged copies ("JOB--NAME"), partial downloads (".part") and their validators (".part.etag").
// A partial download is kept while its asset is still to be archived (the next claim resumes
// it); everything else goes. Files of assets still pending or claimed are the claim holder's
// business (the fetcher drops a validator without its partial file under its claim).
#include <filesystem>

#include "avpost/archive/catalog.hpp"

namespace avpost::archive {

// Removes the staging files of assets that are archived (stored, verified) or given up (failed,
// expired-before-archived), and of jobs or assets the catalog does not know. Returns how many
// files went.
int clean_staging(Catalog& catalog, const std::filesystem::path& staging_dir);

}  // namespace avpost::archive
