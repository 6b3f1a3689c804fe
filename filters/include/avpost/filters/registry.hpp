#pragma once
// Every frame stage of avpost in one table: what it does and the pixel format and alpha
// convention it works in. Tests loop over it; `avpost stages` prints it.
#include <span>
#include <string_view>

namespace avpost::filters {

struct StageInfo {
    std::string_view name;
    std::string_view summary;
    std::string_view pixel_format;  // what the stage reads and writes
    std::string_view alpha;         // the alpha convention it assumes
};

std::span<const StageInfo> all_stages();

}  // namespace avpost::filters
