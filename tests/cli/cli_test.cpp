// The avpost program as a new user meets it (issue 16): inputs are never written over, values are
// checked before anything runs, one vocabulary for presets, mistakes answered with help, and a
// mask of another render is not stretched in silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "avpost/core/colour_names.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/core/suggest.hpp"
#include "media_helpers.hpp"

using namespace avpost::testing;
namespace fs = std::filesystem;

namespace {

int lines(const std::string& text) { return int(std::count(text.begin(), text.end(), '\n')); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string sha(const std::string& path) { return avpost::sha256_file(path).sha256; }

// A render fetched as `avpost fetch` leaves it: DIR/ID.mp4 and DIR/ID-mask.mp4.
struct FetchedRender {
    TempDir dir;
    std::string video = dir.file("v-123.mp4");
    std::string mask = dir.file("v-123-mask.mp4");
    FetchedRender() {
        fs::copy_file(media("avatar.mp4"), video);
        fs::copy_file(media("avatar_mask.mp4"), mask);
    }
};

std::string compose_args(const std::string& video, const std::string& mask, const std::string& background,
                         const std::string& out) {
    return "compose --video " + quote(video) + " --mask " + quote(mask) + " --background " + quote(background) + " -o " +
           quote(out);
}

}  // namespace

// Item 1: `transcode ID.mp4 -o DIR --preset web` wrote DIR/ID.mp4 over the vendor original.
TEST(CliInputs, TranscodeNamesItsWebOutputApartFromTheFetchedOriginal) {
    FetchedRender render;
    const std::string original = sha(render.video);
    CommandResult r = run_avpost("transcode " + quote(render.video) + " --mask " + quote(render.mask) + " -o " +
                                 quote(render.dir.path().string()) + " --preset web");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sha(render.video), original) << "the fetched original was written over";
    EXPECT_TRUE(fs::is_regular_file(render.dir.file("v-123-web.mp4"))) << r.out;
    EXPECT_TRUE(contains(r.out, "web: " + render.dir.file("v-123-web.mp4"))) << r.out;
}

TEST(CliInputs, ComposeRefusesAnOutputThatIsAnInputHoweverItIsSpelled) {
    FetchedRender render;
    const std::string original = sha(render.video);
    fs::create_symlink(render.video, render.dir.file("link.mp4"));
    const std::string other_spelling = (render.dir.path() / "." / "v-123.mp4").string();
    for (const std::string& out : {render.video, other_spelling, render.dir.file("link.mp4")}) {
        CommandResult r = run_avpost(compose_args(render.video, render.mask, "#000000", out));
        EXPECT_EQ(r.exit_code, 2) << out << ": " << r.err;
        EXPECT_EQ(lines(r.err), 1) << r.err;
        EXPECT_TRUE(contains(r.err, "is the input avatar")) << r.err;
        EXPECT_TRUE(contains(r.err, "refusing to write over an input")) << r.err;
    }
    // The mask and a hard link of it are inputs too, for transcode as for compose.
    fs::create_hard_link(render.mask, render.dir.file("x-hevc.mp4"));
    CommandResult r = run_avpost("transcode " + quote(render.video) + " --mask " + quote(render.mask) + " -o " +
                                 quote(render.dir.path().string()) + " --name x --deliver hevc");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "hevc output")) << r.err;
    EXPECT_TRUE(contains(r.err, "is the input mask")) << r.err;
    EXPECT_EQ(sha(render.video), original);
    EXPECT_EQ(sha(render.mask), sha(media("avatar_mask.mp4")));
}

// Item 2 (and issue 10 item 6): sizes past any real canvas are usage errors, not allocation failures.
TEST(CliValues, AHugeCanvasOrSizeIsABadValueNamedAsSuch) {
    TempDir dir;
    for (const std::string option : {"--canvas 99999999x99999999", "--size 20000x100"}) {
        CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000",
                                                  dir.file("o.mp4")) + " " + option);
        EXPECT_EQ(r.exit_code, 2) << option << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "is too large (at most 16384x16384)")) << r.err;
        EXPECT_EQ(lines(r.err), 1) << r.err;
    }
}

TEST(CliValues, AnArchiveRootThatIsNotADirectoryIsABadValue) {
    CommandResult r = run_avpost("archive ls --archive /dev/null");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "--archive '/dev/null' is not a directory")) << r.err;
    r = run_command("AVPOST_ARCHIVE=/dev/null " + quote(AVPOST_BINARY) + " archive ls");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "AVPOST_ARCHIVE '/dev/null' is not a directory")) << r.err;
}

