// `avpost run` end to end against the in-process sandbox: a job through every stage into a verified
// archive, a re-run that does nothing again, a changed output made again, a broken job file, and a
// failed render next to a job that succeeds in the same --jobs 2 run.
#include <regex>
#include <set>
#include <sstream>

#include "../archive/sync_test_support.hpp"
#include "avpost/archive/sqlite_catalog.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

class RunJob : public ::testing::Test {
protected:
    void SetUp() override {
        server = start_sandbox_for_cli(quick_sandbox());
        dir = make_temp_dir("run");
    }
    void TearDown() override {
        if (server) server->stop();
        fs::remove_all(dir);
    }

    json a2v_job(const std::string& name) {
        return {{"name", name},
                {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}},
                {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 60}}},
                {"composite",
                 {{"background", (fs::path(AVPOST_TEST_MEDIA_DIR) / "background.png").string()},
                  {"size", "-1x80"},
                  {"anchor", "bottom"}}},
                {"deliver", {{"presets", {"web", "poster"}}}}};
    }

    fs::path write_job(const std::string& file, const json& job) {
        fs::path p = dir / file;
        std::ofstream(p) << job.dump(2);
        return p;
    }

    // `avpost run --json` with the job outputs under dir/out.
    CommandResult run_jobs(const std::string& args) {
        return run(shell_quote(AVPOST_BINARY) + " run --json --output-root " + shell_quote((dir / "out").string()) + " " +
                   args);
    }

    int generate_requests() { return server->stats().requests["/v1/a2v/video.generate"]; }

    static std::map<std::string, std::string> stage_statuses(const json& job) {
        std::map<std::string, std::string> m;
        for (const json& s : job["stages"]) m[s["name"]] = s["status"];
        return m;
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path dir;
};

struct FileState {
    std::string sha256;
    fs::file_time_type mtime;
};

std::map<std::string, FileState> file_states(const json& job) {
    std::map<std::string, FileState> m;
    for (const json& o : job["outputs"]) {
        fs::path p = o["path"].get<std::string>();
        m[p.string()] = {sha256_file(p).sha256, fs::last_write_time(p)};
    }
    return m;
}

}  // namespace

