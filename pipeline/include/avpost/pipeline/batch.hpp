#pragma once
// A batch (avpost batch, docs/batch.md): one job template and its rows, each row a job. Every
// row is filled in and checked with the full job checks before anything runs or is queued, so a
// bad batch names all of its problems at once and nothing happens. The same function serves the
// CLI (rows from a CSV or JSON Lines file) and a caller that holds the rows as JSON objects.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/pipeline/batch_rows.hpp"
#include "avpost/pipeline/job_spec.hpp"

namespace avpost::pipeline {

// One problem of a batch, as values: the row's line (0: the template itself, or the rows as a
// whole), the JSON path or column it concerns (may be empty), and why.
struct BatchProblem {
    std::size_t line = 0;
    std::string path;
    std::string message;
};

// Every problem of a batch: Error(usage) whose message is the first problem (and how many more
// there are); lines() gives each as "ROWS.csv:17: name: missing" (the template's own as
// "TEMPLATE.json: PATH: why").
class BatchError : public Error {
public:
    BatchError(std::vector<BatchProblem> problems, std::string template_source, std::string rows_source);
    const std::vector<BatchProblem>& problems() const noexcept { return problems_; }
    std::vector<std::string> lines() const;
    // One problem as a line.
    std::string line_of(const BatchProblem& problem) const;

private:
    std::vector<BatchProblem> problems_;
    std::string template_source_;
    std::string rows_source_;
};

// One row, filled in and checked: a job ready to run or queue.
struct BatchJob {
    std::size_t line = 0;    // the row's line (BatchRow::line)
    std::size_t number = 0;  // the row's number
    job::JobSpec spec;       // spec.name is the job's name
};

struct BatchPlan {
    std::string name;  // the batch's: the template's name without its placeholders (the manifest is NAME.manifest.csv)
    std::vector<BatchJob> jobs;  // in row order
};

// Fills in and checks every row. A job's name is the template's "name" filled in; a name with
// no placeholder gets "-ID" appended (the row's id column) or, without an id column, "-NUMBER"
// (the row's number). `template_file` names the template in problems and anchors its
// relative paths (as a job file's directory does). Problems of the template itself (a
// placeholder naming no column: one problem, not one per row) are reported without checking the
// rows; otherwise each row's missing values ("ROWS:LINE: COLUMN: missing", the row checked no
// further), its job-check problems ("ROWS:LINE: PATH: why") and job names given twice. Throws
// BatchError with them all; returns the jobs when there are none.
BatchPlan plan_batch(const nlohmann::json& job_template, const std::filesystem::path& template_file,
                     const BatchRows& rows, const job::ParseOptions& options);

// Reads the template file (one JSON object) and its rows file, then plan_batch. Throws Error(input)
// when one cannot be read, Error(usage) or BatchError when they are not valid.
BatchPlan plan_batch_files(const std::filesystem::path& template_file, const std::filesystem::path& rows_file,
                           const job::ParseOptions& options);

}  // namespace avpost::pipeline
