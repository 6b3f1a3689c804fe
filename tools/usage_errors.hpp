#pragma once
// Command-line mistakes answered with help: one line each, and a suggestion where one fits
// ("unknown subcommand 'compse' (did you mean compose?)", "unknown option '--ancor' for compose
// (did you mean --anchor?)", a colour lost to an unquoted '#').
#include <CLI/CLI.hpp>
#include <string>

namespace avpost::tool {

// Before parsing: throws Error(usage) when the first argument that is not a global flag names
// no subcommand.
void refuse_unknown_subcommand(const CLI::App& app, int argc, char** argv);

// After parsing (the app allows extras): throws Error(usage) for the first unknown option or
// unexpected argument, naming the subcommand and the nearest known option.
void refuse_extras(CLI::App& app);

// The one line for a CLI11 parse error.
std::string parse_error_text(CLI::App& app, const CLI::ParseError& error);

}  // namespace avpost::tool
