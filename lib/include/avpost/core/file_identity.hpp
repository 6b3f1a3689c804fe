#pragma once
// Never write over an input: outputs are compared with inputs by file identity (device and inode,
// symlinks followed), so another spelling of the same path, a symlink or a hard link is caught
// as surely as the same name.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace avpost {

struct FileIdentity {
    unsigned long long device = 0;
    unsigned long long inode = 0;
    bool operator==(const FileIdentity&) const = default;
};

// The identity of an existing file (symlinks followed); nullopt when there is none.
std::optional<FileIdentity> file_identity(const std::filesystem::path& path);

// A file a command reads or writes, with the name the user knows it by ("--video", "source.local.mask").
struct NamedFile {
    std::string role;
    std::filesystem::path path;
    bool directory = false;  // an output directory written whole (HLS): no input may lie inside it
};

// Throws Error(usage), one line, when an output is an input (or an input lies inside an output
// directory): "web output 'd/x.mp4' is the input --video ('d/x.mp4'): refusing to write over an input".
void refuse_overwriting_inputs(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs);

}  // namespace avpost
