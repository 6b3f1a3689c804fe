#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>

#include <unistd.h>

#include "avpost/core/log.hpp"

namespace avpost::fuzz {

void quiet_logs() {
    static const bool done = [] {
        log::set_level(log::Level::error);
        log::install_av_log_bridge();
        return true;
    }();
    (void)done;
}

ScratchFile::ScratchFile(std::string name)
    : directory_(std::filesystem::temp_directory_path() / ("avpost-fuzz-" + std::to_string(::getpid()))),
      path_(directory_ / std::move(name)) {
    std::filesystem::create_directories(directory_);
}

ScratchFile::~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

const std::filesystem::path& ScratchFile::write(const std::uint8_t* data, std::size_t size) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path_.c_str(), "wb"), std::fclose);
    if (!file || (size > 0 && std::fwrite(data, 1, size, file.get()) != size) || std::fflush(file.get()) != 0) {
        // Not a finding of the target: the harness itself cannot run.
        std::perror(path_.c_str());
        std::abort();
    }
    return path_;
}

}  // namespace avpost::fuzz