TEST_F(RunJob, AJobRunsEveryStageIntoAVerifiedArchiveAndARerunSkipsThemAll) {
    fs::path file = write_job("promo.json", a2v_job("promo"));
    auto r = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    json out = json::parse(r.out);
    ASSERT_EQ(out["jobs"].size(), 1u);
    json job = out["jobs"][0];
    EXPECT_TRUE(job["ok"].get<bool>()) << job.dump();
    EXPECT_EQ(job["name"], "promo");
    EXPECT_EQ(job["vendor"], "a2v");
    EXPECT_EQ(stage_statuses(job), (std::map<std::string, std::string>{
                                       {"render", "ran"}, {"wait", "ran"}, {"fetch", "ran"}, {"compose", "ran"}, {"archive", "ran"}}));
    EXPECT_EQ(generate_requests(), 1);

    // What was made: the fetched avatar and matte and the deliveries compose reported. The web
    // delivery is the composite, so no second H.264 file is written beside it.
    std::multiset<std::string> kinds;
    const fs::path output_dir = dir / "out" / "promo";
    for (const json& o : job["outputs"]) {
        kinds.insert(o["kind"].get<std::string>());
        fs::path p = o["path"].get<std::string>();
        EXPECT_TRUE(fs::is_regular_file(p)) << p;
        EXPECT_EQ(sha256_file(p).sha256, o["sha256"]) << p;
    }
    EXPECT_EQ(kinds.count("avatar"), 1u);
    EXPECT_EQ(kinds.count("mask"), 1u);
    EXPECT_EQ(kinds.count("composite"), 0u);
    EXPECT_FALSE(fs::exists(output_dir / "promo-composite.mp4"));
    // The deliveries compose reported (ComposeReport.deliveries), in the job's output directory.
    std::map<std::string, fs::path> delivered;
    for (const json& o : job["outputs"])
        if (o["kind"] == "delivery") delivered[o["preset"].get<std::string>()] = o["path"].get<std::string>();
    EXPECT_EQ(kinds.count("delivery"), 2u);
    EXPECT_EQ(delivered["web"], output_dir / "promo.mp4");
    EXPECT_EQ(delivered["poster"], output_dir / "promo-poster.jpg");
    EXPECT_EQ(count_hidden_files(output_dir), 0) << "temporary files left behind";

    // The archive holds every file, verified, and `archive verify` agrees.
    const fs::path root = output_dir / "archive";
    {
        archive::SqliteCatalog catalog(archive::Catalog::file_in(root));
        auto rows = catalog.list();
        std::multiset<std::string> archived;
        for (const auto& row : rows) {
            archived.insert(row.asset.kind);
            EXPECT_EQ(row.asset.state, archive::AssetState::verified) << row.asset.name << " " << row.asset.error;
            EXPECT_EQ(row.job.vendor, "a2v");
            EXPECT_EQ(row.job.vendor_job_id, job["vendor_job_id"]);
        }
        EXPECT_EQ(archived, kinds);
    }
    auto verify = run(shell_quote(AVPOST_BINARY) + " archive --archive " + shell_quote(root.string()) + " verify --all");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

    // Again: every stage is skipped, no second render, no file touched.
    auto before = file_states(job);
    auto again = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    json job2 = json::parse(again.out)["jobs"][0];
    EXPECT_EQ(stage_statuses(job2), (std::map<std::string, std::string>{{"render", "skipped"},
                                                                        {"wait", "skipped"},
                                                                        {"fetch", "skipped"},
                                                                        {"compose", "skipped"},
                                                                        {"archive", "skipped"}}));
    EXPECT_EQ(generate_requests(), 1) << "a second render was created";
    auto after = file_states(job2);
    ASSERT_EQ(after.size(), before.size());
    for (const auto& [path, state] : before) {
        ASSERT_TRUE(after.count(path)) << path;
        EXPECT_EQ(after[path].sha256, state.sha256) << path;
        EXPECT_EQ(after[path].mtime, state.mtime) << path << " was written again";
    }

    // The human summary says so too.
    auto text = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                    shell_quote(file.string()));
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("promo (" + file.string() + "): done in"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("skipped (done before)"), std::string::npos) << text.out;
    // "  web:          PATH (SIZE)": labels are padded to line up.
    const std::regex web_line("\\n  web: +([^\\n]*) \\(");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(text.out, match, web_line)) << text.out;
    EXPECT_EQ(match[1].str(), (output_dir / "promo.mp4").string());
    EXPECT_EQ(text.out.find("composite:"), std::string::npos) << text.out;
}

// On a terminal (a pty from script(1), CI unset) the wait stage shows the vendor job, its state,
// the time waited and the next poll, prefixed with the job's name; progress lines end cleanly.
TEST_F(RunJob, TheWaitStageShowsTheVendorJobItsStateAndTheNextPollOnATerminal) {
    fs::path file = write_job("shown.json", a2v_job("shown"));
    auto r = run("env -u CI script -qec " +
                 shell_quote(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                             shell_quote(file.string())) +
                 " /dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(std::regex_search(
        r.out, std::regex("\rshown: a2v job v[0-9a-f]+: (queued|running) \\((pending|in_progressing)\\), 0:0[0-9] waited\033\\[K")))
        << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\rshown: a2v job v[0-9a-f]+: finished \\(finished\\), 0:[0-9]{2} waited\033\\[K\r?\n")))
        << r.out;
    auto piped = run_jobs(shell_quote(file.string()) + " --force");
    EXPECT_EQ(piped.exit_code, 0);
    EXPECT_EQ(piped.err.find("waited"), std::string::npos) << "off a terminal the wait is silent: " << piped.err;
}

TEST_F(RunJob, AMissingOutputIsMadeAgainAndOnlyItsStageRuns) {
    fs::path file = write_job("promo.json", a2v_job("promo"));
    auto first = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
    const fs::path composite = dir / "out" / "promo" / "promo.mp4";  // the web delivery
    ASSERT_TRUE(fs::exists(composite));
    fs::remove(composite);

    auto again = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    auto statuses = stage_statuses(json::parse(again.out)["jobs"][0]);
    EXPECT_EQ(statuses["render"], "skipped");
    EXPECT_EQ(statuses["wait"], "skipped");
    EXPECT_EQ(statuses["fetch"], "skipped");
    EXPECT_EQ(statuses["compose"], "ran");
    EXPECT_TRUE(fs::exists(composite));
    EXPECT_EQ(generate_requests(), 1);
}

