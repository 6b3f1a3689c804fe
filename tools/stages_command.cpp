// `avpost stages`: the frame stages and the delivery sinks, from the registry
// (filters/registry.hpp): what each does, the formats a stage works in, the file a sink writes,
// whether it needs the avatar's matte and the options that shape it (the delivery option table's
// `shapes` column).
#include <iostream>

#include <nlohmann/json.hpp>

#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/filters/registry.hpp"
#include "command.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

namespace {

nlohmann::json registry_json() {
    nlohmann::json stages = nlohmann::json::array(), sinks = nlohmann::json::array();
    for (const auto& s : filters::all_stages())
        stages.push_back({{"name", s.name}, {"summary", s.summary}, {"pixel_format", s.pixel_format}, {"alpha", s.alpha}});
    for (const auto& s : filters::all_sinks()) {
        nlohmann::json options = nlohmann::json::array();
        for (std::string_view o : filters::options_shaping(s.preset)) options.push_back(o);
        sinks.push_back({{"name", s.name},
                         {"summary", s.summary},
                         {"file", "NAME" + std::string(s.file)},
                         {"needs_alpha", s.needs_alpha},
                         {"options", options}});
    }
    return {{"stages", stages}, {"sinks", sinks}};
}

void print_registry(std::ostream& out) {
    out << "Stages (per frame, in the order a composite meets them):\n";
    for (const auto& s : filters::all_stages())
        out << "  " << s.name << ": " << s.summary << "\n      pixels: " << s.pixel_format << "; alpha: " << s.alpha
            << "\n";
    out << "\nDelivery sinks (--deliver, deliver.presets):\n";
    for (const auto& s : filters::all_sinks()) {
        out << "  " << s.name << ": " << s.summary << "\n      writes NAME" << s.file
            << (s.needs_alpha ? "; needs the matte (--mask, or a source with alpha)" : "") << "\n      options:";
        for (std::string_view o : filters::options_shaping(s.preset)) out << " " << o;
        out << "\n";
    }
}

}  // namespace

CommandSpec stages_command() {
    return {"stages", "List the frame stages and the delivery sinks (presets) with what each makes",
            [](CLI::App&, const GlobalOptions& global) -> CommandRun {
                return [&global] {
                    if (global.json) std::cout << registry_json().dump() << "\n";
                    else print_registry(std::cout);
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
