#pragma once
// Output written under a temporary name beside the final one and renamed into place only when
// complete, so a crash or error never leaves a half-written file under the final name.
//
// The temporary file (".STEM.partial-PID-N.EXT") is created here and held under an exclusive
// flock until it is committed or removed. A process killed with SIGKILL cannot remove it, so
// every new AtomicOutput first sweeps its directory: a temporary nobody holds a lock on, whose
// PID is no live process (or a process started after the file was made: a reused PID), is
// debris and goes.
#include <filesystem>
#include <string_view>

namespace avpost {

class AtomicOutput {
public:
    // Removes other processes' dead temporaries beside `final_path`, then creates and locks this
    // one's. Throws OutputError when it cannot be created.
    explicit AtomicOutput(std::filesystem::path final_path);
    ~AtomicOutput();  // removes the temporary file unless committed
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    // Exists (empty) from construction on; writers open it with truncation, not exclusively.
    const std::filesystem::path& temp_path() const { return temp_; }
    const std::filesystem::path& final_path() const { return final_; }

    // fsyncs the temporary file, renames it over the final name and fsyncs the directory.
    void commit();

private:
    std::filesystem::path final_;
    std::filesystem::path temp_;
    int lock_fd_ = -1;  // holds the flock that marks the temporary as in use
    bool committed_ = false;
};

// A directory of outputs (an HLS ladder) made under a temporary name beside the final one
// (".NAME.partial-PID-N"), locked like AtomicOutput's file for its whole life, so a run killed
// with SIGKILL leaves nothing the next run does not sweep. The caller renames it into place.
class PartialDirectory {
public:
    // Sweeps dead temporaries beside `final_dir`, then creates and locks this one.
    explicit PartialDirectory(const std::filesystem::path& final_dir);
    ~PartialDirectory();  // removes the directory unless released
    PartialDirectory(const PartialDirectory&) = delete;
    PartialDirectory& operator=(const PartialDirectory&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Called once the directory was renamed away (into place): nothing left to remove.
    void release();

private:
    std::filesystem::path path_;
    int lock_fd_ = -1;
    bool released_ = false;
};

// Removes the temporaries (see AtomicOutput, PartialDirectory) in `directory` that dead
// processes left behind.
// Returns how many it removed. Never removes one whose writer may still run.
int remove_dead_partials(const std::filesystem::path& directory);

// Writes all of `bytes` to `path` atomically (temporary file, fsync, rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace avpost
