// `avpost batch` end to end against the in-process sandbox (issue 23): 50 rows of a CSV with
// quoted commas, line breaks inside values, Arabic and CJK names; a bad row names all its problems
// and nothing runs; the fixed file makes 50 jobs and a complete manifest; a re-run renders
// nothing. A failed render fails only its row; --submit queues each row once, and a worker runs
// what was queued.
#include <set>

#include "../archive/sync_test_support.hpp"
#include "avpost/core/csv.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

class Batch : public ::testing::Test {
protected:
    void SetUp() override {
        server = start_sandbox_for_cli(quick_sandbox());
        dir = make_temp_dir("batch");
        write_file(dir / "promo.json", job_template().dump(2));
    }
    void TearDown() override {
        if (server) server->stop();
        fs::remove_all(dir);
    }

    // A tiny render (the sandbox's 160x96, 1 s) on a 160x96 canvas with the row's name and title
    // as a text layer; the composite is the one file made.
    static json job_template() {
        return {{"name", "promo-{{id}}"},
                {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav?id={{id}}"}}}}},
                {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 60}}},
                {"composite",
                 {{"canvas", "160x96"},
                  {"encoder_preset", "ultrafast"},
                  {"layers",
                   {{{"type", "colour"}, {"source", "#204060"}},
                    {{"type", "avatar"}},
                    {{"type", "text"}, {"text", "{{name}}\n{{title}}"}, {"size", 10}, {"colour", "{{colour}}"}}}}}}};
    }

    // 50 rows, CRLF and a byte order mark: names with commas and quotes, Arabic and CJK names,
    // titles over two lines. `bad_row` (1-based; 0: none) gets an id that is no job name and a
    // colour that is none.
    fs::path write_rows(int bad_row) {
        static const char* names[] = {"Ana Lima", "Lima, Ana", "ليلى حداد", "山田 健二", "李华", "O\"Brien", "Zoë Ümit"};
        std::string text = "\xEF\xBB\xBF" + csv::record({"id", "name", "title", "colour"});
        for (int i = 1; i <= 50; ++i) {
            char id[8];
            std::snprintf(id, sizeof id, "r%02d", i);
            const bool bad = i == bad_row;
            text += csv::record({bad ? "bad id" : id, names[i % 7], i % 3 ? "Sales, EMEA" : "Engineering\nTokyo office",
                                 bad ? "notacolour" : "white"});
        }
        write_file(dir / "rows.csv", text);
        return dir / "rows.csv";
    }

    CommandResult batch(const std::string& args) {
        return run(shell_quote(AVPOST_BINARY) + " batch " + shell_quote((dir / "promo.json").string()) + " " +
                   shell_quote((dir / "rows.csv").string()) + " --output-root " + shell_quote((dir / "out").string()) + " " + args);
    }

    int generate_requests() { return server->stats().requests["/v1/a2v/video.generate"]; }

    // The physical line of data row `n` (1-based) in write_rows' file: every third row's title
    // spans two lines.
    static int line_of_row(int n) {
        int line = 2;
        for (int i = 1; i < n; ++i) line += i % 3 ? 1 : 2;
        return line;
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path dir;
};

}  // namespace

TEST_F(Batch, ABadRowNamesAllItsProblemsAndNothingRunsThenFiftyJobsRunAndARerunRendersNothing) {
    write_rows(17);
    auto bad = batch("--jobs 2");
    EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
    const std::string at = "rows.csv:" + std::to_string(line_of_row(17)) + ": ";
    EXPECT_NE(bad.err.find(at + "name: must be letters, digits"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find(at + "composite.layers[2].colour: "), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("notacolour"), std::string::npos) << bad.err;
    EXPECT_EQ(generate_requests(), 0) << "a row ran although the batch was bad";
    EXPECT_FALSE(fs::exists(dir / "out")) << "a bad batch wrote something";

    write_rows(0);
    auto good = batch("--jobs 2 --json");
    ASSERT_EQ(good.exit_code, 0) << good.out << good.err;
    EXPECT_EQ(generate_requests(), 50);
    json out = json::parse(good.out);
    EXPECT_EQ(out["batch"], "promo");
    ASSERT_EQ(out["jobs"].size(), 50u);
    const fs::path manifest = dir / "out" / "promo.manifest.csv";
    EXPECT_EQ(out["manifest"], manifest.string());
    std::set<std::string> names;
    for (std::size_t i = 0; i < 50; ++i) {
        const json& job = out["jobs"][i];
        EXPECT_EQ(job["state"], "done") << job.dump();
        EXPECT_EQ(job["line"], line_of_row(int(i) + 1));
        names.insert(job["name"].get<std::string>());
    }
    EXPECT_EQ(names.size(), 50u);
    EXPECT_TRUE(names.count("promo-r01") && names.count("promo-r50"));

    // The manifest: a line per file of each job, each file there with the size and SHA-256 listed.
    auto records = csv::parse(read_file(manifest), "manifest");
    ASSERT_GT(records.size(), 1u);
    EXPECT_EQ(records[0].fields, (std::vector<std::string>{"line", "job", "job_id", "state", "kind", "file", "bytes", "sha256", "error"}));
    std::set<std::string> composites;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& f = records[r].fields;
        ASSERT_EQ(f.size(), 9u);
        EXPECT_EQ(f[3], "done");
        const fs::path file = f[5];
        ASSERT_TRUE(fs::is_regular_file(file)) << file;
        EXPECT_EQ(std::to_string(fs::file_size(file)), f[6]) << file;
        EXPECT_EQ(sha256_file(file).sha256, f[7]) << file;
        if (f[4] == "composite") composites.insert(f[1]);
    }
    EXPECT_EQ(composites, names) << "a job without its composite in the manifest";

    // Again: nothing is rendered or made again.
    const auto written = fs::last_write_time(dir / "out" / "promo-r07" / "promo-r07-composite.mp4");
    auto again = batch("--jobs 2 --json");
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(generate_requests(), 50) << "a re-run rendered again";
    for (const json& job : json::parse(again.out)["jobs"]) EXPECT_EQ(job["state"], "unchanged") << job.dump();
    EXPECT_EQ(fs::last_write_time(dir / "out" / "promo-r07" / "promo-r07-composite.mp4"), written);
}

