#include "avpost/pipeline/batch.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "avpost/core/json_depth.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/pipeline/job_template.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string summary_of(const std::vector<std::string>& lines) {
    if (lines.empty()) return "bad batch";
    if (lines.size() == 1) return lines.front();
    return lines.front() + " (and " + std::to_string(lines.size() - 1) + " more problem" + (lines.size() > 2 ? "s" : "") + ")";
}

std::vector<std::string> lines_of(const std::vector<BatchProblem>& problems, const std::string& template_source,
                                  const std::string& rows_source) {
    std::vector<std::string> lines;
    for (const BatchProblem& p : problems) {
        std::string line = p.line == 0 ? template_source : rows_source + ":" + std::to_string(p.line);
        if (!p.path.empty()) line += ": " + p.path;
        lines.push_back(line + ": " + p.message);
    }
    return lines;
}

// A job check's line "FILE: PATH: why" as a problem of the row at `line`.
BatchProblem row_problem(std::size_t line, const std::string& text, const std::string& file) {
    std::string rest = text.starts_with(file + ": ") ? text.substr(file.size() + 2) : text;
    rest = net::redact_text(rest);
    const std::size_t colon = rest.find(": ");
    // A path has no spaces ("composite.layers[2].text"); a line without one is all message.
    if (colon == std::string::npos || rest.substr(0, colon).find(' ') != std::string::npos) return {line, "", rest};
    return {line, rest.substr(0, colon), rest.substr(colon + 2)};
}

// The batch's name: the template's name without its placeholders and the separators around them
// ("promo-{{id}}" -> "promo"); the template file's stem when nothing is left.
std::string batch_name(const json& job_template, const fs::path& template_file) {
    std::string name;
    if (job_template.contains("name") && job_template["name"].is_string()) {
        const std::string text = job_template["name"].get<std::string>();
        for (std::size_t i = 0; i < text.size();) {
            if (text.compare(i, 2, "{{") == 0 && text.compare(i, 4, "{{{{") != 0) {
                const std::size_t close = text.find("}}", i + 2);
                i = close == std::string::npos ? text.size() : close + 2;
            } else {
                name += text[i++];
            }
        }
        const auto first = name.find_first_not_of("-_.");
        name = first == std::string::npos ? std::string() : name.substr(first, name.find_last_not_of("-_.") - first + 1);
    }
    return name.empty() ? template_file.stem().string() : name;
}

// What is wrong with the template's placeholders, and those naming no column of the rows.
std::vector<BatchProblem> template_problems(const TemplatePlaceholders& placeholders, const BatchRows& rows) {
    std::vector<BatchProblem> problems;
    for (const TemplateProblem& p : placeholders.problems) problems.push_back({0, p.path, p.message});
    std::string columns;
    for (const std::string& c : rows.columns) {
        if (!columns.empty()) columns += ", ";
        columns += c;
    }
    for (const auto& [column, path] : placeholders.first_use)
        if (!rows.has_column(column))
            problems.push_back({0, path, "{{" + column + "}} names no column of " + rows.source + " (its columns: " + columns + ")"});
    return problems;
}

// One row's job: the template filled in from the row (named `numbered_name` unless that is
// empty) and checked. nullopt, with the row's problems added to `problems`, when it is not a job.
std::optional<job::JobSpec> row_job(const BatchRow& row, const json& job_template, const std::set<std::string>& columns,
                                    const std::string& numbered_name, const fs::path& template_file,
                                    const job::ParseOptions& options, std::vector<BatchProblem>& problems) {
    if (!row.problem.empty()) {
        problems.push_back({row.line, "", row.problem});
        return std::nullopt;
    }
    bool complete = true;
    for (const std::string& column : columns)
        if (!row.value(column)) {
            problems.push_back({row.line, column, "missing"});
            complete = false;
        }
    if (!complete) return std::nullopt;  // the job checks would only repeat it
    json document = fill_template(job_template, [&](const std::string& column) { return *row.value(column); });
    if (!numbered_name.empty()) document["name"] = numbered_name;
    try {
        return job::parse_job(document, template_file, options);
    } catch (const job::JobFileError& e) {
        for (const std::string& line : e.lines()) problems.push_back(row_problem(row.line, line, template_file.string()));
    } catch (const Error& e) {
        if (e.domain() != ErrorDomain::usage) throw;
        problems.push_back(row_problem(row.line, e.what(), template_file.string()));
    }
    return std::nullopt;
}

}  // namespace

