#include "usage_errors.hpp"

#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"

namespace avpost::tool {
namespace {

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
    auto near = closest_match(word, known);
    return near ? " (did you mean " + *near + "?)" : "";
}

// The subcommand the user chose, deepest first ("archive sync"), or the app itself.
CLI::App* chosen(CLI::App& app) {
    CLI::App* at = &app;
    for (bool deeper = true; deeper;) {
        deeper = false;
        for (CLI::App* sub : at->get_subcommands()) {
            at = sub;
            deeper = true;
            break;
        }
    }
    return at;
}

std::string command_path(const CLI::App* app) {
    std::string path;
    for (const CLI::App* at = app; at && at->get_parent(); at = at->get_parent())
        path = at->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

// "--anchor", "-o", ... of `app` and of every command above it (global flags fall through).
std::vector<std::string> option_names(const CLI::App* app) {
    std::vector<std::string> names;
    for (const CLI::App* at = app; at; at = at->get_parent())
        for (const CLI::Option* option : at->get_options()) {
            for (const std::string& l : option->get_lnames()) names.push_back("--" + l);
            for (const std::string& s : option->get_snames()) names.push_back("-" + s);
        }
    return names;
}

// The subcommands --help shows (a hidden one, like help-man, has no group).
std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
        names.push_back(sub->get_name());
    return names;
}

bool is_subcommand(const CLI::App& app, const std::string& word) {
    return !app.get_subcommands([&](const CLI::App* s) { return s->get_name() == word; }).empty();
}

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : ", ") + w;
    return text;
}

}  // namespace

void refuse_unknown_subcommand(const CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word.starts_with('-')) continue;  // global flags take no values
        if (is_subcommand(app, word)) return;
        const std::vector<std::string> known = subcommand_names(app);
        throw_usage("unknown subcommand '" + word + "'" + did_you_mean(word, known) + " (one of: " + join(known) + ")");
    }
}

void refuse_extras(CLI::App& app) {
    const std::vector<std::string> extras = app.remaining(true);
    if (extras.empty()) return;
    const CLI::App* at = chosen(app);
    const std::string where = at == &app ? "" : " for " + command_path(at);
    const std::string& first = extras.front();
    if (first.starts_with('-') && first.size() > 1) {
        const std::string name = first.substr(0, first.find('='));
        throw_usage("unknown option '" + name + "'" + where + did_you_mean(name, option_names(at)) + " (avpost " +
                    command_path(at) + (at == &app ? "" : " ") + "--help lists them)");
    }
    std::string hint;
    if (at != &app && !at->get_subcommands([](const CLI::App*) { return true; }).empty())
        hint = did_you_mean(first, subcommand_names(*at));
    throw_usage("unexpected argument '" + first + "'" + where + hint);
}

std::string parse_error_text(CLI::App& app, const CLI::ParseError& error) {
    const CLI::App* at = chosen(app);
    const std::string command = command_path(at);
    std::string text = error.what();
    if (dynamic_cast<const CLI::RequiredError*>(&error) && text.starts_with("A subcommand"))
        return (command.empty() ? "a subcommand" : command + " needs a subcommand") + " (one of: " +
               join(subcommand_names(*at)) + "; avpost " + command + (command.empty() ? "" : " ") + "--help)";
    // A value the shell swallowed: `--background #ffffff` unquoted starts a comment. Options
    // that take a colour say so in their value name (COLOUR).
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) && text.starts_with("--")) {
        const std::string name = text.substr(0, text.find_first_of(" :"));
        const CLI::Option* option = at->get_option_no_throw(name);
        if (option && option->get_type_name().find("COLOUR") != std::string::npos)
            return name +
                   " needs a value (a colour is #RRGGBB, 0xRRGGBB, RRGGBB or a CSS name like white; an unquoted '#' "
                   "starts a shell comment, so write " + name + " '#ffffff')";
    }
    return (command.empty() ? "" : command + ": ") + text + " (avpost " + command + (command.empty() ? "" : " ") +
           "--help)";
}

}  // namespace avpost::tool
