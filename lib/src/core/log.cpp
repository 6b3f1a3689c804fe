#include "avpost/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

namespace avpost::log {
namespace {
std::atomic<Level> current_level{Level::warning};
std::mutex output_mutex;

void emit(Level at, std::string_view tag, std::string_view message) {
    if (at > current_level.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(output_mutex);
    std::fprintf(stderr, "avpost: %.*s%.*s\n", int(tag.size()), tag.data(), int(message.size()), message.data());
}
}  // namespace

void set_level(Level level) {
    current_level = level;
    install_av_log_bridge();
}
Level level() { return current_level; }

void error(std::string_view message) { emit(Level::error, "error: ", message); }
void warning(std::string_view message) { emit(Level::warning, "warning: ", message); }
void info(std::string_view message) { emit(Level::info, "", message); }
void debug(std::string_view message) { emit(Level::debug, "debug: ", message); }

void install_av_log_bridge() {
    // libav reports decode glitches we already count and summarise; show them only when debugging.
    switch (current_level.load()) {
        case Level::debug: av_log_set_level(AV_LOG_WARNING); break;
        default: av_log_set_level(AV_LOG_QUIET); break;
    }
}

}  // namespace avpost::log
