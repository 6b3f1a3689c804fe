// The job file parser: a valid job's defaults and resolved paths, and each way a job file can be
// wrong, with the one-line error naming the file and the JSON path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <optional>

#include "avpost/core/error.hpp"
#include "avpost/pipeline/job_spec.hpp"
#include "media_helpers.hpp"

using namespace avpost;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json valid_job() {
    return json::parse(R"({
      "name": "promo",
      "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": "https://example.com/a.wav"}},
      "composite": {"background": "brand/bg.png", "size": "-1x300", "anchor": "bottom", "matte": {"feather": 1}},
      "deliver": {"presets": ["web", "poster"]}
    })");
}

// An Akool create request: `below` (elements under the avatar), the avatar, the audio.
json akool_request(const json& below = json::array()) {
    json elements = below;
    elements.push_back({{"type", "avatar"}, {"avatar_id", "Yasmin"}, {"offset_x", 0}, {"offset_y", 0}, {"scale_x", 1},
                        {"scale_y", 1}});
    elements.push_back({{"type", "audio"}, {"input_text", "Hi"}, {"voice_id", "v1"}});
    return {{"width", 3840}, {"height", 2160}, {"avatar_from", 2}, {"elements", elements}};
}

// The parser without its file system checks: the files these jobs name are not there.
job::ParseOptions without_files() {
    job::ParseOptions options;
    options.check_files = false;
    return options;
}
const job::ParseOptions no_files = without_files();

// The message of the Error(usage) that parsing `j` throws ("" when it parses).
std::string parse_error(const json& j) {
    try {
        job::parse_job(j, "jobs/job.json", no_files);
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage) << e.what();
        return e.what();
    }
    return "";
}

}  // namespace

TEST(JobSpec, AValidJobHasDefaultsAndPathsResolvedAgainstTheJobFile) {
    job::JobSpec spec = job::parse_job(valid_job(), "jobs/job.json", no_files);
    EXPECT_EQ(spec.name, "promo");
    ASSERT_TRUE(std::holds_alternative<job::A2vSource>(spec.source));
    EXPECT_EQ(std::get<job::A2vSource>(spec.source).pose_id, "pose-kai-front");
    ASSERT_TRUE(spec.composite);
    EXPECT_EQ(spec.composite->background, "jobs/brand/bg.png");
    // The web delivery is the composite: no separate NAME-composite.mp4 unless asked for.
    EXPECT_TRUE(spec.composite_file.empty());
    EXPECT_EQ(spec.output, fs::path("out/promo"));
    EXPECT_EQ(spec.archive.root, fs::path("out/promo/archive"));
    ASSERT_TRUE(spec.deliver);
    EXPECT_EQ(spec.deliver->presets.size(), 2u);
    EXPECT_EQ(spec.deliver->directory, spec.output);

    json j = valid_job();
    j["output"] = "../rendered";
    j["archive"] = {{"root", "/srv/archive"}, {"store", "s3://bucket/avatars"}};
    j["composite"]["background"] = "#102030";
    j["composite"]["output"] = nullptr;
    spec = job::parse_job(j, "jobs/job.json", no_files);
    EXPECT_EQ(spec.output, fs::path("rendered"));
    EXPECT_EQ(spec.archive.root, fs::path("/srv/archive"));
    EXPECT_EQ(spec.archive.store, "s3://bucket/avatars");
    EXPECT_EQ(spec.composite->background, "#102030");
    EXPECT_TRUE(spec.composite_file.empty());
}

TEST(JobSpec, TheCompositeFileIsKeptWithoutAWebDeliveryOrWhenAsked) {
    json j = valid_job();
    j["deliver"]["presets"] = {"webm-alpha", "poster"};
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite_file, "promo-composite.mp4");
    j.erase("deliver");
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite_file, "promo-composite.mp4");
    j = valid_job();
    j["composite"]["output"] = true;
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite_file, "promo-composite.mp4");
    j["composite"]["output"] = "master.mp4";
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite_file, "master.mp4");
    j["composite"]["output"] = false;
    EXPECT_TRUE(job::parse_job(j, "jobs/job.json", no_files).composite_file.empty());
    j.erase("deliver");
    EXPECT_EQ(parse_error(j), "jobs/job.json: composite.output: is null or false but nothing is delivered: the composite would go nowhere");
}