BatchError::BatchError(std::vector<BatchProblem> problems, std::string template_source, std::string rows_source)
    : Error(ErrorDomain::usage, summary_of(lines_of(problems, template_source, rows_source)), 0, {}),
      problems_(std::move(problems)),
      template_source_(std::move(template_source)),
      rows_source_(std::move(rows_source)) {}

std::vector<std::string> BatchError::lines() const { return lines_of(problems_, template_source_, rows_source_); }

std::string BatchError::line_of(const BatchProblem& problem) const {
    return lines_of({problem}, template_source_, rows_source_).front();
}

BatchPlan plan_batch(const json& job_template, const fs::path& template_file, const BatchRows& rows,
                     const job::ParseOptions& options) {
    const std::string file = template_file.string();
    const auto fail = [&](std::vector<BatchProblem> problems) { throw BatchError(std::move(problems), file, rows.source); };
    if (!job_template.is_object()) fail({{0, "", "a job template holds one JSON object"}});
    if (auto deep = json_nested_too_deep(job_template))
        fail({{0, *deep, "nested deeper than " + std::to_string(max_json_depth) + " levels"}});
    if (!job_template.contains("name") || !job_template["name"].is_string() || job_template["name"].get<std::string>().empty())
        fail({{0, "name", "the template needs a name (a string, e.g. \"promo-{{id}}\"): each job's name is made from it"}});
    if (rows.rows.empty()) fail({{0, "", rows.source + " has no rows"}});

    // The job names: the template's, with the row's id or number when it has no placeholder.
    json filled_template = job_template;
    const std::string name = job_template["name"].get<std::string>();
    const bool numbered = !has_placeholder(name) && !rows.has_column("id");
    if (!has_placeholder(name) && rows.has_column("id")) filled_template["name"] = name + "-{{id}}";

    // The template's own problems, once (not once per row).
    const TemplatePlaceholders placeholders = template_placeholders(filled_template);
    std::vector<BatchProblem> problems = template_problems(placeholders, rows);
    if (!problems.empty()) fail(std::move(problems));

    BatchPlan plan{batch_name(job_template, template_file), {}};
    std::map<std::string, std::size_t> line_of_name;
    std::map<fs::path, std::size_t> line_of_output;
    for (const BatchRow& row : rows.rows) {
        const std::string numbered_name = numbered ? name + "-" + std::to_string(row.number) : std::string();
        std::optional<job::JobSpec> spec =
            row_job(row, filled_template, placeholders.columns, numbered_name, template_file, options, problems);
        if (!spec) continue;
        if (auto [it, first] = line_of_name.emplace(spec->name, row.line); !first) {
            problems.push_back({row.line, "name", "'" + spec->name + "' is also the job name of line " + std::to_string(it->second)});
            continue;
        }
        if (auto [it, first] = line_of_output.emplace(spec->output, row.line); !first) {
            problems.push_back({row.line, "output", "'" + spec->output.string() + "' is also the output directory of line " +
                                                        std::to_string(it->second)});
            continue;
        }
        plan.jobs.push_back({row.line, row.number, std::move(*spec)});
    }
    if (!problems.empty()) fail(std::move(problems));
    return plan;
}

BatchPlan plan_batch_files(const fs::path& template_file, const fs::path& rows_file, const job::ParseOptions& options) {
    std::ifstream in(template_file, std::ios::binary);
    if (!in) throw_input(template_file.string(), "cannot read the job template");
    std::ostringstream text;
    text << in.rdbuf();
    json job_template;
    try {
        job_template = json::parse(text.str());
    } catch (const json::exception& e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> the part after the tag.
        std::string what = e.what();
        const auto tag_end = what.find("] ");
        throw_usage(template_file.string() + ": not valid JSON: " + (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
    }
    return plan_batch(job_template, template_file, read_batch_rows(rows_file), options);
}

}  // namespace avpost::pipeline
