#pragma once
// Output written under a temporary name beside the final one and renamed into place only when
// complete, so a crash or error never leaves a half-written file under the final name.
#include <filesystem>

namespace avpost {

class AtomicOutput {
public:
    explicit AtomicOutput(std::filesystem::path final_path);
    ~AtomicOutput();  // removes the temporary file unless committed
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    const std::filesystem::path& temp_path() const { return temp_; }
    const std::filesystem::path& final_path() const { return final_; }

    // fsyncs the temporary file, renames it over the final name and fsyncs the directory.
    void commit();

private:
    std::filesystem::path final_;
    std::filesystem::path temp_;
    bool committed_ = false;
};

// Writes all of `bytes` to `path` atomically (temporary file, fsync, rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace avpost