TEST_F(Batch, AFailedRenderFailsOnlyItsRowAndTheManifestSaysWhich) {
    write_file(dir / "rows.csv", "id,name,title,colour\na,Ana,Sales,white\nb,Ben,Sales,white\nc,Cy,Sales,white\n");
    sandbox::Fault fail;
    fail.path_prefix = "/v1/a2v/video.generate";
    fail.fail_render = true;
    fail.count = 1;
    server->add_fault(fail);
    auto r = batch("--jobs 2 --manifest " + shell_quote((dir / "m" / "all.csv").string()));
    EXPECT_EQ(r.exit_code, 12) << r.out << r.err;  // the failed render's own exit code
    auto records = csv::parse(read_file(dir / "m" / "all.csv"), "manifest");
    std::map<std::string, std::set<std::string>> states;  // job -> states
    std::string error;
    for (std::size_t i = 1; i < records.size(); ++i) {
        states[records[i].fields[1]].insert(records[i].fields[3]);
        if (records[i].fields[3] == "failed") error = records[i].fields[8];
    }
    ASSERT_EQ(states.size(), 3u) << r.out;
    int failed = 0;
    for (const auto& [job, s] : states) failed += s.count("failed");
    EXPECT_EQ(failed, 1) << r.out;
    EXPECT_NE(error.find("render failed"), std::string::npos) << error;
    EXPECT_NE(r.out.find(": failed (exit 12, the error is above)"), std::string::npos) << r.out;
}

TEST_F(Batch, SubmitQueuesEachRowOnceUnchangedRowsAreNotQueuedAgainAndAWorkerRunsThem) {
    write_file(dir / "rows.csv", "id,name,title,colour\r\na,\"Lima, Ana\",Sales,white\r\nb,山田,\"Two\r\nlines\",white\r\n");
    const std::string queue = "--submit --catalog " + shell_quote((dir / "queue.db").string());
    auto first = batch(queue + " --json");
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    json out = json::parse(first.out);
    ASSERT_EQ(out["jobs"].size(), 2u);
    std::set<std::int64_t> ids;
    for (const json& job : out["jobs"]) {
        EXPECT_EQ(job["state"], "queued") << job.dump();
        ids.insert(job["id"].get<std::int64_t>());
    }
    EXPECT_EQ(ids.size(), 2u);
    auto again = batch(queue);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(again.out.find(": queued"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("line 2: promo-a: unchanged (job "), std::string::npos) << again.out;
    EXPECT_EQ(generate_requests(), 0) << "--submit rendered";
    EXPECT_TRUE(fs::exists(dir / "out" / "promo.manifest.csv"));
    // --jobs is for running here.
    EXPECT_EQ(batch(queue + " --jobs 2").exit_code, 2);

    // A worker runs the queued rows as they were checked.
    auto worker = run(shell_quote(AVPOST_BINARY) + " worker --catalog " + shell_quote((dir / "queue.db").string()) +
                      " --drain --poll-seconds 0.1 --output-root " + shell_quote((dir / "worker-out").string()));
    ASSERT_EQ(worker.exit_code, 0) << worker.out << worker.err;
    EXPECT_EQ(generate_requests(), 2);
    EXPECT_TRUE(fs::exists(dir / "worker-out" / "promo-b" / "promo-b-composite.mp4"));
}