// Item 5: --preset meant two things; --deliver and --encoder-preset say which.
TEST(CliVocabulary, DeliverAndEncoderPresetSayWhichPresetIsMeant) {
    TempDir dir;
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", dir.file("o.mp4")) +
                                 " --preset web");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "'web' is a delivery preset: use --deliver web")) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;

    r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", dir.file("o.mp4")) +
                   " --encoder-preset fastt");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "unknown libx264 preset 'fastt' (did you mean fast?)")) << r.err;

    r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", dir.file("o.mp4")) +
                   " --encoder-preset ultrafast --deliver poster --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir.file("o.mp4")));
    EXPECT_TRUE(fs::is_regular_file(dir.file("o-poster.jpg")));

    r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.path().string()) + " --preset medium");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "transcode makes delivery presets, given with --deliver")) << r.err;
    r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.path().string()) + " --deliver poster");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir.file("avatar-poster.jpg")));
}

// Item 6: mistakes answered with the fix.
TEST(CliMistakes, AMistypedSubcommandOrOptionGetsASuggestion) {
    CommandResult r = run_avpost("compse --video a.mp4");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.substr(0, r.err.find(" (one of")), "avpost: error: unknown subcommand 'compse' (did you mean compose?)");
    EXPECT_EQ(lines(r.err), 1) << r.err;

    r = run_avpost("--json compose --video a.mp4 --mask m.mp4 --background '#000000' -o null --ancor top");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "avpost: error: unknown option '--ancor' for compose (did you mean --anchor?)")) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;

    r = run_avpost("fetch --vendor a2v --ouput d v-1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "unknown option '--ouput' for fetch (did you mean --output?)")) << r.err;
}

TEST(CliMistakes, BackgroundColoursAreAcceptedAsPeopleWriteThem) {
    TempDir dir;
    for (const std::string white : {"white", "0xffffff", "ffffff", "#FFFFFF", "White"}) {
        const std::string out = dir.file("o.mkv");
        fs::remove(out);
        CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), white, out) +
                                     " --size 100x-1 --anchor center --vcodec ffv1");
        ASSERT_EQ(r.exit_code, 0) << white << ": " << r.err;
        auto frames = decode_video(out, 1);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_NEAR(frames[0].Y(2, 2), 235, 1) << white << ": the corner is the background";
    }
    EXPECT_EQ(avpost::normalise_colour("rebeccapurple"), "#663399");
    EXPECT_EQ(avpost::normalise_colour("0x00b140"), "#00B140");
    EXPECT_FALSE(avpost::normalise_colour("#fffff"));
}

TEST(CliMistakes, AColourThatIsNotOneOrALostValueHintsAtQuoting) {
    TempDir dir;
    // `--background #ffffff` unquoted: the shell drops the rest of the line.
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " -o " + quote(dir.file("o.mp4")) + " --background");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "write --background '#ffffff'")) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;

    r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "whit", dir.file("o.mp4")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "'whit' is neither a file nor a colour (did you mean white?)")) << r.err;
    EXPECT_TRUE(contains(r.err, "'#ffffff'")) << r.err;

    r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "", dir.file("o.mp4")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--background is empty")) << r.err;
    EXPECT_TRUE(dir.entries().empty());
}

TEST(CliMistakes, RenderWithALocalAudioFileSaysAURLIsNeededWithoutCallingTheVendor) {
    // Port 9 (discard) on loopback: a vendor call would end in a network error (exit 15).
    CommandResult r = run_command("AVPOST_A2V_BASE_URL=http://127.0.0.1:9 A2V_TOKEN=t AVPOST_HTTP_MAX_ATTEMPTS=1 " +
                                  quote(AVPOST_BINARY) + " render --vendor a2v --pose p --audio voice.wav --no-archive");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "--audio 'voice.wav' is not a URL")) << r.err;
    EXPECT_TRUE(contains(r.err, "public http(s) URL")) << r.err;
}

TEST(CliMistakes, SuggestionsComeOnlyForNearWords) {
    EXPECT_EQ(avpost::closest_match("compse", {"compose", "transcode"}), "compose");
    EXPECT_EQ(avpost::closest_match("--ancor", {"--anchor", "--canvas"}), "--anchor");
    EXPECT_EQ(avpost::closest_match("xyz", {"compose", "transcode"}), std::nullopt);
    EXPECT_EQ(avpost::edit_distance("ab", "ba"), 1u);
}

