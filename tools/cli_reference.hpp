#pragma once
// The program's reference made from the same CLI11 option tables as `--help`: the man page
// avpost.1 (roff) and a bash completion script. Nothing here is written by hand per option, so
// an option added to a command appears in both at the next build.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace avpost::tool {

// One environment variable avpost reads, for the man page.
struct EnvironmentDoc {
    const char* name;
    const char* meaning;
};
const std::vector<EnvironmentDoc>& environment_table();

// The whole man page of `root` (the avpost program): every visible subcommand with its
// positionals and options, the global options, the environment and the exit codes.
std::string man_page(const CLI::App& root);

// A bash script defining `_avpost` and registering it for `avpost`: subcommands, options and
// the values of options limited to a set (--vendor akool|a2v); other values complete as files.
std::string bash_completion(const CLI::App& root);

}  // namespace avpost::tool
