// Bad requests fail before work with a one-line error; failed outputs leave nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

TEST(DeliverErrors, UnknownPresetIsNamed) {
    TempDir dir;
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --preset web,dvd");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown preset 'dvd'"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
}

TEST(DeliverErrors, AlphaPresetWithoutMaskIsRefused) {
    TempDir dir;
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --preset web,webm-alpha");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--mask"), std::string::npos) << r.err;
}

TEST(DeliverErrors, MissingSourceIsAnInputError) {
    TempDir dir;
    CommandResult r = run_avpost("transcode " + quote(dir.file("nope.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --preset web");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(DeliverErrors, AFailedOutputLeavesNoTemporaryFiles) {
    TempDir dir;
    // The web output's final name is taken by a directory: renaming into place fails.
    std::filesystem::create_directories(dir.path() / "o" / "avatar-web.mp4" / "blocker");
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --preset web,hls");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "o"))
        EXPECT_NE(entry.path().filename().string()[0], '.') << "left behind: " << entry.path();
}

TEST(DeliverErrors, CorruptSourceFailsAndLeavesNothing) {
    TempDir dir;
    {
        std::ofstream junk(dir.file("junk.mp4"), std::ios::binary);
        junk << std::string(4096, 'x');
    }
    CommandResult r = run_avpost("transcode " + quote(dir.file("junk.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --preset web,poster");
    EXPECT_EQ(r.exit_code, 3) << r.err;
    if (std::filesystem::exists(dir.file("o"))) {
        EXPECT_TRUE(std::filesystem::is_empty(dir.file("o")));
    }
}