// Beside a web delivery the composite is written only when the job asks ("output": true); it is
// then reported, archived and, on a re-run, skipped like every other file.
TEST_F(RunJob, TheCompositeBesideAWebDeliveryIsKeptOnlyWhenAsked) {
    json job = a2v_job("master");
    job["composite"]["output"] = true;
    fs::path file = write_job("master.json", job);
    auto r = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const fs::path output_dir = dir / "out" / "master";
    json report = json::parse(r.out)["jobs"][0];
    std::map<std::string, fs::path> made;
    for (const json& o : report["outputs"])
        made[o["kind"] == "delivery" ? o["preset"].get<std::string>() : o["kind"].get<std::string>()] = o["path"].get<std::string>();
    EXPECT_EQ(made["composite"], output_dir / "master-composite.mp4");
    EXPECT_EQ(made["web"], output_dir / "master.mp4");
    EXPECT_TRUE(fs::is_regular_file(output_dir / "master-composite.mp4"));
    std::multiset<std::string> archived;
    for (const auto& row : archive::SqliteCatalog(archive::Catalog::file_in(output_dir / "archive")).list())
        archived.insert(row.asset.name);
    EXPECT_EQ(archived.count("master-composite.mp4"), 1u) << r.out;

    auto again = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    auto statuses = stage_statuses(json::parse(again.out)["jobs"][0]);
    EXPECT_EQ(statuses["compose"], "skipped");
    EXPECT_EQ(statuses["archive"], "skipped");

    // Dropping "output" drops the file from what a run makes; the re-run composes once more.
    job["composite"].erase("output");
    write_job("master.json", job);
    fs::remove(output_dir / "master-composite.mp4");
    auto without = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(without.exit_code, 0) << without.err << without.out;
    EXPECT_EQ(stage_statuses(json::parse(without.out)["jobs"][0])["compose"], "ran");
    EXPECT_FALSE(fs::exists(output_dir / "master-composite.mp4"));
}

TEST_F(RunJob, ABrokenJobFileFailsWithExitTwoAndOneLineNamingTheField) {
    json job = a2v_job("broken");
    job["source"]["a2v"].erase("pose_id");
    fs::path file = write_job("job.json", job);
    auto r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                 shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err, "avpost: error: " + file.string() + ": source.a2v.pose_id: required string is missing\n");
    // Once: the summary on stdout points at it instead of repeating it.
    EXPECT_EQ(r.out.find("required string is missing"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FAILED (exit 2, the error is above)"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir / "out" / "broken")) << "a broken job wrote something";
    EXPECT_EQ(generate_requests(), 0);
}

TEST_F(RunJob, AFailedRenderFailsOnlyItsJobInAParallelRun) {
    sandbox::Fault fail;
    fail.path_prefix = "/v1/a2v/video.generate";
    fail.fail_render = true;
    fail.count = 1;
    server->add_fault(fail);
    fs::path one = write_job("one.json", a2v_job("one"));
    fs::path two = write_job("two.json", a2v_job("two"));
    auto r = run_jobs("--jobs 2 " + shell_quote(one.string()) + " " + shell_quote(two.string()));
    EXPECT_EQ(r.exit_code, 12) << r.out << r.err;  // the failed render's own exit code
    json out = json::parse(r.out);
    ASSERT_EQ(out["jobs"].size(), 2u);
    int ok = 0;
    for (const json& job : out["jobs"]) {
        auto statuses = stage_statuses(job);
        if (job["ok"].get<bool>()) {
            ++ok;
            EXPECT_EQ(statuses["archive"], "ran") << job.dump();
            EXPECT_TRUE(fs::exists(dir / "out" / job["name"].get<std::string>() /
                                   (job["name"].get<std::string>() + ".mp4")));
        } else {
            EXPECT_EQ(job["exit_code"], 12);
            EXPECT_NE(job["error"].get<std::string>().find("render failed"), std::string::npos) << job.dump();
            EXPECT_EQ(statuses["render"], "ran");
            EXPECT_EQ(statuses["wait"], "failed");
            EXPECT_EQ(statuses["fetch"], "not-run");
            EXPECT_EQ(statuses["archive"], "not-run");
        }
    }
    EXPECT_EQ(ok, 1) << r.out;

    // The failed render is not reused: running the failed job again starts a new render and succeeds.
    std::string failed_file;
    for (const json& job : out["jobs"])
        if (!job["ok"].get<bool>()) failed_file = job["job_file"];
    ASSERT_FALSE(failed_file.empty());
    auto again = run_jobs(shell_quote(failed_file));
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(generate_requests(), 3);
}

TEST_F(RunJob, AChangedBackgroundOrLayerImageRerunsCompose) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    fs::copy_file(media / "background.png", dir / "bg.png");
    run("ffmpeg -v error -y -f lavfi -i color=c=red:s=16x16 -frames:v 1 " + shell_quote((dir / "logo.png").string()));
    json job = {{"name", "inputs"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "bg.png"}}},
                {"deliver", {{"presets", {"poster"}}}}};
    fs::path file = write_job("inputs.json", job);  // relative paths: resolved against the job file
    ASSERT_EQ(run_jobs(shell_quote(file.string())).exit_code, 0);
    auto compose_status = [&] {
        auto r = run_jobs(shell_quote(file.string()));
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return stage_statuses(json::parse(r.out)["jobs"][0])["compose"];
    };
    EXPECT_EQ(compose_status(), "skipped");
    run("ffmpeg -v error -y -f lavfi -i color=c=blue:s=640x360 -frames:v 1 " + shell_quote((dir / "bg.png").string()));
    EXPECT_EQ(compose_status(), "ran") << "a new background must be composited again";

    job["composite"] = {{"canvas", "640x360"},
                        {"layers", {{{"type", "colour"}, {"source", "#102030"}},
                                    {{"type", "avatar"}},
                                    {{"type", "image"}, {"source", "logo.png"}, {"offset", {8, 8}}}}}};
    write_job("inputs.json", job);
    EXPECT_EQ(compose_status(), "ran");
    EXPECT_EQ(compose_status(), "skipped");
    run("ffmpeg -v error -y -f lavfi -i color=c=green:s=16x16 -frames:v 1 " + shell_quote((dir / "logo.png").string()));
    EXPECT_EQ(compose_status(), "ran") << "a new layer image must be composited again";
}