TEST(JobSpec, EnvironmentReferencesAreExpandedWithDefaults) {
    json j = valid_job();
    j["source"]["a2v"]["pose_id"] = "${POSE:-pose-kai-front}";
    j["source"]["a2v"]["audio_url"] = "${AUDIO_URL}";
    j["composite"]["background"] = "$${literal}.png";
    job::ParseOptions options = no_files;
    std::map<std::string, std::string> env{{"AUDIO_URL", "https://cdn.example.com/voice.wav"}};
    options.environment = [&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    job::JobSpec spec = job::parse_job(j, "jobs/job.json", options);
    EXPECT_EQ(std::get<job::A2vSource>(spec.source).pose_id, "pose-kai-front");
    EXPECT_EQ(std::get<job::A2vSource>(spec.source).audio_url, "https://cdn.example.com/voice.wav");
    EXPECT_EQ(spec.composite->background, "jobs/${literal}.png");
    env["POSE"] = "pose-real-7";
    spec = job::parse_job(j, "jobs/job.json", options);
    EXPECT_EQ(std::get<job::A2vSource>(spec.source).pose_id, "pose-real-7");

    env.clear();
    try {
        job::parse_job(j, "jobs/job.json", options);
        ADD_FAILURE() << "an unset variable without a default parsed";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "jobs/job.json: source.a2v.audio_url: environment variable AUDIO_URL is not set");
    }
    j["source"]["a2v"]["audio_url"] = "${AUDIO_URL";
    try {
        job::parse_job(j, "jobs/job.json", options);
        ADD_FAILURE() << "an unclosed reference parsed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("source.a2v.audio_url: unclosed ${"), std::string::npos) << e.what();
    }
}

TEST(JobSpec, EachSourceKindParses) {
    json j = valid_job();
    j["source"] = {{"local", {{"video", "a.mp4"}, {"mask", "/m/a-mask.mp4"}}}};
    auto spec = job::parse_job(j, "dir/job.json", no_files);
    ASSERT_TRUE(std::holds_alternative<job::LocalSource>(spec.source));
    EXPECT_EQ(std::get<job::LocalSource>(spec.source).video, fs::path("dir/a.mp4"));
    EXPECT_EQ(std::get<job::LocalSource>(spec.source).mask, fs::path("/m/a-mask.mp4"));

    j["source"] = {{"vendor_job", {{"vendor", "a2v"}, {"id", "v-1"}}}};
    spec = job::parse_job(j, "job.json", no_files);
    EXPECT_EQ(std::get<job::VendorJobSource>(spec.source).id, "v-1");

    j = {{"name", "ak"},
         {"source",
          {{"akool",
            {{"width", 3840}, {"height", 2160}, {"avatar_from", 2},
             {"elements", {{{"type", "avatar"}, {"avatar_id", "Yasmin"}}, {{"type", "audio"}, {"input_text", "Hi"}}}}}}}}};
    spec = job::parse_job(j, "job.json", no_files);
    EXPECT_EQ(job::source_kind(spec.source), "akool");
}

TEST(JobSpec, EveryErrorNamesTheFileAndTheField) {
    struct Case {
        std::string label;
        std::function<void(json&)> change;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"missing pose", [](json& j) { j["source"]["a2v"].erase("pose_id"); },
         "jobs/job.json: source.a2v.pose_id: required string is missing"},
        {"pose not a string", [](json& j) { j["source"]["a2v"]["pose_id"] = 7; },
         "jobs/job.json: source.a2v.pose_id: must be a string, not an integer"},
        {"empty audio", [](json& j) { j["source"]["a2v"]["audio_url"] = ""; },
         "jobs/job.json: source.a2v.audio_url: must not be empty"},
        {"unknown top-level key", [](json& j) { j["colour"] = "red"; }, "jobs/job.json: colour: unknown key"},
        {"unknown nested key", [](json& j) { j["composite"]["matte"]["blur"] = 2; },
         "jobs/job.json: composite.matte.blur: unknown key"},
        {"two sources", [](json& j) { j["source"]["local"] = {{"video", "a"}, {"mask", "b"}}; },
         "jobs/job.json: source: give exactly one source, not a2v and local"},
        {"no source", [](json& j) { j.erase("source"); }, "jobs/job.json: source: required object is missing"},
        {"empty source", [](json& j) { j["source"] = json::object(); }, "jobs/job.json: source: give one of"},
        {"source not an object", [](json& j) { j["source"] = "a2v"; },
         "jobs/job.json: source: must be an object, not a string"},
        {"missing name", [](json& j) { j.erase("name"); }, "jobs/job.json: name: required string is missing"},
        {"bad name", [](json& j) { j["name"] = "../up"; }, "jobs/job.json: name: must be letters"},
        {"unknown vendor", [](json& j) { j["source"] = {{"vendor_job", {{"vendor", "heygen"}, {"id", "1"}}}}; },
         "jobs/job.json: source.vendor_job.vendor: must be \"a2v\" or \"akool\""},
        {"presets missing", [](json& j) { j["deliver"].erase("presets"); },
         "jobs/job.json: deliver.presets: required array is missing"},
        {"preset not a string", [](json& j) { j["deliver"]["presets"][1] = 3; },
         "jobs/job.json: deliver.presets[1]: must be a string, not an integer"},
        {"crf not an integer", [](json& j) { j["composite"]["crf"] = "high"; },
         "jobs/job.json: composite.crf: must be an integer, not a string"},
        {"two scenes", [](json& j) { j["composite"]["layers"] = json::array({json::object()}); },
         "jobs/job.json: composite: give only one of background, layers and elements"},
        {"no background", [](json& j) { j["composite"].erase("background"); },
         "jobs/job.json: composite: give a background, layers or elements"},
        {"layers without a canvas",
         [](json& j) {
             j["composite"].erase("background");
             j["composite"]["layers"] = json::array({{{"type", "avatar"}}});
         },
         "jobs/job.json: composite.canvas: a scene of layers needs a canvas size"},
        {"local source with nothing to do",
         [](json& j) {
             j.erase("composite");
             j.erase("deliver");
             j["source"] = {{"local", {{"video", "a.mp4"}, {"mask", "m.mp4"}}}};
         },
         "jobs/job.json: composite: a local source needs a composite or a deliver"},
        {"local source composited without a mask or key",
         [](json& j) { j["source"] = {{"local", {{"video", "a.mp4"}}}}; },
         "jobs/job.json: source.local.mask: required string is missing (or give composite.key"},
        {"composite output with a slash", [](json& j) { j["composite"]["output"] = "a/b.mp4"; },
         "jobs/job.json: composite.output: must be a file name"},
        {"wait not positive", [](json& j) { j["wait"] = {{"interval_seconds", 0}}; },
         "jobs/job.json: wait.interval_seconds: must be greater than 0"},
        {"akool composited without a key",
         [](json& j) { j["source"] = {{"vendor_job", {{"vendor", "akool"}, {"id", "1"}}}}; },
         "jobs/job.json: composite: an Akool render comes without a matte: give composite.key (\"auto\" or the "
         "backdrop colour, e.g. \"#00B140\")"},
        {"akool keyed with another colour than its backdrop",
         [](json& j) {
             j["source"] = {{"akool", akool_request({{{"type", "image"}, {"url", "#00b140"}, {"offset_x", 0}, {"offset_y", 0},
                                                      {"scale_x", 1}, {"scale_y", 1}}})}};
             j["composite"]["key"] = "#0000FF";
         },
         "jobs/job.json: composite.key: the key colour #0000FF is not the colour of the request's backdrop, "
         "source.akool.elements[0] (#00B140)"},
        {"akool element type missing",
         [](json& j) {
             j.erase("composite");
             j.erase("deliver");
             j["source"] = {{"akool", {{"width", 3840}, {"height", 2160}, {"avatar_from", 2}, {"elements", {{{"url", "x"}}}}}}};
         },
         "jobs/job.json: source.akool.elements[0].type: required string is missing"},
        {"archive root not a string", [](json& j) { j["archive"] = {{"root", true}}; },
         "jobs/job.json: archive.root: must be a string, not a boolean"},
        {"not an object", [](json& j) { j = json::array(); }, "jobs/job.json: a job file holds one JSON object"},
        {"notify without url", [](json& j) { j["notify"] = {{"events", {"job.failed"}}}; },
         "jobs/job.json: notify.url: required string is missing"},
        {"notify to ftp", [](json& j) { j["notify"] = {{"url", "ftp://hooks.example.com/x?token=t0ps3cret"}}; },
         "jobs/job.json: notify.url: only http and https URLs are allowed"},
        {"notify with user info", [](json& j) { j["notify"] = {{"url", "https://me:t0ps3cret@hooks.example.com/"}}; },
         "jobs/job.json: notify.url: user info"},
        {"notify unknown event", [](json& j) { j["notify"] = {{"url", "https://h.example.com/"}, {"events", {"job.done"}}}; },
         "jobs/job.json: notify.events[0]: must be one of: job.succeeded, job.failed, batch.finished"},
        {"notify event twice",
         [](json& j) { j["notify"] = {{"url", "https://h.example.com/"}, {"events", {"job.failed", "job.failed"}}}; },
         "jobs/job.json: notify.events[1]: is listed twice"},
        {"notify events not a list", [](json& j) { j["notify"] = {{"url", "https://h.example.com/"}, {"events", "all"}}; },
         "jobs/job.json: notify.events: must be an array"},
        {"notify unknown key", [](json& j) { j["notify"] = {{"url", "https://h.example.com/"}, {"secret", "x"}}; },
         "jobs/job.json: notify.secret: unknown key"},
    };
    for (const Case& c : cases) {
        json j = valid_job();
        c.change(j);
        std::string message = parse_error(j);
        EXPECT_TRUE(message.starts_with(c.message)) << c.label << ": got \"" << message << "\"";
        EXPECT_EQ(message.find('\n'), std::string::npos) << c.label;
        EXPECT_EQ(message.find("t0ps3cret"), std::string::npos) << c.label << ": the URL's secrets are never repeated";
    }
}

