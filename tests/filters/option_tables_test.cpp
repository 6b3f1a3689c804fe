// The stages' option tables: the job schema lists exactly their keys, every row is complete, its
// default reads back through its own setter, and a job-file value and the same CLI text set the
// same thing (the CLI side is tests/cli/cli_test.cpp's OptionTables cases).
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/filters/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

using namespace avpost::filters;
using nlohmann::json;

namespace {

json job_schema() {
    const std::filesystem::path path = std::filesystem::path(AVPOST_TEST_MEDIA_DIR) / "../../docs/job.schema.json";
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    return json::parse(in);
}

std::set<std::string> keys_of(const json& properties) {
    std::set<std::string> keys;
    for (const auto& [key, value] : properties.items()) keys.insert(key);
    return keys;
}

template <class P>
std::set<std::string> table_keys(const OptionTable<P>& table) {
    std::set<std::string> keys;
    for (const auto& row : table.rows) keys.emplace(row.key);
    return keys;
}

// Every row has a key, a doc line, a setter and a getter; flags are unique; the default a
// default-constructed Params writes is taken back by the row's setter unchanged.
template <class P>
void expect_complete(const OptionTable<P>& table) {
    std::set<std::string_view> keys, flags;
    const P defaults{};
    for (const auto& row : table.rows) {
        SCOPED_TRACE(std::string(table.name) + "." + std::string(row.key));
        EXPECT_TRUE(keys.insert(row.key).second) << "two rows for one key";
        if (!row.flag.empty()) EXPECT_TRUE(flags.insert(row.flag).second) << "two rows for one flag";
        EXPECT_FALSE(row.doc.empty());
        ASSERT_NE(row.set, nullptr);
        ASSERT_NE(row.get, nullptr);
        const json value = row.get(defaults);
        if (value.is_null()) continue;
        EXPECT_EQ(option_type_problem(row.type, value), std::nullopt) << value;
        P reread{};
        row.set(reread, value);
        EXPECT_EQ(row.get(reread), value);
    }
}

}  // namespace

TEST(OptionTables, EveryRowIsCompleteAndItsDefaultReadsBack) {
    expect_complete(layout_options());
    expect_complete(matte_options());
    expect_complete(key_options());
    expect_complete(music_options());
    expect_complete(encode_options());
    expect_complete(delivery_options());
}

TEST(OptionTables, TheJobSchemaListsExactlyTheTablesKeys) {
    const json defs = job_schema()["$defs"];
    std::set<std::string> composite = table_keys(layout_options());
    for (const std::string& key : table_keys(encode_options())) composite.insert(key);
    // The scene and the composite's own file are read by the job model, not a stage table.
    for (const char* key : {"background", "layers", "elements", "overlays", "output", "preset"}) composite.insert(key);
    EXPECT_EQ(keys_of(defs["composite"]["properties"]), composite) << "docs/job.schema.json $defs.composite";
    EXPECT_EQ(keys_of(defs["composite"]["properties"]["matte"]["properties"]), table_keys(matte_options()));
    EXPECT_EQ(keys_of(defs["composite"]["properties"]["key"]["oneOf"][1]["properties"]), table_keys(key_options()));
    EXPECT_EQ(keys_of(defs["composite"]["properties"]["music"]["properties"]), table_keys(music_options()));
    EXPECT_EQ(keys_of(defs["deliver"]["properties"]), table_keys(delivery_options())) << "docs/job.schema.json $defs.deliver";
}

// Which sinks an option shapes is one column of its row: every name there is a sink's.
TEST(OptionTables, TheSinksADeliveryRowShapesAreSinks) {
    for (const auto& row : delivery_options().rows) {
        std::string_view shapes = row.shapes;
        if (shapes == "*" || shapes.empty()) continue;
        for (std::size_t comma = 0; comma != std::string_view::npos; shapes.remove_prefix(comma + 1)) {
            comma = shapes.find(',');
            EXPECT_NE(find_sink(shapes.substr(0, comma)), nullptr) << row.key << ": " << shapes.substr(0, comma);
            if (comma == std::string_view::npos) break;
        }
    }
    const auto hls = options_shaping(Preset::hls), web = options_shaping(Preset::web), poster = options_shaping(Preset::poster);
    EXPECT_NE(std::find(hls.begin(), hls.end(), "hls_heights"), hls.end());
    EXPECT_EQ(std::find(web.begin(), web.end(), "hls_heights"), web.end());
    EXPECT_EQ(poster, (std::vector<std::string_view>{"max_size", "burn_captions"}));
    EXPECT_EQ(options_shaping(Preset::preview),
              (std::vector<std::string_view>{"preview_seconds", "preview_width", "preview_fps", "burn_captions"}));
}

TEST(OptionTables, OneReadReportsEveryBadKeyAndKeepsTheGoodOnes) {
    ComposeParams p;
    const json composite = {{"fitt", "cover"},          {"anchor", "middle"},   {"canvas", "99999x10"},
                            {"despill", "#GG0000"},      {"position", "10,20"},  {"matte", {{"choke", "2"}, {"feather", -1}}},
                            {"key", {{"colour", "auto"}, {"clip_black", 0.8}, {"clip_white", 0.2}}}};
    const auto problems = read_options(layout_options(), composite, p);
    std::set<std::string> keys;
    for (const auto& problem : problems) keys.insert(problem.key);
    EXPECT_EQ(keys, (std::set<std::string>{"fitt", "anchor", "canvas", "despill", "matte.choke", "matte.feather",
                                           "key.clip_white"}));
    ASSERT_TRUE(p.position);
    EXPECT_EQ(p.position->x, 10);
    EXPECT_EQ(p.anchor, Anchor::center) << "a refused value leaves the default";
}

TEST(OptionTables, WhatATableWritesItReadsBackTheSame) {
    DeliveryOptions d;
    const json written = {{"presets", {"web", "hls"}}, {"max_size", "1280x720"}, {"hls_heights", {720, 360}},
                          {"hls_codec", "hevc"},       {"loudness", "podcast"},  {"captions", "talk.srt"},
                          {"captions_language", "pt-BR"}};
    ASSERT_TRUE(read_options(delivery_options(), written, d).empty());
    DeliveryOptions again;
    ASSERT_TRUE(read_options(delivery_options(), write_options(delivery_options(), d), again).empty());
    EXPECT_EQ(write_options(delivery_options(), again), write_options(delivery_options(), d));
    EXPECT_EQ(again.hls_heights, (std::vector<int>{720, 360}));
    EXPECT_EQ(again.hls_codec, HlsCodec::hevc);

    DeliveryOptions bad;
    const auto problems = read_options(delivery_options(), {{"presets", "web"}, {"hls_codec", "hevc"}, {"hls_segments", "ts"}}, bad);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "hls_codec");
}
