#include "avpost/pipeline/batch_manifest.hpp"

#include <algorithm>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/csv.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

BatchEntry batch_entry(const BatchJob& job, const JobReport& report) {
    BatchEntry entry{job.line, job.spec.name, std::nullopt, {}, {}, {}, {}};
    const bool done_before = !report.stages.empty() && std::all_of(report.stages.begin(), report.stages.end(), [](const StageReport& s) {
        return s.status == "skipped" || s.status == "none";
    });
    if (report.ok) entry.state = done_before ? "unchanged" : "done";
    else entry.state = report.stages.empty() && report.interrupted ? "not-run" : "failed";
    entry.error = report.ok ? std::string() : report.error;
    for (const JobOutputFile& o : report.outputs)
        if (o.kind != "other") entry.files.push_back({o.kind, o.preset, o.path.string(), o.size, o.sha256});
    return entry;
}

BatchEntry batch_entry(const BatchJob& job, const archive::SubmitResult& queued) {
    return {job.line, job.spec.name, queued.id, queued.created ? "queued" : "unchanged",
            std::string(archive::to_string(queued.state)), {}, {}};
}

fs::path default_manifest_path(const fs::path& output_root, const std::string& batch_name) {
    return (output_root / (batch_name + ".manifest.csv")).lexically_normal();
}

std::string manifest_csv(const BatchManifest& manifest) {
    std::string text = csv::record({"line", "job", "job_id", "state", "kind", "file", "bytes", "sha256", "error"});
    for (const BatchEntry& e : manifest.entries) {
        const std::string id = e.job_id ? std::to_string(*e.job_id) : std::string();
        if (e.files.empty()) text += csv::record({std::to_string(e.line), e.name, id, e.state, "", "", "", "", e.error});
        for (const BatchFile& f : e.files) {
            const std::string kind = f.kind == "delivery" ? f.preset : f.kind;
            text += csv::record({std::to_string(e.line), e.name, id, e.state, kind, f.location, std::to_string(f.bytes),
                                 f.sha256, e.error});
        }
    }
    return text;
}

void write_manifest(const BatchManifest& manifest) {
    if (manifest.path.has_parent_path()) fs::create_directories(manifest.path.parent_path());
    write_file_atomically(manifest.path, manifest_csv(manifest));
}

json to_json(const BatchEntry& entry) {
    json files = json::array();
    for (const BatchFile& f : entry.files)
        files.push_back({{"kind", f.kind},
                         {"preset", f.preset.empty() ? json(nullptr) : json(f.preset)},
                         {"path", f.location},
                         {"bytes", f.bytes},
                         {"sha256", f.sha256}});
    return {{"line", entry.line},
            {"name", entry.name},
            {"id", entry.job_id ? json(*entry.job_id) : json(nullptr)},
            {"state", entry.state},
            {"queue_state", entry.queue_state.empty() ? json(nullptr) : json(entry.queue_state)},
            {"files", files},
            {"error", entry.error.empty() ? json(nullptr) : json(entry.error)}};
}

}  // namespace avpost::pipeline
