#include "cli_reference.hpp"

#include <algorithm>
#include <functional>

#include "exit_codes.hpp"

namespace avpost::tool {
namespace {

// What `--help` shows: options and subcommands in a group (an empty group hides them).
std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}
std::vector<const CLI::Option*> visible_options(const CLI::App& app) {
    return app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

// Flags have no type name in --help ("--json"); options that take a value do ("--jobs INT").
bool takes_value(const CLI::Option& o) { return o.get_type_size_max() > 0 && !o.get_type_name().empty(); }

// "TEXT:{akool,a2v}" -> {"akool", "a2v"}: the values an IsMember check allows.
std::vector<std::string> allowed_values(const CLI::Option& o) {
    const std::string type = o.get_type_name();
    const auto open = type.find('{'), close = type.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open) return {};
    std::vector<std::string> values;
    std::string item;
    for (char c : type.substr(open + 1, close - open - 1)) {
        if (c == ',') {
            values.push_back(item);
            item.clear();
        } else if (c != ' ') {
            item += c;
        }
    }
    if (!item.empty()) values.push_back(item);
    return values;
}

std::vector<std::string> option_names(const CLI::Option& o) {
    std::vector<std::string> names;
    for (const std::string& s : o.get_snames()) names.push_back("-" + s);
    for (const std::string& l : o.get_lnames()) names.push_back("--" + l);
    return names;
}

// roff: backslashes escaped, hyphens as minus signs where they are option syntax, and no line
// starting with a control character.
std::string roff_text(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\') out += "\\e";
        else out += c;
        // A break point after a comma inside a long word (a JSON example, a list of values).
        if (c == ',' && i + 1 < text.size() && text[i + 1] != ' ') out += "\\:";
    }
    std::string safe;
    bool line_start = true;
    for (char c : out) {
        if (line_start && (c == '.' || c == '\'')) safe += "\\&";
        safe += c;
        line_start = c == '\n';
    }
    return safe;
}
std::string roff_option(const std::string& name) {
    std::string out;
    for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

void man_options(std::string& out, const CLI::App& app) {
    for (const CLI::Option* o : visible_options(app)) {
        out += ".TP\n";
        if (o->get_positional() && !o->nonpositional()) {
            out += "\\fI" + roff_text(o->get_name(true)) + "\\fR";
        } else {
            std::string names;
            for (const std::string& n : option_names(*o)) names += (names.empty() ? "" : ", ") + ("\\fB" + roff_option(n) + "\\fR");
            out += names;
            if (takes_value(*o)) out += " \\fI" + roff_text(o->get_type_name()) + "\\fR";
        }
        if (o->get_required()) out += " (required)";
        out += "\n" + roff_text(o->get_description().empty() ? "(no description)" : o->get_description()) + "\n";
    }
}

void man_command(std::string& out, const CLI::App& app, const std::string& path) {
    out += ".SS \"" + roff_text(path) + "\"\n" + roff_text(app.get_description()) + "\n";
    man_options(out, app);
    for (const CLI::App* sub : visible_subcommands(app)) man_command(out, *sub, path + " " + sub->get_name());
}

// Every command path ("", "archive", "archive ls", ...) with its subcommands and options.
struct CompletionNode {
    std::string path;
    std::vector<std::string> subcommands;
    std::vector<std::string> options;
    std::vector<std::pair<std::string, std::vector<std::string>>> value_sets;  // option name -> values
    std::vector<std::string> value_options;  // options whose value is free text (files)
    std::vector<std::string> positional_values;  // the values of positionals limited to a set
};

// A subcommand takes its parents' options too (the global ones, `archive --archive` under
// `archive ls`): CLI11 passes them up (fallthrough).
void completion_nodes(const CLI::App& app, const CompletionNode& inherited, std::vector<CompletionNode>& nodes) {
    CompletionNode node = inherited;
    node.subcommands.clear();
    node.positional_values.clear();
    for (const CLI::App* sub : visible_subcommands(app)) node.subcommands.push_back(sub->get_name());
    for (const CLI::Option* o : visible_options(app)) {
        const auto values = allowed_values(*o);
        if (!o->nonpositional()) {
            node.positional_values.insert(node.positional_values.end(), values.begin(), values.end());
            continue;
        }
        for (const std::string& n : option_names(*o)) {
            if (std::find(node.options.begin(), node.options.end(), n) != node.options.end()) continue;
            node.options.push_back(n);
            if (!values.empty()) node.value_sets.push_back({n, values});
            else if (takes_value(*o)) node.value_options.push_back(n);
        }
    }
    nodes.push_back(node);
    for (const CLI::App* sub : visible_subcommands(app)) {
        CompletionNode child = node;
        child.path = node.path.empty() ? sub->get_name() : node.path + " " + sub->get_name();
        completion_nodes(*sub, child, nodes);
    }
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}

}  // namespace