// notify: kept (expanded) in the spec and its canonical document; private targets only when the
// reader allows them (avpost submit --allow-private-webhooks; a worker reading a queued job back).
TEST(JobSpec, NotifyIsCheckedKeptAndPrivateTargetsNeedPermission) {
    json j = valid_job();
    j["notify"] = {{"url", "https://hooks.example.com/avpost?token=${HOOK_TOKEN}"}, {"events", {"job.succeeded"}}};
    job::ParseOptions options = no_files;
    options.environment = [](const std::string& name) -> std::optional<std::string> {
        return name == "HOOK_TOKEN" ? std::optional<std::string>("abc123") : std::nullopt;
    };
    job::JobSpec spec = job::parse_job(j, "jobs/job.json", options);
    EXPECT_EQ(spec.notify["url"], "https://hooks.example.com/avpost?token=abc123");
    EXPECT_EQ(spec.notify["events"], json({"job.succeeded"}));
    const json doc = job::canonical_job_document(spec);
    EXPECT_EQ(doc["notify"]["url"], "https://hooks.example.com/avpost?token=abc123")
        << "expanded by the submitter: a worker reading it back need not have the variable";
    EXPECT_EQ(job::parse_job(doc, "jobs/job.json", no_files).notify, spec.notify);
    EXPECT_TRUE(job::parse_job(valid_job(), "jobs/job.json", no_files).notify.is_null());

    j["notify"] = {{"url", "http://127.0.0.1:8080/hook"}};
    options.allow_private_webhooks = false;
    try {
        job::parse_job(j, "jobs/job.json", options);
        ADD_FAILURE() << "a loopback target was accepted";
    } catch (const job::JobFileError& e) {
        EXPECT_NE(std::string(e.what()).find("notify.url: its host 127.0.0.1 is a loopback"), std::string::npos) << e.what();
    }
    options.allow_private_webhooks = true;
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", options).notify["url"], "http://127.0.0.1:8080/hook");
}