TEST_F(RunJob, ALocalSourceIsCompositedDeliveredAndArchivedWithoutAVendor) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    json job = {{"name", "local"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}, {"output", nullptr}}},
                {"deliver", {{"presets", {"web"}}}},
                {"output", "rendered"},
                {"archive", {{"root", "kept"}}}};
    fs::path file = write_job("local.json", job);
    auto r = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    json report = json::parse(r.out)["jobs"][0];
    EXPECT_EQ(stage_statuses(report), (std::map<std::string, std::string>{
                                          {"render", "none"}, {"wait", "none"}, {"fetch", "none"}, {"compose", "ran"}, {"archive", "ran"}}));
    // Paths in the job file are relative to it; with "output": null there is no composite file.
    EXPECT_TRUE(fs::is_regular_file(dir / "rendered" / "local.mp4"));
    EXPECT_FALSE(fs::exists(dir / "rendered" / "local-composite.mp4"));
    archive::SqliteCatalog catalog(archive::Catalog::file_in(dir / "kept"));
    std::multiset<std::string> archived;
    for (const auto& row : catalog.list()) {
        archived.insert(row.asset.kind);
        EXPECT_EQ(row.job.vendor, "local");
        EXPECT_EQ(row.asset.state, archive::AssetState::verified) << row.asset.name;
    }
    EXPECT_EQ(archived, (std::multiset<std::string>{"avatar", "mask", "delivery"}));
    EXPECT_EQ(generate_requests(), 0);
}