const std::vector<EnvironmentDoc>& environment_table() {
    static const std::vector<EnvironmentDoc> table = {
        {"AKOOL_API_KEY", "Akool API key (or AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET)."},
        {"AKOOL_CLIENT_ID", "Akool client id: with AKOOL_CLIENT_SECRET, for a token and to verify Akool's webhooks."},
        {"AKOOL_CLIENT_SECRET", "Akool client secret (never printed)."},
        {"A2V_TOKEN", "A2V API token (or A2V_USERNAME and A2V_PASSWORD)."},
        {"A2V_USERNAME", "A2V account name, with A2V_PASSWORD: account.login instead of a token."},
        {"A2V_PASSWORD", "A2V account password (never printed)."},
        {"AVPOST_AKOOL_BASE_URL", "Akool's API base URL (default https://openapi.akool.com; the sandbox prints its own)."},
        {"AVPOST_A2V_BASE_URL", "A2V's API base URL (default https://openapi.surreal-ai.com; the sandbox prints its own)."},
        {"AVPOST_HTTP_MAX_ATTEMPTS", "Attempts per vendor request before a network failure (exit 15)."},
        {"AVPOST_ARCHIVE", "The archive root (catalog.db and files) when --archive is not given; else "
                           "$XDG_DATA_HOME/avpost or ~/.local/share/avpost (run: OUTPUT/archive)."},
        {"XDG_DATA_HOME", "Parent of the default archive root."},
        {"AVPOST_CATALOG", "The archive catalog when --catalog is not given: a SQLite file or a PostgreSQL "
                           "connection URI (postgresql://...); default ROOT/catalog.db."},
        {"AVPOST_GALLERY_TOKEN", "serve: the gallery's access token (at least 16 characters; never printed). "
                                 "Without one the gallery answers loopback clients only."},
        {"AVPOST_S3_ENDPOINT", "S3 store endpoint (e.g. a local S3 server); default AWS."},
        {"AVPOST_S3_PART_SIZE", "S3 multipart upload part size in bytes."},
        {"AWS_ACCESS_KEY_ID", "S3 store credentials, with AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN."},
        {"AWS_SECRET_ACCESS_KEY", "S3 store secret key (never printed)."},
        {"AWS_SESSION_TOKEN", "S3 store session token, if any."},
        {"AWS_REGION", "S3 store region (else AWS_DEFAULT_REGION, else us-east-1)."},
        {"AWS_DEFAULT_REGION", "S3 store region when AWS_REGION is unset."},
        {"AVPOST_SANDBOX_AKOOL_SIZE", "sandbox: the default of --akool-size."},
        {"CI", "When set, no progress lines or wait displays (as off a terminal)."},
    };
    return table;
}

