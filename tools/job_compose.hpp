#pragma once
// A job's composite and deliver parts as compose parameters: the one run_compose call that makes
// the composite and every delivery. Value errors name the job file and the JSON path.
#include <filesystem>

#include "avpost/filters/compose.hpp"
#include "avpost/job/job_spec.hpp"

namespace avpost::tool {

filters::ComposeParams compose_params_for(const job::JobSpec& job, const std::filesystem::path& avatar,
                                          const std::filesystem::path& mask, bool progress);

// Local files the composite reads besides avatar and mask (background, layer sources): their
// content is part of the compose stage's fingerprint.
std::vector<std::filesystem::path> compose_input_files(const job::JobSpec& job);

}  // namespace avpost::tool
