#pragma once
// The files one compose reads and the files it writes, so no output can replace an input
// (compose -o naming the --video, a transcode output named like a fetched render, a job whose
// background sits where its deliveries go).
#include <vector>

#include "avpost/core/file_identity.hpp"
#include "avpost/filters/compose.hpp"

namespace avpost::pipeline {

// Avatar, mask, background and every layer source that is a local file.
std::vector<NamedFile> compose_inputs(const filters::ComposeParams& params);
// The compose output (unless "null" or none) and every delivery's file (hls: its directory).
std::vector<NamedFile> compose_outputs(const filters::ComposeParams& params);

// Throws Error(usage) when an output of `params` is one of its inputs.
void refuse_overwriting_compose_inputs(const filters::ComposeParams& params);

}  // namespace avpost::pipeline
