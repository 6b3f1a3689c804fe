#pragma once
// Internal: whether a file named after a process id (a temporary of a catalog being created, of a
// store write) may still be in use, or is debris of a process that died. A pid alone is not enough:
// after a crash the pid may have been reused, so the process's start time is compared with the
// file's last write as well.
#include <filesystem>
#include <optional>

namespace avpost::archive {

// When process `pid` started, in Unix seconds (boot time + its start ticks); nullopt when no
// such process exists.
std::optional<double> process_start_time(long pid);

// True when no running process can still be writing `file`, which process `pid` made: there is
// no such process, or the process now holding that pid started after the file was last written.
bool left_by_dead_process(long pid, const std::filesystem::path& file);

}  // namespace avpost::archive
