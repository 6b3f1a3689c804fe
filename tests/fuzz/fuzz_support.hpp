#pragma once
// Shared by the fuzz targets: the libFuzzer entry point's signature, quiet logs, and a scratch
// file for the targets whose entry point reads a file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace avpost::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Errors only: a fuzz run goes through millions of inputs, each of which may warn.
void quiet_logs();

// A file in a directory of this process's own (removed at exit), rewritten with each input.
class ScratchFile {
public:
    explicit ScratchFile(std::string name);
    ~ScratchFile();
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    const std::filesystem::path& write(const std::uint8_t* data, std::size_t size);
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path directory_;
    std::filesystem::path path_;
};

}  // namespace avpost::fuzz