// A local avatar cut short (an interrupted copy) fails its job as unusable input (3), naming both
// durations; "allow_short": true in the composite accepts it with a warning.
TEST_F(RunJob, ACutShortLocalAvatarFailsUnlessTheCompositeAllowsIt) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    const fs::path cut = dir / "cut.mp4";
    {
        std::ifstream in(media / "avatar.mp4", std::ios::binary);
        std::string head(16572, '\0');
        in.read(head.data(), std::streamsize(head.size()));
        std::ofstream(cut, std::ios::binary) << head;
    }
    json job = {{"name", "short"},
                {"source", {{"local", {{"video", cut.string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}}}};
    fs::path file = write_job("short.json", job);
    auto r = run_jobs(shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    json report = json::parse(r.out)["jobs"][0];
    EXPECT_EQ(report["exit_code"], 3);
    EXPECT_NE(report["error"].get<std::string>().find("avatar '" + cut.string() +
                                                      "' is cut short: it decodes to 0.16 s of the 2.00 s its header declares"),
              std::string::npos)
        << report.dump();
    EXPECT_FALSE(fs::exists(dir / "out" / "short" / "short-composite.mp4"));

    job["composite"]["allow_short"] = true;
    write_job("short.json", job);
    r = run_jobs(shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir / "out" / "short" / "short-composite.mp4"));

    job["composite"]["allow_short"] = "yes";
    write_job("short.json", job);
    r = run_jobs(shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(file.string() + ": composite.allow_short: must be true or false, not a string"), std::string::npos)
        << r.err;
}

// A re-run is a no-op however the job file's path is spelled: another working directory, "..",
// an absolute path. And one forced to compose again makes the same bytes (WebM included), so the
// archive keeps one copy of each file, not a second NAME-<hash>.webm.
TEST_F(RunJob, ARerunFromAnotherDirectoryAndSpellingSkipsEveryStageAndAForcedOneArchivesNothingNew) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    fs::create_directories(dir / "jobs");
    fs::create_directories(dir / "brand");
    fs::copy_file(media / "background.png", dir / "brand" / "bg.png");
    json job = {{"name", "same"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "../brand/bg.png"}, {"size", "-1x120"}, {"anchor", "bottom-right"}}},
                {"deliver", {{"presets", {"webm-alpha", "poster"}}}},
                {"output", "../made"}};
    write_job("jobs/same.json", job);
    const std::string avpost = shell_quote(AVPOST_BINARY);
    auto first = run("cd " + shell_quote((dir / "jobs").string()) + " && " + avpost + " run --json same.json");
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    EXPECT_EQ(stage_statuses(json::parse(first.out)["jobs"][0])["compose"], "ran");

    auto again = run("cd " + shell_quote((dir / "brand").string()) + " && " + avpost + " run --json ../jobs/./same.json");
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    auto statuses = stage_statuses(json::parse(again.out)["jobs"][0]);
    EXPECT_EQ(statuses["compose"], "skipped") << again.out;
    EXPECT_EQ(statuses["archive"], "skipped") << again.out;
    auto absolute = run(avpost + " run --json " + shell_quote((dir / "brand" / ".." / "jobs" / "same.json").string()));
    ASSERT_EQ(absolute.exit_code, 0) << absolute.out << absolute.err;
    EXPECT_EQ(stage_statuses(json::parse(absolute.out)["jobs"][0])["compose"], "skipped") << absolute.out;

    auto archived_names = [&] {
        archive::SqliteCatalog catalog(archive::Catalog::file_in(dir / "made" / "archive"));
        std::multiset<std::string> names;
        for (const auto& row : catalog.list()) names.insert(row.asset.name);
        return names;
    };
    const auto before = archived_names();
    auto forced = run("cd " + shell_quote(dir.string()) + " && " + avpost + " run --json --force jobs/same.json");
    ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
    EXPECT_EQ(stage_statuses(json::parse(forced.out)["jobs"][0])["compose"], "ran");
    EXPECT_EQ(archived_names(), before) << "composing again must make the same bytes, not new archive copies";
    EXPECT_TRUE(before.count("same.webm"));
}

