// avpost: argument parsing and dispatch only; the work lives in lib/ and filters/.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "command.hpp"
#include "exit_codes.hpp"

int main(int argc, char** argv) {
    using namespace avpost;
    using namespace avpost::tool;

    CLI::App app{"avpost: composite, transcode, fetch and archive AI talking-avatar renders"};
    app.require_subcommand(1);
    app.footer(exit_code_help());
    app.set_version_flag("--version", "avpost 0.1.0");
    GlobalOptions global;
    app.add_flag("-q,--quiet", global.quiet, "No progress and no warnings")->configurable(false);
    app.add_flag("--json", global.json, "Print one JSON object on stdout");
    app.add_flag("-v,--verbose", global.verbose, "Print debug diagnostics");
    app.fallthrough();

    std::map<CLI::App*, CommandRun> runners;
    for (const CommandSpec& spec : all_commands()) {
        CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
        sub->footer(exit_code_help());
        runners[sub] = spec.setup(*sub, global);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }

    log::set_level(global.verbose ? log::Level::debug : global.quiet ? log::Level::error : log::Level::warning);
    try {
        for (auto& [sub, run] : runners)
            if (sub->parsed()) return run();
        return exit_usage;
    } catch (const Error& e) {
        log::error(e.what());
        if (global.json)
            std::cout << nlohmann::json{{"error",
                                         {{"domain", to_string(e.domain())},
                                          {"context", e.context()},
                                          {"code", e.code()},
                                          {"message", e.what()}}}}
                             .dump()
                      << "\n";
        // The shell convention for "stopped by SIGINT".
        if (interrupted()) return 130;
        return exit_code_for(e);
    } catch (const std::exception& e) {
        log::error(e.what());
        return exit_failure;
    }
}
