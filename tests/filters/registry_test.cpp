// The registry: every stage described once; every delivery preset a sink row that its name
// resolves to, with a factory and a file, and the documented preset lists (job file schema,
// --json schema) naming exactly the registry's sinks.
#include "avpost/filters/registry.hpp"
#include "avpost/filters/delivery_option_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

using namespace avpost::filters;

namespace {

std::set<std::string> registry_names() {
    std::set<std::string> names;
    for (const auto& sink : all_sinks()) names.emplace(sink.name);
    return names;
}

nlohmann::json doc(const std::string& relative) {
    const std::filesystem::path path = std::filesystem::path(AVPOST_TEST_MEDIA_DIR) / "../../docs" / relative;
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    return nlohmann::json::parse(in);
}

std::set<std::string> strings(const nlohmann::json& list) {
    std::set<std::string> out;
    for (const auto& item : list) out.insert(item.get<std::string>());
    return out;
}

}  // namespace

TEST(StageRegistry, EveryStageIsDescribedOnce) {
    std::set<std::string_view> names;
    ASSERT_FALSE(all_stages().empty());
    for (const auto& stage : all_stages()) {
        EXPECT_FALSE(stage.summary.empty()) << stage.name;
        EXPECT_FALSE(stage.pixel_format.empty()) << stage.name;
        EXPECT_FALSE(stage.alpha.empty()) << stage.name;
        EXPECT_TRUE(names.insert(stage.name).second) << "duplicate stage " << stage.name;
    }
}

TEST(SinkRegistry, EveryPresetNameResolvesThroughItsRow) {
    std::set<Preset> presets;
    std::set<std::string> files;
    const nlohmann::json deliver_fields = doc("job.schema.json")["$defs"]["deliver"]["properties"];
    for (const auto& sink : all_sinks()) {
        SCOPED_TRACE(std::string(sink.name));
        EXPECT_TRUE(presets.insert(sink.preset).second) << "two rows for one preset";
        EXPECT_TRUE(files.insert(std::string(sink.file)).second) << "two sinks write one file";
        EXPECT_NE(sink.make, nullptr);
        EXPECT_FALSE(sink.summary.empty());
        EXPECT_FALSE(options_shaping(sink.preset).empty());
        EXPECT_EQ(parse_preset(sink.name), sink.preset);
        EXPECT_EQ(to_string(sink.preset), sink.name);
        EXPECT_EQ(&sink_info(sink.preset), &sink);
        EXPECT_EQ(find_sink(sink.name), &sink);
        EXPECT_EQ(preset_has_alpha(sink.preset), sink.needs_alpha);
        DeliveryOptions options;
        options.directory = "out";
        options.name = "talk";
        EXPECT_EQ(delivery_path(options, sink.preset), std::filesystem::path("out") / ("talk" + std::string(sink.file)));
        // Every option a sink names is a field of the job's deliver object.
        for (std::string_view option : options_shaping(sink.preset))
            EXPECT_TRUE(deliver_fields.contains(std::string(option))) << option;
    }
    // Every enumerator has its row (the enum runs from web to hls).
    for (int p = int(Preset::web); p <= int(Preset::hls); ++p) EXPECT_TRUE(presets.count(Preset(p))) << p;
    EXPECT_EQ(find_sink("webm"), nullptr);
    EXPECT_EQ(sink_info(Preset::hls).after_others, true);
    EXPECT_EQ(parse_preset_list("hls, web,poster,web"), (std::vector<Preset>{Preset::hls, Preset::web, Preset::poster}));
}

TEST(SinkRegistry, TheDocumentedPresetListsAreTheRegistrys) {
    EXPECT_EQ(strings(doc("job.schema.json")["$defs"]["deliver"]["properties"]["presets"]["items"]["enum"]),
              registry_names())
        << "docs/job.schema.json";
    for (const char* schema : {"json/transcode.schema.json", "json/compose.schema.json"})
        EXPECT_EQ(strings(doc(schema)["$defs"]["delivery"]["properties"]["preset"]["enum"]), registry_names()) << schema;
}
