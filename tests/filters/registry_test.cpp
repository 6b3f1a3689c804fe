#include "avpost/filters/registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

TEST(StageRegistry, EveryStageIsDescribedOnce) {
    std::set<std::string_view> names;
    ASSERT_FALSE(avpost::filters::all_stages().empty());
    for (const auto& stage : avpost::filters::all_stages()) {
        EXPECT_FALSE(stage.summary.empty()) << stage.name;
        EXPECT_FALSE(stage.pixel_format.empty()) << stage.name;
        EXPECT_FALSE(stage.alpha.empty()) << stage.name;
        EXPECT_TRUE(names.insert(stage.name).second) << "duplicate stage " << stage.name;
    }
}
