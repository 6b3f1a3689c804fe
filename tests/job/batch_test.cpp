// Batches of jobs from a template and rows, through the library (no program, no vendor): CSV as
// RFC 4180 writes it, JSON Lines, placeholders filled in the parsed document, every problem of
// every row named with its line, job names, and the manifest.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "avpost/core/csv.hpp"
#include "avpost/core/error.hpp"
#include "avpost/pipeline/batch.hpp"
#include "avpost/pipeline/batch_manifest.hpp"
#include "avpost/pipeline/job_template.hpp"

using namespace avpost;
using namespace avpost::pipeline;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json job_template() {
    return json::parse(R"({
      "name": "promo-{{id}}",
      "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": "https://example.com/{{id}}.wav"}},
      "composite": {"canvas": "320x180", "layers": [
        {"type": "colour", "source": "#204060"},
        {"type": "avatar"},
        {"type": "text", "text": "{{name}}", "colour": "{{colour}}"}]}
    })");
}

job::ParseOptions no_files() {
    job::ParseOptions options;
    options.check_files = false;
    options.environment = [](const std::string& name) -> std::optional<std::string> {
        if (name == "SECRET_TOKEN") return "s3cr3t";
        return std::nullopt;
    };
    return options;
}

// The lines of the BatchError that planning throws; empty when it plans.
std::vector<std::string> problems_of(const json& t, const std::string& csv) {
    try {
        plan_batch(t, "t.json", parse_csv_rows(csv, "rows.csv"), no_files());
    } catch (const BatchError& e) {
        return e.lines();
    }
    return {};
}

// The text of the template's text layer, as the job will draw it.
std::string text_of(const job::JobSpec& spec) {
    return spec.composite->layers.at(2).text->text;
}

}  // namespace

TEST(Csv, QuotedFieldsHoldCommasQuotesAndLineBreaksAndRecordsKeepTheLineTheyStartOn) {
    const std::string text = "\xEF\xBB\xBF" "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,\"two\nlines\",\r\n3,,\"\"\n";
    auto records = csv::parse(text, "r.csv");
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b", "c"}));  // the BOM is no part of "a"
    EXPECT_EQ(records[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
    EXPECT_EQ(records[2].line, 4u);  // after a blank line
    EXPECT_EQ(records[2].fields, (std::vector<std::string>{"2", "two\nlines", ""}));
    EXPECT_EQ(records[3].line, 6u);  // the record before spans two lines
    EXPECT_EQ(records[3].fields, (std::vector<std::string>{"3", "", ""}));
    // Without a final line break, and with LF only.
    EXPECT_EQ(csv::parse("a\n\"q\"", "r.csv").back().fields, std::vector<std::string>{"q"});
}

TEST(Csv, AQuoteNeverClosedOrTextAfterAClosingQuoteIsNamedWithItsLine) {
    try {
        csv::parse("a,b\n1,2\n3,\"open\n\n", "r.csv");
        FAIL() << "parsed";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_STREQ(e.what(), "r.csv:3: a quoted field is never closed (a quote inside it is written \"\")");
    }
    EXPECT_THROW(csv::parse("a\n\"x\"y\n", "r.csv"), Error);
    EXPECT_THROW(csv::parse("a\nx\"y\n", "r.csv"), Error);
}

TEST(Csv, WhatItWritesItReadsBack) {
    const std::vector<std::string> fields{"plain", "a,b", "say \"hi\"", "two\r\nlines", " padded ", "", "山田"};
    auto records = csv::parse(csv::record(fields) + csv::record({"x"}), "m.csv");
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].fields, fields);
    EXPECT_EQ(records[1].line, 3u);
}

TEST(BatchRows, JsonLinesRowsTurnValuesThatAreNotStringsIntoTheirJson) {
    auto rows = parse_jsonl_rows("{\"id\": \"a\", \"n\": 7}\n\n{\"id\": \"b\", \"ok\": true, \"none\": null}\n", "r.jsonl");
    ASSERT_EQ(rows.rows.size(), 2u);
    EXPECT_EQ(rows.columns, (std::vector<std::string>{"id", "n", "none", "ok"}));
    EXPECT_EQ(rows.rows[0].values.at("n"), "7");
    EXPECT_EQ(rows.rows[1].line, 3u);
    EXPECT_EQ(rows.rows[1].number, 2u);
    EXPECT_EQ(rows.rows[1].values.at("ok"), "true");
    // A line that is no object is a row with a problem, reported with the others.
    rows = parse_jsonl_rows("{\"id\": 1}\n[1]\n{\"id\": \n", "r.jsonl");
    ASSERT_EQ(rows.rows.size(), 3u);
    EXPECT_EQ(rows.rows[0].problem, "");
    EXPECT_EQ(rows.rows[1].problem, "a row is one JSON object, not array");
    EXPECT_EQ(rows.rows[2].problem, "not a JSON object (each line of a .jsonl file holds one)");
}

