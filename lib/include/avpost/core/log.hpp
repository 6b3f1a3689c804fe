#pragma once
// Diagnostics on stderr, one line each, prefixed "avpost: ". Quiet mode keeps only errors.
#include <string_view>

namespace avpost::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

void set_level(Level level);
Level level();

void error(std::string_view message);
void warning(std::string_view message);
void info(std::string_view message);
void debug(std::string_view message);

// Routes libav's own log output through our level (libav is chatty by default).
void install_av_log_bridge();

}  // namespace avpost::log
