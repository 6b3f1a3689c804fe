// avpost: argument parsing and dispatch only; the work lives in lib/ and filters/.
#include <cstdlib>
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <malloc.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "usage_errors.hpp"

int main(int argc, char** argv) {
    using namespace avpost;
    using namespace avpost::tool;
    // Decoders free and allocate multi-megabyte frame buffers. Under glibc's sliding mmap
    // threshold those end up in the heap, where freed ones stay resident (about 30 MB at 4K);
    // a fixed threshold keeps every such buffer mmapped and returned to the system when freed.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);

    CLI::App app{"avpost: composite, transcode, fetch and archive AI talking-avatar renders"};
    app.require_subcommand(1);
    app.footer(exit_code_help());
    app.set_version_flag("--version", "avpost 0.1.0");
    GlobalOptions global;
    app.add_flag("-q,--quiet", global.quiet, "No progress and no warnings")->configurable(false);
    app.add_flag("--json", global.json, "Print one JSON object on stdout");
    app.add_flag("-v,--verbose", global.verbose, "Print debug diagnostics");
    app.fallthrough();
    // Unknown options and arguments are collected, then reported with a suggestion (usage_errors.cpp).
    app.allow_extras();

    std::map<CLI::App*, CommandRun> runners;
    for (const CommandSpec& spec : all_commands()) {
        CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
        // Each subcommand's help names the global flags it also takes; the exit codes stay in
        // `avpost --help`, once. Set before the command's own set-up, so its subcommands
        // (archive ls) inherit it.
        static const std::string global_footer =
            "Global options (before or after the subcommand): -q,--quiet  no progress and no warnings;\n"
            "  --json  one JSON object on stdout;  -v,--verbose  debug diagnostics.\n"
            "Exit codes: see `avpost --help`.";
        sub->footer(global_footer);
        runners[sub] = spec.setup(*sub, global);
        // A command's own rules (compose's clock rule) go first.
        if (sub->get_footer() != global_footer) sub->footer(sub->get_footer() + "\n\n" + global_footer);
    }

    try {
        refuse_unknown_subcommand(app, argc, argv);
        app.parse(argc, argv);
        refuse_extras(app);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::ParseError& e) {
        // An unknown option explains a missing required one ("--ouput" for --output): it goes first.
        try {
            refuse_extras(app);
        } catch (const Error& extras) {
            log::error(extras.what());
            return exit_usage;
        }
        log::error(parse_error_text(app, e));
        return exit_usage;
    } catch (const Error& e) {
        log::error(e.what());
        return exit_usage;
    }

    log::set_level(global.verbose ? log::Level::debug : global.quiet ? log::Level::error : log::Level::warning);
    // SVT-AV1 (the av1 presets) writes its settings banner to stderr past libav's log: errors
    // only unless -v. Set here, before any thread could read the environment.
    if (!global.verbose) ::setenv("SVT_LOG", "1", 0);
    try {
        for (auto& [sub, run] : runners)
            if (sub->parsed()) return run();
        return exit_usage;
    } catch (const Error& e) {
        log::error(e.what());
        // The shell convention for "stopped by SIGINT".
        const int exit_code = interrupted() ? int(exit_interrupted) : exit_code_for(e);
        if (global.json)
            std::cout << nlohmann::json{{"error",
                                         {{"domain", to_string(e.domain())},
                                          {"context", e.context()},
                                          {"code", e.code()},
                                          {"exit_code", exit_code},
                                          {"message", e.what()}}}}
                             .dump()
                      << "\n";
        return exit_code;
    } catch (const std::exception& e) {
        log::error(e.what());
        return exit_failure;
    }
}
