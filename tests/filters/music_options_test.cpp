// The music's option table: its keys, and every bad value refused with its key named.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "avpost/filters/music_bed.hpp"

using namespace avpost::filters;
using nlohmann::json;

namespace {

// The problems reading `object` reports, as "key: why".
std::vector<std::string> problems_of(const json& object) {
    MusicParams p;
    std::vector<std::string> out;
    for (const OptionProblem& problem : read_options(music_options(), object, p)) out.push_back(problem.key + ": " + problem.why);
    return out;
}

}  // namespace

// Every row complete and its default read back: OptionTables.EveryRowIsCompleteAndItsDefaultReadsBack.
TEST(MusicOptions, TheTableHasTheKeysTheJobFormatNames) {
    std::set<std::string_view> keys;
    for (const auto& row : music_options().rows) keys.insert(row.key);
    EXPECT_EQ(keys, (std::set<std::string_view>{"source", "level", "duck", "attack", "release", "loop", "fade_in", "fade_out"}));
}

TEST(MusicOptions, WhatItWritesItReadsBackTheSame) {
    const json written = json{{"source", "/media/bed.m4a"}, {"level", -30}, {"duck", 15}, {"attack", 0.02},
                              {"release", 0.8}, {"loop", false}, {"fade_in", 0.5}, {"fade_out", 3}};
    const MusicParams p = written.get<MusicParams>();
    EXPECT_EQ(p.source, "/media/bed.m4a");
    EXPECT_EQ(p.level_lufs, -30);
    EXPECT_EQ(p.duck_db, 15);
    EXPECT_EQ(p.attack_seconds, 0.02);
    EXPECT_EQ(p.release_seconds, 0.8);
    EXPECT_FALSE(p.loop);
    EXPECT_EQ(p.fade_in_seconds, 0.5);
    EXPECT_EQ(p.fade_out_seconds, 3);
    EXPECT_EQ(json(p), written);
    EXPECT_EQ(json(json(p).get<MusicParams>()), written);

    // Only a source: the defaults of the issue (-26 LUFS, 12 dB, looped).
    const MusicParams defaults = json{{"source", "bed.wav"}}.get<MusicParams>();
    EXPECT_EQ(defaults.level_lufs, -26);
    EXPECT_EQ(defaults.duck_db, 12);
    EXPECT_TRUE(defaults.loop);
}

TEST(MusicOptions, BadValuesAreRefusedNamingTheKey) {
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"duck", -3}}), std::vector<std::string>{"duck: must be from 0 to 40, not -3"});
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"level", -80}}),
              std::vector<std::string>{"level: must be from -60 to 0, not -80"});
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"level", 3}}), std::vector<std::string>{"level: must be from -60 to 0, not 3"});
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"release", -1}}),
              std::vector<std::string>{"release: must be from 0 to 10, not -1"});
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"duck", "loud"}}),
              std::vector<std::string>{"duck: must be a number, not a string"});
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"loop", 1}}),
              std::vector<std::string>{"loop: must be true or false, not an integer"});
    const auto unknown = problems_of({{"source", "a.wav"}, {"volume", -20}});
    ASSERT_EQ(unknown.size(), 1u);
    EXPECT_TRUE(unknown[0].starts_with("volume: unknown key (allowed: source, level, duck,")) << unknown[0];
    EXPECT_EQ(problems_of({{"duck", 6}}), std::vector<std::string>{"source: is required (the music file)"});
    EXPECT_EQ(problems_of({{"source", ""}}), std::vector<std::string>{"source: must not be empty"});
    // All of them at once, and from_json throws them with the first in its message.
    EXPECT_EQ(problems_of({{"source", "a.wav"}, {"duck", -3}, {"attack", 9}}).size(), 2u);
    try {
        (void)json{{"source", "a.wav"}, {"duck", -3}}.get<MusicParams>();
        FAIL() << "no error";
    } catch (const OptionProblems& e) {
        EXPECT_EQ(e.domain(), avpost::ErrorDomain::usage);
        EXPECT_EQ(std::string(e.what()), "duck: must be from 0 to 40, not -3");
    }
}

TEST(MusicOptions, ARelativeSourceResolvesAgainstTheJobFilesDirectory) {
    MusicParams p;
    ReadOptions read;
    read.path_base = "/jobs/promo";
    EXPECT_TRUE(read_options(music_options(), json{{"source", "audio/bed.m4a"}}, p, read).empty());
    EXPECT_EQ(p.source, "/jobs/promo/audio/bed.m4a");
}