std::string man_page(const CLI::App& root) {
    std::string out;
    out += ".\\\" avpost.1: generated by `avpost help-man` from the program's option tables; do not edit.\n";
    out += ".TH AVPOST 1 \"\" \"avpost 0.1.0\" \"User Commands\"\n";
    out += ".ad l\n.nh\n";  // ragged right, no hyphenation: option names and JSON stay whole
    out += ".SH NAME\navpost \\- " + roff_text(root.get_description().substr(root.get_description().find(": ") + 2)) + "\n";
    out += ".SH SYNOPSIS\n.B avpost\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n";
    out += ".SH DESCRIPTION\n" + roff_text(root.get_description()) + ".\n.PP\n"
           "Each command below is one subcommand; `avpost COMMAND --help` shows the same options. "
           "With \\fB\\-\\-json\\fR a command prints one JSON object on stdout, in the shape its schema in "
           "docs/json/ documents (docs/json.md).\n";
    out += ".SH GLOBAL OPTIONS\nBefore or after the command.\n";
    man_options(out, root);
    out += ".SH COMMANDS\n";
    for (const CLI::App* sub : visible_subcommands(root)) man_command(out, *sub, "avpost " + sub->get_name());
    out += ".SH ENVIRONMENT\n";
    for (const EnvironmentDoc& e : environment_table()) out += ".TP\n.B " + std::string(e.name) + "\n" + roff_text(e.meaning) + "\n";
    out += ".SH EXIT STATUS\n";
    for (const ExitCodeDoc& e : exit_code_table())
        out += ".TP\n.B " + std::to_string(e.code) + "\n" + roff_text(e.meaning) + "\n";
    out += ".PP\n" + roff_text(exit_code_run_note()) + ".\n";
    out += ".SH FILES\n.TP\n.I catalog.db\nThe archive catalog, in the archive root.\n";
    out += ".SH SEE ALSO\n.BR ffmpeg (1),\n.BR ffprobe (1);\n"
           "README.md, docs/job.md (job files), docs/batch.md (job templates and rows), docs/json.md (\\-\\-json output).\n";
    return out;
}

std::string bash_completion(const CLI::App& root) {
    std::vector<CompletionNode> nodes;
    completion_nodes(root, CompletionNode{}, nodes);

    std::string out =
        "# bash completion for avpost, generated by `avpost completion bash` from its option tables.\n"
        "# Use: source <(avpost completion bash), or install as\n"
        "# share/bash-completion/completions/avpost.\n"
        "_avpost() {\n"
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev=\"\" path=\"\" word i\n"
        "    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        "    # The command path so far: each word that names a subcommand of the path before it.\n"
        "    for (( i = 1; i < COMP_CWORD; i++ )); do\n"
        "        word=${COMP_WORDS[i]}\n"
        "        case \"$path|$word\" in\n";
    for (const CompletionNode& n : nodes)
        for (const std::string& sub : n.subcommands)
            out += "            \"" + n.path + "|" + sub + "\") path=\"" + (n.path.empty() ? sub : n.path + " " + sub) + "\" ;;\n";
    out += "        esac\n"
           "    done\n"
           "    local words=\"\" files=0\n"
           "    case \"$path|$prev\" in\n";
    for (const CompletionNode& n : nodes) {
        for (const auto& [option, values] : n.value_sets)
            out += "        \"" + n.path + "|" + option + "\") words=\"" + joined(values) + "\" ;;\n";
        for (const std::string& option : n.value_options) out += "        \"" + n.path + "|" + option + "\") files=1 ;;\n";
    }
    out += "        *)\n"
           "            case \"$path\" in\n";
    for (const CompletionNode& n : nodes) {
        // `completion` itself is not offered (it is still recognised): whoever completes has it
        // installed already, and leaving it out keeps `avpost comp<TAB>` unambiguous (compose).
        std::vector<std::string> words;
        for (const std::string& sub : n.subcommands)
            if (sub != "completion") words.push_back(sub);
        words.insert(words.end(), n.positional_values.begin(), n.positional_values.end());
        out += "                \"" + n.path + "\") [[ $cur == -* ]] && words=\"" + joined(n.options) + "\" || words=\"" +
               joined(words) + "\"; [[ $cur == -* || -n \"$words\" ]] || files=1 ;;\n";
    }
    out += "            esac ;;\n"
           "    esac\n"
           "    if (( files )); then\n"
           "        COMPREPLY=( $(compgen -f -- \"$cur\") )\n"
           "    else\n"
           "        COMPREPLY=( $(compgen -W \"$words\" -- \"$cur\") )\n"
           "    fi\n"
           "}\n"
           "complete -o filenames -F _avpost avpost\n";
    return out;
}

}  // namespace avpost::tool
