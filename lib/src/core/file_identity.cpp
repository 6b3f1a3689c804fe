#include "avpost/core/file_identity.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "avpost/core/error.hpp"

namespace avpost {

std::optional<FileIdentity> file_identity(const std::filesystem::path& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
    return FileIdentity{static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)};
}

void refuse_overwriting_inputs(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs) {
    for (const NamedFile& output : outputs) {
        // An output that does not exist yet cannot be an input; one that exists is compared
        // with every input by identity, whatever its spelling.
        const std::optional<FileIdentity> written = file_identity(output.path);
        if (!written) continue;
        if (output.directory) {
            std::error_code ec;
            const std::filesystem::path root = std::filesystem::canonical(output.path, ec);
            for (const NamedFile& input : inputs) {
                const std::filesystem::path inside = std::filesystem::weakly_canonical(input.path, ec);
                if (ec || root.empty()) continue;
                auto [r, i] = std::mismatch(root.begin(), root.end(), inside.begin(), inside.end());
                if (r == root.end())
                    throw_usage(output.role + " '" + output.path.string() + "' holds the input " + input.role + " ('" +
                                input.path.string() + "'): refusing to write over an input (choose another output)");
            }
            continue;
        }
        for (const NamedFile& input : inputs)
            if (file_identity(input.path) == written)
                throw_usage(output.role + " '" + output.path.string() + "' is the input " + input.role + " ('" +
                            input.path.string() + "'): refusing to write over an input (choose another output)");
    }
}

}  // namespace avpost
