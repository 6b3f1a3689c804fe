#include "avpost/core/json_depth.hpp"

#include <vector>

namespace avpost {
namespace {

// Paths are spelled out this many steps deep; a deeper value is named by its ancestor there.
constexpr std::size_t spelled_steps = 4;

}  // namespace

std::optional<std::string> json_nested_too_deep(const nlohmann::json& document, std::size_t max_depth) {
    struct Pending {
        const nlohmann::json* value;
        std::size_t depth;  // of `value`: the document is 1, so its path has depth - 1 steps
        std::size_t path;   // index into `paths`: its own path, or its ancestor's after spelled_steps
    };
    std::vector<std::string> paths{""};
    std::vector<Pending> pending{{&document, 1, 0}};
    std::vector<Pending> children;
    while (!pending.empty()) {
        const Pending item = pending.back();
        pending.pop_back();
        if (item.depth > max_depth) {
            if (item.depth == 1) return std::string("(document)");
            return paths[item.path] + (item.depth - 1 > spelled_steps ? "..." : "");
        }
        const nlohmann::json& value = *item.value;
        const bool spell = item.depth - 1 < spelled_steps;
        children.clear();
        auto add = [&](const nlohmann::json& child, const std::string& step) {
            if (!child.is_structured()) return;
            std::size_t path = item.path;
            if (spell) {
                std::string spelled = paths[item.path] + step;
                paths.push_back(std::move(spelled));
                path = paths.size() - 1;
            }
            children.push_back({&child, item.depth + 1, path});
        };
        if (value.is_array()) {
            for (std::size_t i = 0; i < value.size(); ++i) add(value[i], spell ? std::string("[").append(std::to_string(i)).append("]") : std::string());
        } else {
            for (auto it = value.begin(); it != value.end(); ++it)
                add(*it, !spell ? "" : item.depth == 1 ? it.key() : "." + it.key());
        }
        // Reversed, so the first too-deep value in document order is the one reported.
        pending.insert(pending.end(), children.rbegin(), children.rend());
    }
    return std::nullopt;
}

}  // namespace avpost
