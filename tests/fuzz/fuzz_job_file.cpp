// Fuzz target: a job file, as `avpost run` reads it (parse_job_file, with the compose and delivery
// value checks but not the file system ones), then the scene parts of its composite (layers,
// elements) and its deliver part as the compose stage reads them (pipeline/src/job_compose.cpp).
// A bad job must be
// an avpost::Error; anything else escaping (a library exception, a crash, undefined behaviour)
// is a finding.
#include <optional>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/filters/delivery.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/pipeline/job_spec.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace avpost;
    fuzz::quiet_logs();
    static fuzz::ScratchFile scratch("job.json");
    job::ParseOptions options;
    // A fixed environment, so an input means the same on every machine.
    options.environment = [](const std::string& name) -> std::optional<std::string> {
        if (name == "A2V_POSE_ID") return "pose-fuzz";
        return std::nullopt;
    };
    options.default_archive_root = scratch.path().parent_path() / "archive";
    // The values are checked (anchor, sizes, colours, presets), not the files an input names: a
    // fuzzed caption path must not read /dev/zero.
    options.check_files = false;
    std::optional<job::JobSpec> spec;
    try {
        spec = job::parse_job_file(scratch.write(data, size), options);
    } catch (const Error&) {
        return 0;
    }
    try {
        if (spec->composite.contains("layers")) filters::layers_from_json(spec->composite["layers"]);
        if (spec->composite.contains("elements")) filters::layers_from_akool_elements(spec->composite["elements"]);
    } catch (const Error&) {
    }
    try {
        if (spec->deliver.is_object()) {
            nlohmann::json deliver = spec->deliver;
            deliver["directory"] = spec->output.string();
            if (!deliver.contains("name")) deliver["name"] = spec->name;
            (void)deliver.get<filters::DeliveryOptions>();
        }
    } catch (const Error&) {
    }
    return 0;
}