TEST(JobSpec, AFileThatIsNotJsonOrMissingFailsClearly) {
    fs::path dir = fs::temp_directory_path() / ("avpost-jobspec-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::path file = dir / "broken.json";
    std::ofstream(file) << "{\n  \"name\": \"x\",\n  \"source\": \n}\n";
    try {
        job::parse_job_file(file);
        FAIL() << "parsed a broken file";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_NE(std::string(e.what()).find("broken.json: not valid JSON: parse error at line 4"), std::string::npos)
            << e.what();
    }
    try {
        job::parse_job_file(dir / "missing.json");
        FAIL() << "parsed a missing file";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::input) << e.what();
    }
    fs::remove_all(dir);
}

TEST(JobSpec, EveryProblemOfAFileIsReportedOneLineEach) {
    json j = valid_job();
    j["name"] = "../up";
    j["colour"] = "red";
    j["composite"]["crf"] = "high";
    j["composite"]["fit"] = 3;
    j["wait"] = {{"interval_seconds", 0}};
    std::vector<std::string> lines;
    try {
        job::parse_job(j, "jobs/job.json", no_files);
        FAIL() << "parsed a bad job";
    } catch (const job::JobFileError& e) {
        lines = e.lines();
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_TRUE(std::string(e.what()).ends_with("(and 4 more problems)")) << e.what();
    }
    const std::vector<std::string> prefixes = {"jobs/job.json: colour: unknown key", "jobs/job.json: name: must be letters",
                                               "jobs/job.json: composite.crf: must be an integer, not a string",
                                               "jobs/job.json: composite.fit: must be a string, not an integer",
                                               "jobs/job.json: wait.interval_seconds: must be greater than 0"};
    // Nothing else: a value that was wrong is reported once, not again by the value checks.
    ASSERT_EQ(lines.size(), prefixes.size());
    for (const std::string& prefix : prefixes)
        EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(prefix); }))
            << prefix;
}

// Issue 21: the parser and the compose and delivery value checks are one pass, so a job file with
// many mistakes gets all of them in one run, each naming the file and the JSON path.
TEST(JobSpec, EveryMistakeOfAJobFileIsReportedInOneRun) {
    const fs::path dir = fs::temp_directory_path() / ("avpost-jobspec-all-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "mask.mp4") << "x";  // the mask is there; the video is not
    for (const json& loudness : {json(3), json("loud")}) {
        const json j = {{"name", "grün-local"},
                        {"source", {{"local", {{"video", "missing.mp4"}, {"mask", "mask.mp4"}}}}},
                        {"composite",
                         {{"background", "#GG0000"}, {"fitt", "contain"}, {"anchor", "middle"}, {"canvas", "99999x10"}}},
                        {"deliver", {{"presets", {"web", "gif"}}, {"loudness", loudness}}},
                        {"output", "out"}};
        const fs::path file = dir / "job.json";
        std::ofstream(file) << j.dump(2);
        std::vector<std::string> lines;
        try {
            job::parse_job_file(file);
            FAIL() << "parsed a job with eight mistakes";
        } catch (const job::JobFileError& e) {
            lines = e.lines();
            EXPECT_TRUE(std::string(e.what()).ends_with("(and 7 more problems)")) << e.what();
        }
        const std::string f = file.string() + ": ";
        const std::vector<std::string> expected = {
            f + "name: must be letters, digits, '.', '_' and '-' (at most 100, not starting with '.'): 'ü' at byte 3",
            f + "source.local.video: no such file",
            f + "composite.fitt: unknown key",
            f + "composite.background: '#GG0000' is not a colour",
            f + "composite.anchor: unknown anchor 'middle'",
            f + "composite.canvas: size 99999x10 is too large",
            f + "deliver.presets[1]: ",
            f + (loudness.is_string() ? "deliver.loudness: unknown loudness target 'loud' (web: -14 LUFS"
                                      : "deliver.loudness: must be a string, not an integer"),
        };
        for (const std::string& prefix : expected)
            EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(prefix); }), 1)
                << prefix;
        EXPECT_EQ(lines.size(), expected.size());
        for (const std::string& line : lines) {
            EXPECT_TRUE(line.starts_with(f)) << line;
            EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        }
        // A preset that does not exist is named as written.
        EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
            return l.find("deliver.presets[1]") != std::string::npos && l.find("gif") != std::string::npos;
        })) << ::testing::PrintToString(lines);
    }
    fs::remove_all(dir);
}