// Item 7: a mask of another render (another length or shape) is not stretched in silence.
TEST(CliMask, AMaskOfAnotherLengthFailsUnlessAllowedAndAnotherShapeWarns) {
    TempDir dir;
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -t 1 -c:v libx264 -qp 0 " + quote(dir.file("short.mp4")));
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), dir.file("short.mp4"), "#000000", dir.file("o.mp4")));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "lasts 1.00 s, the avatar 2.00 s")) << r.err;
    EXPECT_TRUE(contains(r.err, "--allow-mask-mismatch")) << r.err;
    EXPECT_FALSE(fs::exists(dir.file("o.mp4")));
    r = run_avpost(compose_args(media("avatar.mp4"), dir.file("short.mp4"), "#000000", "null") + " --allow-mask-mismatch");
    EXPECT_EQ(r.exit_code, 0) << r.err;

    // One frame shorter is a rounding difference, not another render.
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -frames:v 49 -c:v libx264 -qp 0 " + quote(dir.file("49.mp4")));
    r = run_avpost(compose_args(media("avatar.mp4"), dir.file("49.mp4"), "#000000", "null"));
    EXPECT_EQ(r.exit_code, 0) << r.err;

    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -vf scale=360:360 -c:v libx264 -qp 0 " + quote(dir.file("square.mp4")));
    r = run_avpost(compose_args(media("avatar.mp4"), dir.file("square.mp4"), "#000000", "null") + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "mask is 360x360, the avatar 640x360: another aspect ratio")) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["warnings"].size(), 1u) << r.out;
}

// Item 8: a subcommand's help shows the global flags it takes; the exit codes live in `avpost --help`.
TEST(CliHelp, SubcommandHelpNamesTheGlobalFlagsAndLeavesExitCodesToTheTop) {
    for (const std::string command : {"compose", "transcode", "archive ls"}) {
        CommandResult r = run_avpost(command + " --help");
        EXPECT_EQ(r.exit_code, 0) << command;
        EXPECT_TRUE(contains(r.out, "--json")) << command << ":\n" << r.out;
        EXPECT_TRUE(contains(r.out, "--quiet")) << command << ":\n" << r.out;
        EXPECT_FALSE(contains(r.out, "archive verify found files")) << command << " repeats the exit codes";
    }
    CommandResult top = run_avpost("--help");
    EXPECT_TRUE(contains(top.out, "20  archive verify found files")) << top.out;
    // compose states its clock rule before the global flags.
    CommandResult compose = run_avpost("compose --help");
    EXPECT_TRUE(contains(compose.out, "starts at its own first\npresented frame")) << compose.out;
    EXPECT_LT(compose.out.find("Timing:"), compose.out.find("Global options")) << compose.out;
}

// On a terminal (a pty from script(1), CI unset) each command's progress line carries its own
// name: transcode's said "compose". The final line is drawn even when the work was quick.
TEST(CliProgress, TranscodeAndComposeLabelTheirOwnProgressLine) {
    TempDir dir;
    auto on_terminal = [](const std::string& args) {
        return run_command("env -u CI script -qec " + quote(quote(AVPOST_BINARY) + " " + args) + " /dev/null");
    };
    CommandResult t = on_terminal("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("t")) + " --deliver poster");
    ASSERT_EQ(t.exit_code, 0) << t.out;
    EXPECT_TRUE(contains(t.out, "\rtranscode [############################] 100% 50/50 frames")) << t.out;
    EXPECT_FALSE(contains(t.out, "compose [")) << t.out;
    CommandResult c = on_terminal(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "white", dir.file("c.mp4")));
    ASSERT_EQ(c.exit_code, 0) << c.out;
    EXPECT_TRUE(contains(c.out, "\rcompose [############################] 100% 50/50 frames")) << c.out;
    CommandResult quiet = on_terminal("--quiet " + compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "white",
                                                                dir.file("q.mp4")));
    ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
    EXPECT_FALSE(contains(quiet.out, "compose [")) << quiet.out;
}

