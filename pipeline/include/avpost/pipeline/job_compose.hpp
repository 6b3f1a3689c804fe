#pragma once
// A job's composite and deliver parts as compose parameters: the one run_compose call that makes
// the composite and every delivery. Value errors name the job file and the JSON path.
#include <filesystem>
#include <string>
#include <vector>

#include "avpost/filters/compose.hpp"
#include "avpost/pipeline/job_spec.hpp"

namespace avpost::pipeline {

filters::ComposeParams compose_params_for(const job::JobSpec& job, const std::filesystem::path& avatar,
                                          const std::filesystem::path& mask, bool progress);

// Which parts of a job the parser could read: the value checks judge only those (a source that
// could not be read is not looked for, nor is a matte it would have had).
struct ReadParts {
    bool source = true;
    bool composite = true;
    bool deliver = true;
    bool files = true;  // look at the file system (job::ParseOptions::check_files)
};

// Every value error of the job's composite and deliver parts, and every output that would
// replace an input, as "FILE: PATH: why" lines (empty: the job is good to run). parse_job calls
// it in the same pass as its own checks, so a bad anchor costs no vendor render and one run
// reports everything. Files made by earlier stages (the fetched avatar and mask) are not looked for.
std::vector<std::string> job_value_problems(const job::JobSpec& job, const ReadParts& parts = {});

// Whether the job reads the render's matte: a composite without a key, or (without a composite)
// an alpha delivery preset.
bool job_uses_matte(const job::JobSpec& job);

// Where a job's fetch stage puts the vendor's video and matte.
std::filesystem::path fetched_avatar_path(const job::JobSpec& job);
std::filesystem::path fetched_mask_path(const job::JobSpec& job);

// What the compose stage's fingerprint covers besides the avatar and mask: the composite and
// deliver parts with every local file they read (background, layer sources) named by the SHA-256
// of its content, and the output directory by its canonical path. However the job file's path is
// spelled, from whatever working directory, the same job gives the same value.
nlohmann::json compose_fingerprint_inputs(const job::JobSpec& job);

}  // namespace avpost::pipeline