TEST(JobSpec, ABadNameSaysWhichCharacterIsWrong) {
    json j = valid_job();
    j["name"] = "grün-local";
    const std::string message = parse_error(j);
    EXPECT_TRUE(message.starts_with("jobs/job.json: name: must be letters, digits")) << message;
    EXPECT_NE(message.find("'ü' at byte 3 of 'grün-local' is not allowed"), std::string::npos) << message;
    j["name"] = "two words";
    EXPECT_NE(parse_error(j).find("' ' at byte 4 of 'two words' is not allowed"), std::string::npos) << parse_error(j);
    j["name"] = ".hidden";
    EXPECT_NE(parse_error(j).find("'.hidden' starts with '.'"), std::string::npos) << parse_error(j);
    j = valid_job();
    j["deliver"]["name"] = "promo/web";
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.name: must be a file stem of letters, digits, '.', '_' and '-': "
                              "'/' at byte 6 of 'promo/web' is not allowed");
}

TEST(JobSpec, ColoursAreWrittenAnyWayAndAMistypedOneIsNamedAtParseTime) {
    json j = valid_job();
    j["composite"]["background"] = "0x102030";
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite->background, "#102030");
    j["composite"]["background"] = "#abcdef";
    EXPECT_EQ(job::parse_job(j, "jobs/job.json", no_files).composite->background, "#ABCDEF");
    j["composite"]["background"] = "#GG0000";
    EXPECT_EQ(parse_error(j), "jobs/job.json: composite.background: '#GG0000' is not a colour (#RRGGBB, 0xRRGGBB, RRGGBB "
                              "or a CSS name)");
    j = valid_job();
    j["composite"]["despill"] = "lime";
    EXPECT_EQ(parse_error(j), "");
    j["composite"]["key"] = "0x00b140";
    // A key removes the spill itself: both at once is refused when the file is read, not at compose.
    EXPECT_TRUE(parse_error(j).starts_with("jobs/job.json: composite.despill: not with a key")) << parse_error(j);
    j["composite"].erase("despill");
    EXPECT_EQ(parse_error(j), "");
    j["composite"].erase("key");
    j["composite"]["despill"] = "greenish";
    EXPECT_TRUE(parse_error(j).starts_with("jobs/job.json: composite.despill: 'greenish' is not a colour")) << parse_error(j);
}

