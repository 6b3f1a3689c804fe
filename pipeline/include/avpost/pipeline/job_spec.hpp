#pragma once
// A job file (docs/job.md, docs/job.schema.json): one avatar render taken from its source through
// compositing, delivery and archiving. The parser validates strictly (unknown keys, wrong types,
// missing fields, two sources) and names the JSON path in every error; relative paths resolve
// against the job file's directory. The composite and deliver parts are read once, by the stages'
// option tables (filters/compose_option_tables.hpp, delivery_option_table.hpp), into typed values;
// what they say about files and each other is checked in the same pass (job_compose.hpp), so one
// run reports every problem of a file.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/filters/compose.hpp"
#include "avpost/net/render_job.hpp"

namespace avpost::job {

// Create an A2V render of a pose speaking an audio file.
struct A2vSource {
    std::string pose_id;
    std::string audio_url;
};
// Create an Akool talking-avatar render; the request as the Akool API takes it (and as sent: with
// the key-colour backdrop avpost adds for a keyed composite, akool_key_backdrop.hpp).
struct AkoolSource {
    nlohmann::json request;
    std::string added_key_backdrop;  // the colour of the element added; empty: none was needed
};
// A render that already exists at a vendor.
struct VendorJobSource {
    net::Vendor vendor = net::Vendor::a2v;
    std::string id;
};
// An avatar video and, when it has one, its matte on disk (no vendor involved).
struct LocalSource {
    std::filesystem::path video;
    std::filesystem::path mask;  // empty: none (a keyed composite, or deliveries without alpha)
};
using Source = std::variant<A2vSource, AkoolSource, VendorJobSource, LocalSource>;

// "a2v", "akool", "vendor_job" or "local".
std::string_view source_kind(const Source& source);
// True when the source creates a render at a vendor (a2v, akool).
bool source_creates_render(const Source& source);
// True when the render comes with a matte: A2V renders, and local sources that name a mask.
// Akool renders have none: a composite keys them (composite.key).
bool source_has_matte(const Source& source);

struct WaitSpec {
    double timeout_seconds = 3600;  // A2V renders take 10-30 minutes
    double interval_seconds = 1;    // the first polls; then a quarter of the time waited, up to 60 s
};

struct ArchiveSpec {
    std::filesystem::path root;  // holds catalog.db (and the files, unless `store` is given)
    std::string store;           // "s3://bucket/prefix" or a directory; empty: the root
};

struct JobSpec {
    std::filesystem::path file;  // the job file as given
    std::string name;            // [A-Za-z0-9._-], not starting with '.': file stem and catalog key
    Source source;
    // The composite: its scene (background, or layers; Akool elements as layers), placement,
    // matte, key and encode, file paths resolved; video, mask, output and delivery are the job
    // runner's to fill in. nullopt: no composite (deliveries, if any, are of the render as it is).
    std::optional<filters::ComposeParams> composite;
    // The composite's own file name in the output directory; empty: not kept (deliveries only).
    // By default NAME-composite.mp4, unless a web delivery (the composite as H.264) is made and
    // composite.output does not ask for it.
    std::string composite_file;
    // The deliveries, into the output directory, named deliver.name or the job's name; nullopt:
    // nothing is delivered.
    std::optional<filters::DeliveryOptions> deliver;
    WaitSpec wait;
    ArchiveSpec archive;
    std::filesystem::path output;  // the job's output directory
    bool output_given = false;        // by the job file ("output"), not the reader's default
    bool archive_root_given = false;  // by the job file ("archive.root")
    // The values the file wrote as ${NAME} references, by JSON pointer ("/source/a2v/audio_url"),
    // as written: the canonical document keeps them so, and no secret the environment holds is
    // stored with a queued job (each worker expands them from its own environment).
    std::vector<std::pair<std::string, std::string>> environment_references;
    // Where a queued job's completion webhooks go: {"url": ..., "events": [...]} (events a subset
    // of archive::webhook_event_types; absent: all), its ${NAME} references expanded; null: none.
    // Used only by the queue (avpost submit/batch, the HTTP API): `avpost run` sends no webhooks.
    nlohmann::json notify;
};

struct ParseOptions {
    // Parent of the default output directory (OUTPUT_ROOT/NAME); relative to the working directory.
    std::filesystem::path default_output_root = "out";
    // The archive of jobs without "archive.root" (run --archive, $AVPOST_ARCHIVE); empty:
    // OUTPUT/archive.
    std::filesystem::path default_archive_root;
    // Looks up ${NAME} references in string values; default: the process environment.
    std::function<std::optional<std::string>(const std::string&)> environment;
    // Whether the checks look at the file system: the local files a job reads exist, its caption
    // file reads, no output would replace an input. false: only what the job file itself says is
    // judged (a job written for another machine).
    bool check_files = true;
    // Whether notify.url may name a loopback, private or link-local host (net/webhook_url.hpp).
    // true here (the form is checked, a worker reading a queued job back judges nothing more):
    // avpost submit and batch pass their --allow-private-webhooks, off by default.
    bool allow_private_webhooks = true;
};

// Replaces ${NAME} and ${NAME:-default} in every string value of `document` (so one job file
// serves the sandbox and the real vendors: "${A2V_AUDIO_URL:-http://127.0.0.1:9/voice.wav}").
// "$${" stands for a literal "${". Throws Error(usage) "FILE: PATH: ..." for an unset variable
// without a default or an unclosed reference.
nlohmann::json expand_environment(const nlohmann::json& document, const std::string& file,
                                  const std::function<std::optional<std::string>(const std::string&)>& environment);

// Reads and validates a job file. Throws JobFileError for a bad job: every problem found, one
// "FILE: PATH: why" line each; Error(input) when the file cannot be read.
JobSpec parse_job_file(const std::filesystem::path& file, const ParseOptions& options = {});
// The same for an already parsed document; `file` names it in errors and anchors relative paths.
JobSpec parse_job(const nlohmann::json& document, const std::filesystem::path& file, const ParseOptions& options = {});

// The job as a job file: every value as parsed (the stage tables write composite and deliver),
// paths absolute; a value the file wrote as a ${NAME} reference kept as that reference where the
// document has the same field (other text escaped, "$${"); the output and archive root only
// when the file gave them. Parsing it again gives the same job, and the same document: what `avpost submit` queues
// and a worker reads back (the file itself is read once, at submit).
nlohmann::json canonical_job_document(const JobSpec& spec);
// The composite part of that document (also what the compose stage's fingerprint covers).
nlohmann::json composite_document(const filters::ComposeParams& composite, const std::string& composite_file);

// Every problem of one job file: Error(usage) whose one-line message is the first problem (and
// how many more there are), with each problem's own line in lines().
class JobFileError : public Error {
public:
    explicit JobFileError(std::vector<std::string> lines);
    const std::vector<std::string>& lines() const noexcept { return lines_; }

private:
    std::vector<std::string> lines_;
};

// Throws Error(usage) "FILE: PATH: why": for value errors found after parsing (compose values).
[[noreturn]] void throw_job_error(const JobSpec& job, std::string_view path, std::string_view why);

}  // namespace avpost::job
