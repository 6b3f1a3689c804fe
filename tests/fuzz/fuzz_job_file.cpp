// Fuzz target: a job file, as `avpost run` reads it (parse_job_file, with the compose and delivery
// value checks but not the file system ones); then what the stage option tables read of its
// composite and deliver parts, they must write in a form they read back the same (the canonical
// JSON of a job). A bad job must be an avpost::Error; anything else escaping (a library
// exception, a crash, undefined behaviour) or a value that does not read back is a finding.
#include <optional>
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/pipeline/job_spec.hpp"
#include "fuzz_support.hpp"

namespace {

// What `table` writes of `params` it reads back without a problem, and writes again the same.
template <class Params>
void expect_reads_back(const avpost::filters::OptionTable<Params>& table, const Params& params) {
    const nlohmann::json written = avpost::filters::write_options(table, params);
    Params again{};
    if (!avpost::filters::read_options(table, written, again).empty()) __builtin_trap();
    if (avpost::filters::write_options(table, again) != written) __builtin_trap();
}

}  // namespace

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
    if (spec->composite) {
        expect_reads_back(filters::layout_options(), *spec->composite);
        expect_reads_back(filters::encode_options(), *spec->composite);
    }
    if (spec->deliver) expect_reads_back(filters::delivery_options(), *spec->deliver);
    return 0;
}