TEST(JobSpec, ANumberTooLargeForADoubleNamesItsField) {
    fs::path dir = fs::temp_directory_path() / ("avpost-jobspec-big-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::path file = dir / "big.json";
    std::ofstream(file) << R"({"name": "x", "deliver": {"presets": ["web"], "hls_heights": [720, -1e400]}})";
    try {
        job::parse_job_file(file);
        FAIL() << "parsed an overflowing number";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_EQ(std::string(e.what()), file.string() + ": deliver.hls_heights[1]: number overflow parsing '-1e400' "
                                                         "(too large for a number)");
    }
    fs::remove_all(dir);
}

// Nesting: 64 levels pass the depth check (and fail on the field's type), 65 are refused with the
// path of the first value too deep.
TEST(JobSpec, NestingDeeperThan64LevelsIsRefusedWithItsPath) {
    auto nested_arrays = [](int levels) {
        json value = json::array();
        for (int i = 1; i < levels; ++i) value = json::array({value});
        return value;
    };
    json j = valid_job();
    j["description"] = nested_arrays(63);  // the document is level 1
    EXPECT_EQ(parse_error(j), "jobs/job.json: description: must be a string, not an array");
    j["description"] = nested_arrays(64);
    EXPECT_EQ(parse_error(j), "jobs/job.json: description[0][0][0]...: nested deeper than 64 levels");
    j = valid_job();
    j["composite"]["matte"] = {{"choke", nested_arrays(63)}};
    EXPECT_EQ(parse_error(j), "jobs/job.json: composite.matte.choke[0]...: nested deeper than 64 levels");
}

// 100k nested arrays or 50k nested objects in any value crashed `avpost run` (SIGSEGV: the
// expansion of ${NAME} recursed once per level). Through the real program: exit 2, one line.
TEST(JobSpec, AHostileNestingDepthIsExitTwoNotACrash) {
    avpost::testing::TempDir dir;
    struct Case {
        std::string file, value, path;
    };
    std::string objects;
    for (int i = 0; i < 50000; ++i) objects += R"({"a":)";
    objects += "1" + std::string(50000, '}');
    const std::vector<Case> cases{
        {"arrays.json", std::string(100000, '[') + std::string(100000, ']'), "description[0][0][0]..."},
        {"objects.json", objects, "description.a.a.a..."},
    };
    for (const Case& c : cases) {
        const std::string file = dir.file(c.file);
        std::ofstream(file) << R"({"name": "deep", "source": {"local": {"video": "a.mp4", "mask": "m.mp4"}},)"
                            << R"( "composite": {"background": "#000000"}, "description": )" << c.value << "}";
        auto r = avpost::testing::run_avpost("run --output-root " + avpost::testing::quote(dir.file("out")) + " " +
                                             avpost::testing::quote(file));
        EXPECT_EQ(r.exit_code, 2) << c.file << ": " << r.err;
        EXPECT_NE(r.err.find("avpost: error: " + file + ": " + c.path + ": nested deeper than 64 levels\n"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

// Issue 14: a keyed Akool composite needs a plain colour behind the avatar; a request without a
// backdrop gets a full-canvas element of the key colour (default green) at the bottom.
TEST(JobSpec, AKeyedAkoolRequestWithoutABackdropGetsTheKeyColourAtTheBottom) {
    auto parsed = [](const json& request, const json& key) {
        json j = {{"name", "ak"},
                  {"source", {{"akool", request}}},
                  {"composite", {{"background", "#102030"}, {"key", key}}},
                  {"deliver", {{"presets", {"web"}}}}};
        return std::get<job::AkoolSource>(job::parse_job(j, "job.json", no_files).source);
    };
    const json green_backdrop = {{"type", "image"}, {"url", "#00B140"}, {"offset_x", 0}, {"offset_y", 0},
                                 {"width", 3840}, {"height", 2160}, {"scale_x", 1}, {"scale_y", 1}};

    job::AkoolSource akool = parsed(akool_request(), "auto");
    EXPECT_EQ(akool.added_key_backdrop, "#00B140");
    ASSERT_EQ(akool.request["elements"].size(), 3u);
    EXPECT_EQ(akool.request["elements"][0], green_backdrop);
    EXPECT_EQ(akool.request["elements"][1]["type"], "avatar");

    akool = parsed(akool_request(), "blue");  // a key colour as people write colours
    EXPECT_EQ(akool.added_key_backdrop, "#0000FF");
    EXPECT_EQ(akool.request["elements"][0]["url"], "#0000FF");
    akool = parsed(akool_request(), {{"colour", "#ff00ff"}, {"clip_black", 0.2}});
    EXPECT_EQ(akool.request["elements"][0]["url"], "#FF00FF");

    // A request with its own full-canvas backdrop (a colour, or a sized image) is sent as it is.
    for (const json& backdrop :
         {json{{"type", "image"}, {"url", "#00B140"}, {"offset_x", 0}, {"offset_y", 0}, {"scale_x", 1}, {"scale_y", 1}},
          json{{"type", "image"}, {"url", "https://example.com/studio.png"}, {"offset_x", -10}, {"offset_y", 0},
               {"width", 1920}, {"height", 1080}, {"scale_x", 2.01}, {"scale_y", 2}}}) {
        akool = parsed(akool_request(json::array({backdrop})), "auto");
        EXPECT_EQ(akool.added_key_backdrop, "") << backdrop.dump();
        EXPECT_EQ(akool.request["elements"].size(), 3u) << backdrop.dump();
    }
    // One that covers part of the canvas, or lies over the avatar, is no backdrop: green goes under it.
    json partial = green_backdrop;
    partial["width"] = 1920;
    akool = parsed(akool_request(json::array({partial})), "#00B140");
    EXPECT_EQ(akool.added_key_backdrop, "#00B140");
    EXPECT_EQ(akool.request["elements"].size(), 4u);
    json over = akool_request();
    over["elements"].push_back(green_backdrop);
    akool = parsed(over, "auto");
    EXPECT_EQ(akool.request["elements"][0], green_backdrop);
    EXPECT_EQ(akool.request["elements"].size(), 4u);

    // Without a key nothing is added; a deliver alone needs no composite.
    json j = {{"name", "ak"}, {"source", {{"akool", akool_request()}}}, {"deliver", {{"presets", {"web", "poster"}}}}};
    akool = std::get<job::AkoolSource>(job::parse_job(j, "job.json", no_files).source);
    EXPECT_EQ(akool.added_key_backdrop, "");
    EXPECT_EQ(akool.request, akool_request());
}

// Issue 14: `deliver` works without `composite` for every source (the render as it is).
TEST(JobSpec, EverySourceMayDeliverWithoutAComposite) {
    for (const json& source : {json{{"a2v", {{"pose_id", "p"}, {"audio_url", "https://example.com/a.wav"}}}},
                               json{{"akool", akool_request()}}, json{{"vendor_job", {{"vendor", "akool"}, {"id", "1"}}}},
                               json{{"local", {{"video", "a.mp4"}}}}}) {
        json j = {{"name", "plain"}, {"source", source}, {"deliver", {{"presets", {"web", "poster"}}}}};
        EXPECT_EQ(parse_error(j), "") << source.dump();
        job::JobSpec spec = job::parse_job(j, "job.json", no_files);
        EXPECT_FALSE(spec.composite);
        ASSERT_TRUE(spec.deliver);
        EXPECT_EQ(spec.deliver->presets.size(), 2u);
    }
}

TEST(JobSpec, DeliverTakesALoudnessTargetAndCaptionsRelativeToTheJobFile) {
    json j = valid_job();
    j["deliver"]["loudness"] = "us-tv";
    j["deliver"]["captions"] = "subs/talk.srt";
    j["deliver"]["burn_captions"] = true;
    job::JobSpec spec = job::parse_job(j, "jobs/job.json", no_files);
    ASSERT_TRUE(spec.deliver);
    EXPECT_EQ(spec.deliver->loudness, filters::LoudnessTarget::us_tv);
    EXPECT_EQ(spec.deliver->captions, "jobs/subs/talk.srt");
    EXPECT_TRUE(spec.deliver->burn_captions);

    j["deliver"]["loudness"] = "loud";
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.loudness: unknown loudness target 'loud' (web: -14 LUFS, podcast: "
                              "-16, broadcast: -23, us-tv: -24, off)");
    j["deliver"]["loudness"] = "web";
    j["deliver"]["burn_captions"] = "yes";
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.burn_captions: must be true or false, not a string");
    j["deliver"]["burn_captions"] = true;
    j["deliver"].erase("captions");
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.burn_captions: needs captions (a caption file)");
}

TEST(JobSpec, DeliverTakesTheCaptionsLanguage) {
    json j = valid_job();
    j["deliver"]["captions"] = "talk.srt";
    j["deliver"]["captions_language"] = "pt-BR";
    EXPECT_EQ(job::parse_job(j, "job.json", no_files).deliver->captions_language, "pt-BR");
    j["deliver"]["captions_language"] = 7;
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.captions_language: must be a string, not an integer");
}

TEST(JobSpec, AnUnknownDeliverKeyIsReportedOnceAndTheOtherKeysAreStillChecked) {
    json j = valid_job();
    j["deliver"]["fitt"] = 1;
    j["deliver"]["preview_width"] = 5;  // a value DeliveryOptions judges
    std::vector<std::string> lines;
    try {
        job::parse_job(j, "jobs/job.json", no_files);
        FAIL() << "parsed a bad deliver";
    } catch (const job::JobFileError& e) {
        lines = e.lines();
    }
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_TRUE(lines[0].starts_with("jobs/job.json: deliver.fitt: unknown key")) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("jobs/job.json: deliver.preview_width: must be from 16 to 3840, not 5")) << lines[1];

    // Every value DeliveryOptions judges is named by its field.
    j = valid_job();
    j["deliver"]["max_size"] = "huge";
    EXPECT_EQ(parse_error(j), "jobs/job.json: deliver.max_size: bad size 'huge' (expected WxH)");
    j = valid_job();
    j["deliver"]["hls_segments"] = "mp4";
    EXPECT_TRUE(parse_error(j).starts_with("jobs/job.json: deliver.hls_segments: unknown HLS segment format 'mp4'"))
        << parse_error(j);
    j = valid_job();
    j["deliver"]["hls_codec"] = "vp9";
    EXPECT_TRUE(parse_error(j).starts_with("jobs/job.json: deliver.hls_codec: unknown HLS codec 'vp9'")) << parse_error(j);
}

// Issue 21 item 2: `submit` queues the job as parsed (its canonical document) and a worker reads
// that back. Read again, the document gives the same job and the same document; it means the
// same from any directory; a value written as a ${NAME} reference stays one (no secret the
// environment holds is stored), other text with "${" stays literal.
TEST(JobSpec, TheCanonicalDocumentReadsBackAsTheSameJob) {
    auto canonical_of = [](const json& j, const std::string& file) {
        return job::canonical_job_document(job::parse_job(j, file, no_files));
    };
    json keyed = {{"name", "ak"},
                  {"source", {{"akool", akool_request()}}},
                  {"composite", {{"elements", json::array({{{"type", "image"}, {"url", "#102030"}},
                                                            {{"type", "avatar"}, {"offset_x", 10}, {"offset_y", -20}}})},
                                 {"key", {{"colour", "green"}, {"clip_black", 0.2}}},
                                 {"preset", "fast"}}},
                  {"deliver", {{"presets", {"web", "hls"}}, {"hls_heights", {720, 360}}, {"captions", "subs/a.srt"}}},
                  {"output", "out/ak"},
                  {"archive", {{"root", "arch"}, {"store", "s3://bucket/p"}}}};
    json local = {{"name", "loc"},
                  {"source", {{"local", {{"video", "in/a.mp4"}, {"mask", "in/m.mp4"}}}}},
                  {"composite", {{"background", "white"}, {"position", "-7,13"}, {"fit_to", "visible"}, {"despill", "0x00b140"},
                                 {"output", "master.mp4"}}}};
    json scene = valid_job();
    scene["composite"] = {{"canvas", "1280x720"},
                          {"layers", json::array({{{"type", "colour"}, {"source", "#102030"}},
                                                  {{"type", "avatar"}, {"offset", {100, 50}}},
                                                  {{"type", "image"}, {"source", "brand/logo.png"}, {"start", 1.5},
                                                   {"end", 4}, {"fade_in", 0.25}, {"fade_out", 0.5}}})}};
    json overlaid = valid_job();
    overlaid["composite"]["overlays"] = json::array({{{"type", "text"}, {"style", "lower-third"}, {"name", "Ana"},
                                                       {"title", "Sales"}, {"start", 0.5}},
                                                      {{"type", "image"}, {"source", "brand/logo.png"}, {"offset", {10, 10}}}});
    json environment = valid_job();
    environment["source"]["a2v"]["audio_url"] = "${AUDIO_URL:-https://example.com/a.wav?sig=secret}";
    environment["composite"]["background"] = "$${literal}.png";
    for (const json& j : {valid_job(), keyed, local, scene, overlaid, environment}) {
        SCOPED_TRACE(j.dump());
        const json first = canonical_of(j, "jobs/job.json");
        // From another directory, through an absolute file name: the same document.
        const json second = canonical_of(first, fs::absolute("jobs/job.json").string());
        EXPECT_EQ(second, first);
        const job::JobSpec again = job::parse_job(first, "/elsewhere/job.json", no_files);
        EXPECT_EQ(job::canonical_job_document(again), first);
    }

    const json doc = canonical_of(keyed, "jobs/job.json");
    EXPECT_EQ(doc["composite"]["encoder_preset"], "fast");  // the former name, as today's
    EXPECT_EQ(doc["composite"]["key"]["colour"], "#008000");  // CSS green
    EXPECT_EQ(canonical_of(local, "jobs/job.json")["composite"]["despill"], "#00B140");
    EXPECT_EQ(doc["composite"]["canvas"], "3840x2160");
    EXPECT_EQ(doc["composite"]["layers"].size(), 2u);
    EXPECT_EQ(doc["source"]["akool"], akool_request()) << "the request as written: reading it adds the backdrop again";
    EXPECT_EQ(doc["deliver"]["captions"], fs::absolute("jobs/subs/a.srt").lexically_normal().string());
    EXPECT_EQ(doc["archive"]["root"], fs::absolute("jobs/arch").lexically_normal().string());
    EXPECT_FALSE(canonical_of(valid_job(), "jobs/job.json").contains("output")) << "the reader's default stays the reader's";

    const json timed = canonical_of(scene, "jobs/job.json")["composite"]["layers"][2];
    EXPECT_EQ(timed["start"], 1.5);
    EXPECT_EQ(timed["end"], 4.0);
    EXPECT_EQ(timed["fade_out"], 0.5);
    EXPECT_EQ(timed["source"], fs::absolute("jobs/brand/logo.png").lexically_normal().string());

    const json over = canonical_of(overlaid, "jobs/job.json")["composite"]["overlays"];
    ASSERT_EQ(over.size(), 2u);
    EXPECT_EQ(over[0]["text"], "Ana\nSales");
    EXPECT_EQ(over[0]["anchor"], "bottom-left");
    EXPECT_EQ(over[1]["source"], fs::absolute("jobs/brand/logo.png").lexically_normal().string());

    const json referenced = canonical_of(environment, "jobs/job.json");
    EXPECT_EQ(referenced["source"]["a2v"]["audio_url"], "${AUDIO_URL:-https://example.com/a.wav?sig=secret}");
    EXPECT_EQ(referenced["composite"]["background"], fs::absolute("jobs").lexically_normal().string() + "/$${literal}.png");
}

TEST(JobSpec, EveryExampleJobsCanonicalDocumentReadsBackTheSame) {
    const fs::path examples = fs::path(AVPOST_TEST_MEDIA_DIR) / "../../examples/jobs";
    int read = 0;
    for (const auto& entry : fs::directory_iterator(examples)) {
        if (entry.path().extension() != ".json") continue;
        SCOPED_TRACE(entry.path().string());
        const job::JobSpec spec = job::parse_job_file(entry.path(), no_files);
        const json first = job::canonical_job_document(spec);
        EXPECT_EQ(job::canonical_job_document(job::parse_job(first, entry.path(), no_files)), first);
        ++read;
    }
    EXPECT_GE(read, 2);
}
