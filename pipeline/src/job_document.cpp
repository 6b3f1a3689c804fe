// A parsed job written back as a job file: the canonical JSON `avpost submit` queues and a worker
// reads back (job_spec.hpp).
#include <filesystem>

#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/pipeline/job_spec.hpp"

namespace avpost::job {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A path as the parser resolved it (relative to the working directory when the job file's was),
// made absolute: the document then means the same from any directory.
std::string absolute_text(const fs::path& path) { return fs::absolute(path).lexically_normal().string(); }

bool names_local_file(const std::string& text) {
    return !text.empty() && text != "transparent" && text.find("://") == std::string::npos && !text.starts_with('#');
}

json source_document(const Source& source) {
    if (const auto* a2v = std::get_if<A2vSource>(&source))
        return {{"a2v", {{"pose_id", a2v->pose_id}, {"audio_url", a2v->audio_url}}}};
    if (const auto* akool = std::get_if<AkoolSource>(&source)) {
        // The request as the job file gave it: reading it again adds the key's backdrop again.
        json request = akool->request;
        if (!akool->added_key_backdrop.empty()) request["elements"].erase(0);
        return {{"akool", request}};
    }
    if (const auto* vendor = std::get_if<VendorJobSource>(&source))
        return {{"vendor_job", {{"vendor", std::string(net::to_string(vendor->vendor))}, {"id", vendor->id}}}};
    const auto& local = std::get<LocalSource>(source);
    json out = {{"video", absolute_text(local.video)}};
    if (!local.mask.empty()) out["mask"] = absolute_text(local.mask);
    return {{"local", out}};
}

// "${" -> "$${" in every string, so reading the document again expands nothing twice.
void escape_references(json& value) {
    if (value.is_string()) {
        std::string text = value.get<std::string>();
        for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 3)) text.insert(at, 1, '$');
        value = text;
    } else if (value.is_structured()) {
        for (json& item : value) escape_references(item);
    }
}

// Layers as a job file writes them, their local sources absolute.
json layers_document(const std::vector<filters::Layer>& layers) {
    json out = layers;
    for (json& layer : out)
        if (layer.contains("source") && layer["type"] != "colour" && names_local_file(layer["source"].get<std::string>()))
            layer["source"] = absolute_text(layer["source"].get<std::string>());
    return out;
}

}  // namespace

json composite_document(const filters::ComposeParams& composite, const std::string& composite_file) {
    json out = filters::write_options(filters::layout_options(), composite);
    out.update(filters::write_options(filters::encode_options(), composite));
    if (!composite.layers.empty()) out["layers"] = layers_document(composite.layers);
    else out["background"] = names_local_file(composite.background) ? absolute_text(composite.background) : composite.background;
    if (!composite.overlays.empty()) out["overlays"] = layers_document(composite.overlays);
    out["output"] = composite_file.empty() ? json(false) : json(composite_file);
    return out;
}

json canonical_job_document(const JobSpec& spec) {
    json doc = {{"name", spec.name}, {"source", source_document(spec.source)}};
    if (spec.composite) doc["composite"] = composite_document(*spec.composite, spec.composite_file);
    if (spec.deliver) {
        json deliver = filters::write_options(filters::delivery_options(), *spec.deliver);
        if (!spec.deliver->captions.empty()) deliver["captions"] = absolute_text(spec.deliver->captions);
        doc["deliver"] = deliver;
    }
    doc["wait"] = {{"timeout_seconds", spec.wait.timeout_seconds}, {"interval_seconds", spec.wait.interval_seconds}};
    // The output and archive root only when the job gave them: otherwise the reader's defaults
    // (a worker's own) apply, as they did to the file.
    if (spec.output_given) doc["output"] = absolute_text(spec.output);
    json archive = json::object();
    if (spec.archive_root_given) archive["root"] = absolute_text(spec.archive.root);
    if (!spec.archive.store.empty())
        archive["store"] = spec.archive.store.starts_with("s3://") ? spec.archive.store : absolute_text(spec.archive.store);
    if (!archive.empty()) doc["archive"] = archive;
    escape_references(doc);
    for (const auto& [pointer, written] : spec.environment_references) {
        const json::json_pointer at(pointer);
        if (doc.contains(at) && doc[at].is_string()) doc[at] = written;
    }
    // notify as the submitter expanded it, not its ${NAME} references: the catalog delivers to
    // that URL (Catalog::submit_job), and a worker reading the job back may not have the variable.
    if (!spec.notify.is_null()) {
        json notify = spec.notify;
        escape_references(notify);
        doc["notify"] = notify;
    }
    return doc;
}

}  // namespace avpost::job