TEST(BatchRows, ARecordWithMoreFieldsThanTheHeaderIsAProblemOfItsRowNamedWithTheOthers) {
    auto lines = problems_of(job_template(), "id,name,colour\nx,Lima, Ana,white\ny,,white\n");
    ASSERT_EQ(lines.size(), 2u) << testing::PrintToString(lines);
    EXPECT_EQ(lines[0], "rows.csv:2: 4 fields, but the header names 3 columns (a comma inside a value needs the value in double quotes)");
    EXPECT_EQ(lines[1], "rows.csv:3: name: missing");
}

TEST(JobTemplate, PlaceholdersAreFilledInStringValuesOnlySoAValueCannotChangeTheDocument) {
    const json t = {{"name", "x-{{id}}"}, {"list", {"{{v}}", 3}}, {"{{v}}", "literal {{{{v}} and {{ v }}"}};
    const json filled = fill_template(t, [](const std::string& column) {
        return column == "v" ? std::string("\", \"injected\": \"1\n{{id}}") : std::string("7");
    });
    EXPECT_EQ(filled["name"], "x-7");
    EXPECT_EQ(filled["list"][0], "\", \"injected\": \"1\n{{id}}");  // one string, not re-expanded
    EXPECT_EQ(filled["list"][1], 3);
    EXPECT_FALSE(filled.contains("injected"));
    ASSERT_TRUE(filled.contains("{{v}}"));  // keys are not templates
    EXPECT_EQ(filled["{{v}}"], "literal {{v}} and \", \"injected\": \"1\n{{id}}");

    auto found = template_placeholders({{"a", "{{x}} {{ y }} {{{{z}}"}, {"b", {"{{open"}}});
    EXPECT_EQ(found.columns, (std::set<std::string>{"x", "y"}));
    ASSERT_EQ(found.problems.size(), 1u);
    EXPECT_EQ(found.problems[0].path, "b[0]");
}

TEST(Batch, EveryRowIsCheckedAndEachProblemNamesItsLineAndPath) {
    const std::string rows =
        "id,name,colour\n"
        "a,Ana,white\n"
        "b,\"Kenji\nYamada\",notacolour\n"  // line 3, spanning two lines
        "c,,white\n"                        // line 5: no name
        "bad id,Layla,white\n"               // line 6: not a job name
        "a,Ana again,white\n";               // line 7: the name of line 2 again
    auto lines = problems_of(job_template(), rows);
    ASSERT_EQ(lines.size(), 4u) << testing::PrintToString(lines);
    EXPECT_EQ(lines[0].rfind("rows.csv:3: composite.layers[2].colour: ", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1], "rows.csv:5: name: missing");
    EXPECT_EQ(lines[2].rfind("rows.csv:6: name: must be letters, digits", 0), 0u) << lines[2];
    EXPECT_EQ(lines[3], "rows.csv:7: name: 'promo-a' is also the job name of line 2");

    // The same as values, for callers that hold rows as JSON (an API).
    try {
        plan_batch(job_template(), "t.json",
                   rows_from_json(json::array({{{"id", "a"}, {"name", "Ana"}, {"colour", "white"}}, {{"id", "b"}, {"colour", "white"}}}),
                                  "request.rows"),
                   no_files());
        FAIL() << "planned";
    } catch (const BatchError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].line, 2u);
        EXPECT_EQ(e.problems()[0].path, "name");
        EXPECT_EQ(e.problems()[0].message, "missing");
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
    }
}

TEST(Batch, APlaceholderNamingNoColumnIsOneProblemOfTheTemplateNotOneForEachRow) {
    json t = job_template();
    t["description"] = "for {{nmae}}";
    auto lines = problems_of(t, "id,name,colour\na,A,white\nb,B,white\nc,C,white\n");
    ASSERT_EQ(lines.size(), 1u) << testing::PrintToString(lines);
    EXPECT_EQ(lines[0], "t.json: description: {{nmae}} names no column of rows.csv (its columns: id, name, colour)");
}

