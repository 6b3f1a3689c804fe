// Fuzz target: a job file, as `avpost run` reads it (parse_job_file), then the scene parts of its
// composite (layers, elements) as the compose stage turns them into layers. A bad job must be
// an avpost::Error; anything else escaping (a library exception, a crash, undefined behaviour)
// is a finding.
#include <optional>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/job/job_spec.hpp"
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
    try {
        job::JobSpec spec = job::parse_job_file(scratch.write(data, size), options);
        if (spec.composite.contains("layers")) filters::layers_from_json(spec.composite["layers"]);
        if (spec.composite.contains("elements")) filters::layers_from_akool_elements(spec.composite["elements"]);
    } catch (const Error&) {
    }
    return 0;
}