// `avpost stages` lists the registry: every stage and every delivery sink (preset) by name.
TEST(CliStages, ListsEveryStageAndDeliverySink) {
    CommandResult text = run_avpost("stages");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    CommandResult json = run_avpost("--json stages");
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const nlohmann::json listed = nlohmann::json::parse(json.out);
    std::vector<std::string> stages, sinks;
    for (const auto& s : listed.at("stages")) stages.push_back(s.at("name"));
    for (const auto& s : listed.at("sinks")) sinks.push_back(s.at("name"));
    EXPECT_EQ(sinks, (std::vector<std::string>{"web", "hevc", "av1", "av1-webm", "webm-alpha", "prores-alpha", "preview",
                                               "poster", "hls"}));
    EXPECT_TRUE(std::find(stages.begin(), stages.end(), "composite") != stages.end());
    EXPECT_TRUE(std::find(stages.begin(), stages.end(), "loudness") != stages.end());
    for (const auto& name : stages) EXPECT_TRUE(contains(text.out, "\n  " + name + ": ")) << name << "\n" << text.out;
    for (const auto& name : sinks) EXPECT_TRUE(contains(text.out, "\n  " + name + ": ")) << name << "\n" << text.out;
    for (const auto& s : listed.at("sinks"))
        EXPECT_EQ(s.at("needs_alpha").get<bool>(), s.at("name") == "webm-alpha" || s.at("name") == "prores-alpha") << s;
    // The presets' help and errors name the same list.
    CommandResult help = run_avpost("transcode --help");
    EXPECT_TRUE(contains(help.out, "web, hevc, av1, av1-webm, webm-alpha, prores-alpha, preview, poster, hls")) << help.out;
    CommandResult bad = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o out --deliver webb");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_TRUE(contains(bad.err, "unknown preset 'webb' (did you mean web?)")) << bad.err;
}

// `compose --dry-run` (issue 21): the plan after opening the inputs, nothing decoded or written;
// with --json one object (docs/json/compose-plan.schema.json). It fails where the run would
// before its first frame.
TEST(CliDryRun, ComposePrintsItsPlanAndWritesNothing) {
    TempDir dir;
    const std::string args = compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.png"),
                                          dir.file("out.mp4")) +
                             " --position -30,-20 --deliver web,webm-alpha --dry-run";
    CommandResult text = run_avpost(args);
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "mask: " + media("avatar_mask.mp4") + " (640x360, 25.000 fps")) << text.out;
    EXPECT_TRUE(contains(text.out, "avatar placed: 640x360 at -30,-20\n")) << text.out;
    EXPECT_TRUE(contains(text.out, "alpha: the mask\n")) << text.out;
    EXPECT_TRUE(contains(text.out, "deliver webm-alpha: " + dir.file("out.webm"))) << text.out;
    EXPECT_TRUE(dir.entries().empty()) << "a dry run wrote something";

    CommandResult json = run_avpost("--json " + args);
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(lines(json.out), 1) << json.out;
    const nlohmann::json plan = nlohmann::json::parse(json.out);
    EXPECT_EQ(plan.at("canvas"), "640x360");
    EXPECT_EQ(plan.at("avatar_position"), nlohmann::json::array({-30, -20}));
    EXPECT_EQ(plan.at("alpha_source").at("kind"), "mask");
    EXPECT_FALSE(plan.at("alpha_source").at("codes_to_compositor").get<bool>()) << "webm-alpha reads the alpha too";
    EXPECT_EQ(plan.at("outputs").at("composite").at("path"), dir.file("out.mp4"));
    EXPECT_EQ(plan.at("outputs").at("deliveries").size(), 2u);
    EXPECT_TRUE(plan.at("outputs").at("audio").get<bool>());
    EXPECT_TRUE(dir.entries().empty()) << "a dry run wrote something";

    // A missing input, another render's mask: the errors the run would give, with their codes.
    CommandResult missing = run_avpost(compose_args(dir.file("missing.mp4"), media("avatar_mask.mp4"), "#000000",
                                                    dir.file("out.mp4")) + " --dry-run");
    EXPECT_EQ(missing.exit_code, 3) << missing.err;
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -t 1 -c:v libx264 -qp 0 " + quote(dir.file("short.mp4")));
    CommandResult other = run_avpost(compose_args(media("avatar.mp4"), dir.file("short.mp4"), "#000000",
                                                  dir.file("out.mp4")) + " --dry-run");
    EXPECT_EQ(other.exit_code, 3) << other.err;
    EXPECT_TRUE(contains(other.err, "lasts 1.00 s, the avatar 2.00 s")) << other.err;
    CommandResult bad = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), "transparent",
                                                dir.file("out.mp4")) + " --dry-run");
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"short.mp4"});
}