TEST(Batch, JobNamesComeFromTheTemplateTheIdColumnOrTheRowNumber) {
    json t = job_template();
    auto plan = plan_batch(t, "t.json", parse_csv_rows("id,name,colour\nx1,\"A, B\",white\ny2,\"C\nD\",red\n", "r.csv"), no_files());
    ASSERT_EQ(plan.jobs.size(), 2u);
    EXPECT_EQ(plan.name, "promo");
    EXPECT_EQ(plan.jobs[0].spec.name, "promo-x1");
    EXPECT_EQ(plan.jobs[1].spec.name, "promo-y2");
    EXPECT_EQ(plan.jobs[1].line, 3u);
    EXPECT_EQ(text_of(plan.jobs[0].spec), "A, B");
    EXPECT_EQ(text_of(plan.jobs[1].spec), "C\nD");

    t["name"] = "promo";  // no placeholder: the id column's value is appended
    plan = plan_batch(t, "t.json", parse_csv_rows("id,name,colour\nx1,A,white\n", "r.csv"), no_files());
    EXPECT_EQ(plan.jobs[0].spec.name, "promo-x1");
    t["source"]["a2v"]["audio_url"] = "https://example.com/a.wav";  // without an id column: the row's number
    plan = plan_batch(t, "t.json", parse_csv_rows("name,colour\nA,white\nB,white\n", "r.csv"), no_files());
    EXPECT_EQ(plan.jobs[1].spec.name, "promo-2");
    EXPECT_EQ(plan.jobs[1].spec.output, fs::path("out/promo-2"));  // the name counts everywhere, not just in the name
}

TEST(Batch, ARowCannotReadTheEnvironmentButTheTemplateCanAndItsReferencesStayReferences) {
    json t = job_template();
    t["source"]["a2v"]["audio_url"] = "https://example.com/{{id}}.wav?token=${SECRET_TOKEN}";
    auto plan = plan_batch(t, "t.json", parse_csv_rows("id,name,colour\na,${SECRET_TOKEN} $${x} 5$,white\n", "r.csv"), no_files());
    ASSERT_EQ(plan.jobs.size(), 1u);
    EXPECT_EQ(text_of(plan.jobs[0].spec), "${SECRET_TOKEN} $${x} 5$");  // as the row wrote it
    const auto& a2v = std::get<job::A2vSource>(plan.jobs[0].spec.source);
    EXPECT_EQ(a2v.audio_url, "https://example.com/a.wav?token=s3cr3t");
    // What would be queued keeps the reference, not the secret.
    const std::string queued = canonical_job_document(plan.jobs[0].spec).dump();
    EXPECT_EQ(queued.find("s3cr3t"), std::string::npos) << queued;
    EXPECT_NE(queued.find("${SECRET_TOKEN}"), std::string::npos) << queued;
    // And a worker reading it back draws the row's text as written and fetches the same audio.
    const job::JobSpec worker = job::parse_job(canonical_job_document(plan.jobs[0].spec), "t.json", no_files());
    EXPECT_EQ(text_of(worker), "${SECRET_TOKEN} $${x} 5$");
    EXPECT_EQ(std::get<job::A2vSource>(worker.source).audio_url, a2v.audio_url);
}

TEST(BatchManifest, OneLinePerFileOrOneForARowWithoutFiles) {
    BatchManifest m{"promo", "run", "m.csv", {}};
    m.entries.push_back({2, "promo-a", std::nullopt, "done", "", {{"delivery", "web", "/o/promo-a.mp4", 10, "ab"}, {"avatar", "", "/o/a.mp4", 5, "cd"}}, ""});
    m.entries.push_back({4, "promo-b", std::nullopt, "failed", "", {}, "render failed: \"bad\", really"});
    auto records = csv::parse(manifest_csv(m), "m.csv");
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[0].fields[0], "line");
    EXPECT_EQ(records[1].fields, (std::vector<std::string>{"2", "promo-a", "", "done", "web", "/o/promo-a.mp4", "10", "ab", ""}));
    EXPECT_EQ(records[2].fields[4], "avatar");
    EXPECT_EQ(records[3].fields, (std::vector<std::string>{"4", "promo-b", "", "failed", "", "", "", "", "render failed: \"bad\", really"}));
}

// The shipped example (examples/batch) passes every check, its files included.
TEST(Batch, TheExampleTemplateAndRowsAreABatchOfThreeJobs) {
    const fs::path examples = fs::path(AVPOST_SOURCE_DIR) / "examples" / "batch";
    job::ParseOptions options;
    options.environment = [](const std::string&) { return std::optional<std::string>(); };
    auto plan = plan_batch_files(examples / "promo.template.json", examples / "rows.csv", options);
    EXPECT_EQ(plan.name, "promo");
    std::vector<std::string> names;
    for (const BatchJob& job : plan.jobs) names.push_back(job.spec.name);
    EXPECT_EQ(names, (std::vector<std::string>{"promo-ana", "promo-kenji", "promo-layla"}));
    ASSERT_EQ(plan.jobs.size(), 3u);
    EXPECT_EQ(plan.jobs[2].line, 5u);  // kenji's title spans lines 3 and 4
    EXPECT_EQ(plan.jobs[2].spec.composite->overlays.at(0).text->text, "ليلى حداد\nDirector of \"Growth\"");
}