// "fit_to": "visible" places the matte's bounding box: anchored bottom-right at its own size,
// the visible part's bottom-right corner is the canvas's (the frame's margin runs off-canvas).
TEST_F(RunJob, FitToVisibleAnchorsThePersonNotTheFrame) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    json job = {{"name", "person"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}, {"canvas", "640x360"}, {"fit", "none"}, {"anchor", "bottom-right"},
                               {"fit_to", "visible"}}},
                {"deliver", {{"presets", {"poster"}}}}};
    auto r = run_jobs(shell_quote(write_job("person.json", job).string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(stage_statuses(json::parse(r.out)["jobs"][0])["compose"], "ran");
    // The same composite by hand, reporting its placement: the frame moved right and down.
    auto c = run(shell_quote(AVPOST_BINARY) + " --json compose --video " + shell_quote((media / "avatar.mp4").string()) +
                 " --mask " + shell_quote((media / "avatar_mask.mp4").string()) +
                 " --background '#204060' --fit none --anchor bottom-right --fit-to visible -o null");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    json report = json::parse(c.out);
    const json box = report["visible_box"];
    ASSERT_TRUE(box.is_array()) << c.out;
    EXPECT_EQ(report["avatar_position"][0].get<int>() + box[0].get<int>() + box[2].get<int>(), 640) << c.out;
    EXPECT_EQ(report["avatar_position"][1].get<int>() + box[1].get<int>() + box[3].get<int>(), 360) << c.out;
    EXPECT_GT(report["avatar_position"][0].get<int>(), 0) << "the ellipse has a transparent margin on its right";
}

// `archive ls` keeps its columns aligned for a job id longer than the old fixed width, and shows
// a link expiry only for files fetched from a vendor link, not for what avpost made itself.
TEST_F(RunJob, ArchiveLsAlignsLongNamesAndGivesMadeFilesNoLinkExpiry) {
    json job = a2v_job("a-job-name-well-over-twenty-four-characters");
    job["deliver"]["presets"] = {"poster"};
    auto r = run_jobs(shell_quote(write_job("long.json", job).string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const fs::path root = dir / "out" / "a-job-name-well-over-twenty-four-characters" / "archive";
    auto ls = run(shell_quote(AVPOST_BINARY) + " archive --archive " + shell_quote(root.string()) + " ls");
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    std::istringstream lines(ls.out);
    std::string header;
    std::getline(lines, header);
    const auto state_at = header.find("STATE"), link_at = header.find("LINK"), where_at = header.find("WHERE");
    ASSERT_NE(state_at, std::string::npos) << header;
    int rows = 0;
    for (std::string line; std::getline(lines, line); ++rows) {
        EXPECT_EQ(line.find("verified"), state_at) << "misaligned:\n" << header << "\n" << line;
        EXPECT_EQ(line.find("file://"), where_at) << line;
        const std::string link = line.substr(link_at, line.find(' ', link_at) - link_at);
        const bool fetched = line.find(" avatar ") != std::string::npos || line.find(" mask ") != std::string::npos;
        if (fetched) EXPECT_EQ(link, "in") << "a fetched file shows its link's expiry: " << line;
        else EXPECT_EQ(link, "-") << "a file avpost made has no vendor link: " << line;
    }
    EXPECT_EQ(rows, 4) << ls.out;  // avatar, mask, composite, poster
}

TEST_F(RunJob, EveryPresetIsArchivedIncludingPreviewPosterAndHlsFiles) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    json job = {{"name", "all"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", (media / "background.png").string()}}},
                {"deliver", {{"presets", {"web", "hevc", "webm-alpha", "prores-alpha", "preview", "poster", "hls"}}}}};
    fs::path file = write_job("all.json", job);
    auto r = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    archive::SqliteCatalog catalog(archive::Catalog::file_in(dir / "out" / "all" / "archive"));
    std::set<std::string> names;
    for (const auto& row : catalog.list()) {
        names.insert(row.asset.name);
        EXPECT_EQ(row.asset.state, archive::AssetState::verified) << row.asset.name;
    }
    for (const char* name : {"all.mp4", "all-hevc.mp4", "all.webm", "all.mov", "all-preview.webp", "all-poster.jpg",
                             "all-hls--master.m3u8", "all-hls--360p.m3u8", "all-hls--360p_init.mp4",
                             "all-hls--360p_000.m4s"})
        EXPECT_TRUE(names.count(name)) << name << " is not in the catalog";
    // `archive verify` reads every stored file back.
    auto verify = run(shell_quote(AVPOST_BINARY) + " archive --archive " +
                      shell_quote((dir / "out" / "all" / "archive").string()) + " verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(RunJob, TwoJobsWithOneOutputDirectoryInOneRunAreRefused) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    json job = {{"name", "twin"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}}},
                {"deliver", {{"presets", {"poster"}}}}};
    fs::path first = write_job("first.json", job);
    fs::path second = write_job("second.json", job);
    auto r = run_jobs(shell_quote(first.string()) + " " + shell_quote(second.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    json jobs = json::parse(r.out)["jobs"];
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_TRUE(jobs[0]["ok"].get<bool>()) << jobs[0].dump();
    EXPECT_FALSE(jobs[1]["ok"].get<bool>());
    EXPECT_NE(jobs[1]["error"].get<std::string>().find("first.json"), std::string::npos) << jobs[1]["error"];
}

TEST_F(RunJob, ASceneOfLayersIsCompositedAndABadLayerNamesItsPath) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    fs::copy_file(media / "background.png", dir / "bg.png");
    json job = {{"name", "scene"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite",
                 {{"canvas", "320x180"},
                  {"layers", {{{"type", "image"}, {"source", "bg.png"}, {"size", {320, 180}}},
                              {{"type", "avatar"}, {"offset", {10, 20}}, {"size", {160, 120}}},
                              {{"type", "colour"}, {"source", "#ffa000"}, {"offset", {0, 170}}, {"size", {320, 10}}}}}}}};
    fs::path file = write_job("scene.json", job);
    auto r = run_jobs(shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    fs::path composite = dir / "out" / "scene" / "scene-composite.mp4";
    ASSERT_TRUE(fs::is_regular_file(composite));
    auto probe = run(std::string(FFPROBE_EXECUTABLE) + " -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 " +
                     shell_quote(composite.string()));
    EXPECT_EQ(probe.out, "320,180\n");

    job["composite"]["layers"][1]["offset"] = "10,20";
    fs::path bad = write_job("bad-scene.json", job);
    auto b = run_jobs(shell_quote(bad.string()));
    EXPECT_EQ(b.exit_code, 2) << b.out << b.err;
    json report = json::parse(b.out)["jobs"][0];
    EXPECT_TRUE(report["error"].get<std::string>().starts_with(bad.string() + ": composite.layers[1].offset")) << report.dump();
}

// Issue 16 item 2: a job file's values are all checked, and every problem reported, before the
// first vendor call; a bad anchor or a missing background costs no render.
TEST_F(RunJob, EveryBadValueIsReportedAtOnceBeforeAnyVendorCall) {
    json job = a2v_job("costly");
    job["composite"]["anchor"] = "middle";
    job["composite"]["size"] = "big";
    job["composite"]["despill"] = "greenish";
    job["composite"]["background"] = "missing.png";
    job["composite"]["preset"] = "web";
    job["composite"]["fit_to"] = "person";
    job["deliver"]["presets"] = {"web", "wbe"};
    fs::path file = write_job("job.json", job);
    auto r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                 shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    const std::string f = file.string();
    for (const std::string& line :
         {"avpost: error: " + f + ": composite.anchor: unknown anchor 'middle'",
          "avpost: error: " + f + ": composite.size: bad size 'big'",
          "avpost: error: " + f + ": composite.despill: 'greenish' is not a colour",
          "avpost: error: " + f + ": composite.background: no such file '" + (dir / "missing.png").string() + "'",
          "avpost: error: " + f + ": composite.preset: 'web' is a delivery preset: list it in deliver.presets",
          "avpost: error: " + f + ": composite.fit_to: unknown fit-to 'person' (frame or visible)",
          "avpost: error: " + f + ": deliver.presets[1]: unknown preset 'wbe' (did you mean web?)"})
        EXPECT_NE(r.err.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << r.err;
    EXPECT_EQ(generate_requests(), 0) << "a render was paid for before the job file was checked";
    EXPECT_FALSE(fs::exists(dir / "out" / "costly"));
}

// Issue 10 item 6: numbers no field can take, canvases no machine can allocate, an archive root
// that is a device: exit 2 naming the field, never exit 1 with a library's text.
TEST_F(RunJob, OverflowingNumbersHugeCanvasesAndDeviceArchivesNameTheirField) {
    struct Case {
        std::string text;      // the job file
        std::string expected;  // after "FILE: "
    };
    const std::string source = R"("source": {"a2v": {"pose_id": "p", "audio_url": "http://127.0.0.1:9/a.wav"}})";
    const std::vector<Case> cases = {
        {R"({"name": "n", )" + source + R"(, "wait": {"timeout_seconds": 1e400}})",
         "wait.timeout_seconds: number overflow parsing '1e400'"},
        {R"({"name": "n", )" + source + R"(, "composite": {"background": "#000000", "canvas": "99999999x99999999"}})",
         "composite.canvas: size 99999999x99999999 is too large (at most 16384x16384)"},
        {R"({"name": "n", )" + source + R"(, "archive": {"root": "/dev/null"}})",
         "archive.root: '/dev/null' is not a directory"},
        {R"({"name": "n", "source": {"a2v": {"pose_id": "p", "audio_url": "voice.wav"}}})",
         "source.a2v.audio_url: must be a public http(s) URL"},
    };
    for (const Case& c : cases) {
        fs::path file = dir / "job.json";
        std::ofstream(file) << c.text;
        auto r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
                     shell_quote(file.string()));
        EXPECT_EQ(r.exit_code, 2) << c.text << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("avpost: error: " + file.string() + ": " + c.expected, 0), 0u) << r.err;
    }
    EXPECT_EQ(generate_requests(), 0);
}

// Issue 16 item 1: no job output (fetched files, composite, deliveries) may replace an input.
TEST_F(RunJob, AJobWhoseOutputWouldReplaceAnInputIsRefusedBeforeItRuns) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    fs::create_directories(dir / "work");
    fs::copy_file(media / "avatar.mp4", dir / "work" / "clip.mp4");
    const std::string original = sha256_file(dir / "work" / "clip.mp4").sha256;
    json job = {{"name", "clip"},
                {"source", {{"local", {{"video", "work/clip.mp4"}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}}},
                {"deliver", {{"presets", {"web"}}}},
                {"output", "work"}};
    fs::path file = write_job("clip.json", job);
    auto r = run(shell_quote(AVPOST_BINARY) + " run " + shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("web output '" + (dir / "work" / "clip.mp4").string() + "' is the input avatar"), std::string::npos)
        << r.err;
    EXPECT_EQ(sha256_file(dir / "work" / "clip.mp4").sha256, original);
}

// Issue 16 item 5: `run` takes the archive as `render` does: --archive, else $AVPOST_ARCHIVE.
TEST_F(RunJob, RunHonoursAvpostArchiveAndArchiveOption) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    json job = {{"name", "shared"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "white"}}},
                {"deliver", {{"presets", {"poster"}}}}};
    fs::path file = write_job("shared.json", job);
    auto r = run("AVPOST_ARCHIVE=" + shell_quote((dir / "from-env").string()) + " " + shell_quote(AVPOST_BINARY) +
                 " run --json --output-root " + shell_quote((dir / "out").string()) + " " + shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir / "from-env" / "catalog.db"));
    EXPECT_FALSE(fs::exists(dir / "out" / "shared" / "archive"));
    EXPECT_EQ(json::parse(r.out)["jobs"][0]["archive_root"], (dir / "from-env").string());

    r = run("AVPOST_ARCHIVE=" + shell_quote((dir / "from-env").string()) + " " + shell_quote(AVPOST_BINARY) +
            " run --json --force --archive " + shell_quote((dir / "from-option").string()) + " --output-root " +
            shell_quote((dir / "out").string()) + " " + shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir / "from-option" / "catalog.db"));
}

