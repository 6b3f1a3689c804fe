#pragma once
// What a batch did, row by row (docs/batch.md): each row's job, its state, and the files it
// delivered with their sizes and SHA-256; or its error. Written as NAME.manifest.csv (one line
// per file, or one for a row without files) and printed as `avpost batch --json`
// (docs/json/batch.schema.json).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/archive/job_queue.hpp"
#include "avpost/pipeline/batch.hpp"
#include "avpost/pipeline/job_runner.hpp"

namespace avpost::pipeline {

struct BatchFile {
    std::string kind;      // delivery, composite, avatar, mask (as JobOutputFile)
    std::string preset;    // deliveries: the preset; else empty
    std::string location;  // the file's path
    std::int64_t bytes = 0;
    std::string sha256;
};

struct BatchEntry {
    std::size_t line = 0;  // the row's line
    std::string name;      // the job's name
    std::optional<std::int64_t> job_id;  // the queued job's id (--submit)
    // Run here: "done" (a stage ran), "unchanged" (every stage was done before), "failed",
    // "not-run" (stopped by Ctrl-C before it started). Queued: "queued", or "unchanged" (the same
    // job was already queued, running or done: nothing was queued).
    std::string state;
    std::string queue_state;  // --submit: the queued job's state (queued, running, done); else empty
    std::vector<BatchFile> files;
    std::string error;  // one line, secrets redacted; empty unless failed
};

struct BatchManifest {
    std::string name;              // the batch's (BatchPlan::name)
    std::string mode;              // "run" (here) or "submit" (queued)
    std::filesystem::path path;    // where the manifest file was written
    std::vector<BatchEntry> entries;  // in row order
};

// A row run here: its report's files (HLS segments left out: the master playlist stands for them).
BatchEntry batch_entry(const BatchJob& job, const JobReport& report);
// A row queued.
BatchEntry batch_entry(const BatchJob& job, const archive::SubmitResult& queued);

// OUTPUT_ROOT/NAME.manifest.csv.
std::filesystem::path default_manifest_path(const std::filesystem::path& output_root, const std::string& batch_name);

// The CSV: a header, then per file "line,job,job_id,state,kind,file,bytes,sha256,error"; a row
// without files has one line with those fields empty.
std::string manifest_csv(const BatchManifest& manifest);
// Writes manifest_csv to manifest.path atomically (a reader never sees half of it).
void write_manifest(const BatchManifest& manifest);

// docs/json/batch.schema.json's "jobs" item, less "exit_code" (the program's to add).
nlohmann::json to_json(const BatchEntry& entry);

}  // namespace avpost::pipeline