// deliver.loudness and deliver.captions in a job: the web file is on target with its soft track;
// a bad caption file fails the check with its line, before any vendor call.
TEST_F(RunJob, DeliverBringsLoudnessToTargetAndCarriesCaptions) {
    const fs::path media = AVPOST_TEST_MEDIA_DIR;
    std::ofstream(dir / "talk.srt") << "1\n00:00:00,200 --> 00:00:01,500\nHello from the job\n";
    json job = {{"name", "finished"},
                {"source", {{"local", {{"video", (media / "avatar.mp4").string()}, {"mask", (media / "avatar_mask.mp4").string()}}}}},
                {"composite", {{"background", "#204060"}, {"output", nullptr}}},
                {"deliver", {{"presets", {"web"}}, {"loudness", "podcast"}, {"captions", "talk.srt"}}},
                {"output", "rendered"},
                {"archive", {{"root", "kept"}}}};
    auto r = run_jobs(shell_quote(write_job("finished.json", job).string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const fs::path web = dir / "rendered" / "finished.mp4";
    auto meter = run(shell_quote(FFMPEG_EXECUTABLE) + " -nostats -i " + shell_quote(web.string()) +
                     " -map 0:a -af ebur128=peak=true -f null -");
    const std::size_t summary = meter.err.rfind("I:");
    ASSERT_NE(summary, std::string::npos) << meter.err;
    EXPECT_NEAR(std::stod(meter.err.substr(summary + 2)), -16.0, 0.5);
    auto cues = run(shell_quote(FFMPEG_EXECUTABLE) + " -v error -i " + shell_quote(web.string()) + " -map 0:s -f srt -");
    EXPECT_NE(cues.out.find("Hello from the job"), std::string::npos) << cues.out << cues.err;

    std::ofstream(dir / "bad.srt") << "1\n00:00:02,000 --> 00:00:01,000\nbackwards\n";
    job = a2v_job("captioned");
    job["deliver"]["captions"] = "bad.srt";
    fs::path file = write_job("captioned.json", job);
    r = run(shell_quote(AVPOST_BINARY) + " run --output-root " + shell_quote((dir / "out").string()) + " " +
            shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(file.string() + ": deliver.captions: captions '" + (dir / "bad.srt").string() +
                         "' line 2: the cue ends (00:00:01.000) before it starts (00:00:02.000)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(generate_requests(), 0);
}
