#include "avpost/pipeline/job_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "avpost/core/colour_names.hpp"
#include "avpost/archive/webhook_outbox.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/file_stem.hpp"
#include "avpost/core/json_depth.hpp"
#include "avpost/net/akool_types.hpp"
#include "avpost/net/webhook_url.hpp"
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "avpost/pipeline/akool_key_backdrop.hpp"
#include "avpost/pipeline/encoder_preset.hpp"
#include "avpost/pipeline/job_compose.hpp"

namespace avpost::job {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One JSON object of the job being read, with its path for error messages ("source.a2v").
class ObjectReader {
public:
    ObjectReader(const json& object, std::string path, const std::string& file)
        : object_(object), path_(std::move(path)), file_(file) {}

    std::string path_of(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }

    [[noreturn]] void fail(std::string_view key, std::string_view why) const {
        throw_usage(file_ + ": " + (key.empty() ? (path_.empty() ? std::string("(top level)") : path_) : path_of(key)) +
                    ": " + std::string(why));
    }

    void only_keys(std::initializer_list<std::string_view> allowed) const {
        for (const auto& [key, value] : object_.items()) {
            bool known = false;
            for (std::string_view a : allowed) known = known || key == a;
            if (!known) {
                std::string list;
                for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
                fail(key, "unknown key (allowed: " + list + ")");
            }
        }
    }

    bool has(std::string_view key) const { return object_.contains(key); }
    const json& at(std::string_view key) const { return object_.at(key); }

    std::string required_string(std::string_view key) const {
        if (!has(key)) fail(key, "required string is missing");
        return string(key);
    }
    std::optional<std::string> optional_string(std::string_view key) const {
        if (!has(key)) return std::nullopt;
        return string(key);
    }
    double positive_number(std::string_view key, double fallback, double most = 1e9) const {
        if (!has(key)) return fallback;
        const json& v = at(key);
        if (!v.is_number()) fail(key, "must be a number, not " + type_name(v));
        if (v.get<double>() <= 0) fail(key, "must be greater than 0");
        if (v.get<double>() > most) {
            std::ostringstream limit;
            limit << most;
            fail(key, "must be at most " + limit.str());
        }
        return v.get<double>();
    }
    void expect_integer(std::string_view key) const {
        if (has(key) && !at(key).is_number_integer()) fail(key, "must be an integer, not " + type_name(at(key)));
    }
    void expect_number(std::string_view key) const {
        if (has(key) && !at(key).is_number()) fail(key, "must be a number, not " + type_name(at(key)));
    }
    void expect_boolean(std::string_view key) const {
        if (has(key) && !at(key).is_boolean()) fail(key, "must be true or false, not " + type_name(at(key)));
    }
    void expect_string(std::string_view key) const {
        if (has(key)) string(key);
    }
    ObjectReader object(std::string_view key) const {
        const json& v = at(key);
        if (!v.is_object()) fail(key, "must be an object, not " + type_name(v));
        return ObjectReader(v, path_of(key), file_);
    }

    static std::string type_name(const json& v) { return filters::json_type_name(v); }

    const json& value() const { return object_; }
    const std::string& path() const { return path_; }
    const std::string& file() const { return file_; }

private:
    std::string string(std::string_view key) const {
        const json& v = at(key);
        if (!v.is_string()) fail(key, "must be a string, not " + type_name(v));
        if (v.get<std::string>().empty()) fail(key, "must not be empty");
        return v.get<std::string>();
    }

    const json& object_;
    std::string path_;
    const std::string& file_;
};

// Every usage error of a job file, so one run reports them all: each part (and each value
// inside composite and deliver) is checked on its own, and one failing does not hide the next.
class Problems {
public:
    // Runs `check`; a usage error it throws is noted. Returns whether it passed.
    template <class F>
    bool attempt(F&& check) {
        try {
            check();
            return true;
        } catch (const Error& e) {
            if (e.domain() != ErrorDomain::usage) throw;
            lines_.emplace_back(e.what());
            return false;
        }
    }
    void add(std::string line) { lines_.push_back(std::move(line)); }
    bool empty() const { return lines_.empty(); }
    // One JobFileError holding every line, in the order found.
    [[noreturn]] void raise() const { throw JobFileError(lines_); }

private:
    std::vector<std::string> lines_;
};

// {"url": ..., "events": [...]}: where a queued job's completion webhooks go. Messages name the
// field, never the URL (its query may hold the receiver's token).
json read_notify(const ObjectReader& job, const ParseOptions& options) {
    ObjectReader n = job.object("notify");
    n.only_keys({"url", "events"});
    const std::string url = n.required_string("url");
    if (auto problem = net::webhook_url_problem(url, options.allow_private_webhooks)) n.fail("url", *problem);
    json notify = {{"url", url}};
    if (n.has("events")) {
        const json& events = n.at("events");
        if (!events.is_array()) n.fail("events", "must be an array of event types, not " + ObjectReader::type_name(events));
        std::string allowed;
        for (std::string_view t : archive::webhook_event_types) allowed += (allowed.empty() ? "" : ", ") + std::string(t);
        std::set<std::string> seen;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const std::string key = "events[" + std::to_string(i) + "]";
            if (!events[i].is_string() || !archive::is_webhook_event_type(events[i].get<std::string>()))
                n.fail(key, "must be one of: " + allowed);
            if (!seen.insert(events[i].get<std::string>()).second) n.fail(key, "is listed twice");
        }
        notify["events"] = events;
    }
    return notify;
}

bool is_colour(std::string_view text) { return text.size() == 7 && text[0] == '#'; }
bool is_url(std::string_view text) { return text.find("://") != std::string_view::npos; }

// A path from the job file: relative ones are relative to the job file's directory.
fs::path resolve(const fs::path& base, const std::string& text) {
    fs::path p(text);
    return p.is_absolute() ? p : (base / p).lexically_normal();
}

Source read_source(const ObjectReader& job, const fs::path& base) {
    if (!job.has("source")) job.fail("source", "required object is missing (one of a2v, akool, vendor_job, local)");
    ObjectReader source = job.object("source");
    source.only_keys({"a2v", "akool", "vendor_job", "local"});
    std::vector<std::string> given;
    for (const auto& [key, value] : source.value().items()) given.push_back(key);
    if (given.empty()) source.fail("", "give one of a2v, akool, vendor_job, local");
    if (given.size() > 1) source.fail("", "give exactly one source, not " + given[0] + " and " + given[1]);

    const std::string& kind = given.front();
    ObjectReader s = source.object(kind);
    if (kind == "a2v") {
        s.only_keys({"pose_id", "audio_url"});
        A2vSource a2v{s.required_string("pose_id"), s.required_string("audio_url")};
        if (!a2v.audio_url.starts_with("http://") && !a2v.audio_url.starts_with("https://"))
            s.fail("audio_url", "must be a public http(s) URL the vendor can download, not '" + a2v.audio_url +
                                    "' (upload a local file first)");
        return a2v;
    }
    if (kind == "akool") {
        s.only_keys({"width", "height", "avatar_from", "webhookUrl", "elements"});
        for (std::string_view key : {"width", "height", "avatar_from"}) {
            if (!s.has(key)) s.fail(key, "required integer is missing");
            s.expect_integer(key);
        }
        s.expect_string("webhookUrl");
        if (!s.has("elements")) s.fail("elements", "required array is missing");
        const json& elements = s.at("elements");
        if (!elements.is_array() || elements.empty()) s.fail("elements", "must be a non-empty array of elements");
        for (std::size_t i = 0; i < elements.size(); ++i) {
            std::string key = "elements[" + std::to_string(i) + "]";
            if (!elements[i].is_object()) s.fail(key, "must be an object");
            ObjectReader element(elements[i], s.path_of(key), s.file());
            element.only_keys({"type", "url", "avatar_id", "input_text", "voice_id", "scale_x", "scale_y", "offset_x",
                               "offset_y", "width", "height"});
            element.required_string("type");
            for (std::string_view text : {"url", "avatar_id", "input_text", "voice_id"}) element.expect_string(text);
            for (std::string_view number : {"scale_x", "scale_y", "offset_x", "offset_y", "width", "height"})
                element.expect_number(number);
        }
        try {
            (void)s.value().get<net::akool::TalkingAvatarRequest>();
        } catch (const json::exception& e) {
            s.fail("", e.what());
        }
        return AkoolSource{s.value(), {}};
    }
    if (kind == "vendor_job") {
        s.only_keys({"vendor", "id"});
        std::string vendor = s.required_string("vendor");
        if (vendor != "a2v" && vendor != "akool") s.fail("vendor", "must be \"a2v\" or \"akool\", not \"" + vendor + "\"");
        return VendorJobSource{net::parse_vendor(vendor), s.required_string("id")};
    }
    s.only_keys({"video", "mask"});
    LocalSource local{resolve(base, s.required_string("video")), {}};
    if (auto mask = s.optional_string("mask")) local.mask = resolve(base, *mask);
    return local;
}

// Layer and element sources that name local files are resolved; URLs and colours stay.
void resolve_scene_sources(json& list, std::string_view field, const fs::path& base) {
    for (json& item : list) {
        if (!item.is_object() || !item.contains(field) || !item[field].is_string()) continue;
        std::string text = item[field].get<std::string>();
        if (!text.empty() && !is_colour(text) && !is_url(text)) item[field] = resolve(base, text).string();
    }
}

// Each problem a table read found, as "FILE: PART.KEY: why".
void note_option_problems(Problems& problems, const ObjectReader& part, const std::vector<filters::OptionProblem>& found) {
    for (const filters::OptionProblem& p : found)
        problems.add(part.file() + ": " + (p.key.empty() ? part.path() : part.path_of(p.key)) + ": " + p.why);
}

// The composite's scene: one background (a file, a colour written any way, a URL, transparent),
// or layers, or Akool elements (as layers, on Akool's 4K canvas unless the job gives one).
void read_scene(const ObjectReader& c, const fs::path& base, filters::ComposeParams& params, Problems& problems) {
    problems.attempt([&] {
        int scenes = int(c.has("background")) + int(c.has("layers")) + int(c.has("elements"));
        if (scenes == 0) c.fail("", "give a background, layers or elements");
        if (scenes > 1) c.fail("", "give only one of background, layers and elements");
    });
    problems.attempt([&] {
        auto background = c.optional_string("background");
        if (!background) return;
        // A colour written another way (white, 0xffffff, ffffff) is a colour unless such a file exists.
        const fs::path file = resolve(base, *background);
        std::error_code ignored;
        if (*background == "transparent" || is_url(*background)) {
            params.background = *background;
            return;
        }
        // '#' starts only a colour: "#GG0000" is a mistyped one, named here, not a missing file.
        if (background->starts_with('#')) {
            auto colour = normalise_colour(*background);
            if (!colour) c.fail("background", "'" + *background + "' is not a colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name)");
            params.background = *colour;
            return;
        }
        auto colour = normalise_colour(*background);
        params.background = colour && !fs::exists(file, ignored) ? *colour : file.string();
    });
    for (std::string_view key : {"layers", "elements"}) {
        if (!c.has(key)) continue;
        problems.attempt([&] {
            json list = c.at(key);
            if (!list.is_array() || list.empty()) c.fail(key, "must be a non-empty array of objects");
            for (std::size_t i = 0; i < list.size(); ++i)
                if (!list[i].is_object())
                    c.fail(std::string(key) + "[" + std::to_string(i) + "]", "must be an object, not " + ObjectReader::type_name(list[i]));
            const bool layers = key == "layers";
            resolve_scene_sources(list, layers ? "source" : "url", base);
            try {
                params.layers = layers ? filters::layers_from_json(list) : filters::layers_from_akool_elements(list);
            } catch (const Error& e) {
                // "layers[1].offset: ..." inside the composite.
                throw_usage(c.file() + ": " + c.path() + "." + e.what());
            }
            if (!layers) params.canvas = filters::Size{3840, 2160};  // Akool's canvas, unless the job gives one
        });
    }
    problems.attempt([&] {
        if (c.has("layers") && !c.has("canvas")) c.fail("canvas", "a scene of layers needs a canvas size, e.g. \"3840x2160\"");
    });
    if (c.has("overlays"))
        problems.attempt([&] {
            json list = c.at("overlays");
            if (!list.is_array() || list.empty()) c.fail("overlays", "must be a non-empty array of layers");
            resolve_scene_sources(list, "source", base);
            try {
                params.overlays = filters::layers_from_json(list);
            } catch (const Error& e) {
                throw_usage(c.file() + ": " + c.path() + ".over" + std::string(e.what()));  // "layers[1]..." -> "overlays[1]..."
            }
            for (std::size_t i = 0; i < params.overlays.size(); ++i)
                if (params.overlays[i].type == filters::LayerType::avatar)
                    c.fail("overlays[" + std::to_string(i) + "]", "the avatar is not an overlay");
        });
}

// The composite part, its values read and checked by the compose option tables; nullopt when the
// job has none. `composite_file` gets the composite's own file name (empty: not kept).
std::optional<filters::ComposeParams> read_composite(const ObjectReader& job, const fs::path& base, const std::string& name,
                                                     std::string& composite_file, Problems& problems) {
    composite_file = name + "-composite.mp4";
    if (!job.has("composite")) return std::nullopt;
    ObjectReader c = job.object("composite");
    filters::ComposeParams params;
    read_scene(c, base, params, problems);
    // The layout table knows the encode table's keys and the scene's; the encode table is read
    // from the same object without judging keys twice.
    static const std::vector<std::string_view> scene_keys{"background", "layers", "elements", "overlays", "output", "preset"};
    filters::ReadOptions layout_read{base.string(), scene_keys};
    for (const auto& row : filters::encode_options().rows) layout_read.other_keys.push_back(row.key);
    note_option_problems(problems, c, filters::read_options(filters::layout_options(), c.value(), params, layout_read));
    // The music's file is a nested row: relative to the job file like every other path.
    if (params.music && !params.music->source.empty() && params.music->source.is_relative())
        params.music->source = resolve(base, params.music->source.string());
    filters::ReadOptions encode_read{base.string(), {}, false};
    note_option_problems(problems, c, filters::read_options(filters::encode_options(), c.value(), params, encode_read));
    problems.attempt([&] {
        if (!c.has("preset")) return;
        if (c.has("encoder_preset")) c.fail("preset", "give encoder_preset only (preset is its former name)");
        params.preset = c.required_string("preset");  // its former name
    });
    problems.attempt([&] {
        const std::string field = c.has("preset") ? "composite.preset" : "composite.encoder_preset";
        try {
            pipeline::check_encoder_preset(params.preset, params.vcodec, field, "list it in deliver.presets",
                                           "composite.encoder_preset");
        } catch (const Error& e) {
            throw_usage(c.file() + ": " + e.what());
        }
    });
    if (c.has("output")) {
        problems.attempt([&] {
            const json& o = c.at("output");
            if (o.is_null()) {
                composite_file.clear();
            } else if (o.is_boolean()) {
                // true: keep the composite under its default name even next to a web delivery.
                if (!o.get<bool>()) composite_file.clear();
            } else {
                std::string file = c.required_string("output");
                if (file.find('/') != std::string::npos || file.starts_with("."))
                    c.fail("output", "must be a file name inside the output directory (no '/', not hidden), or null");
                composite_file = file;
            }
        });
    }
    return params;
}

// The deliver part, read and checked by the delivery option table (every bad key reported, and
// left at its default); nullopt when there is none. Throws when the part itself cannot be read
// (not an object, no presets).
std::optional<filters::DeliveryOptions> read_deliver(const ObjectReader& job, const fs::path& base, const std::string& name,
                                                     Problems& problems) {
    if (!job.has("deliver")) return std::nullopt;
    ObjectReader d = job.object("deliver");
    if (!d.has("presets")) d.fail("presets", "required array is missing");
    if (!d.at("presets").is_array() || d.at("presets").empty())
        d.fail("presets", "must be a non-empty array of preset names");
    filters::DeliveryOptions options;
    options.name = name;
    filters::ReadOptions read;
    read.path_base = base.string();
    note_option_problems(problems, d, filters::read_options(filters::delivery_options(), d.value(), options, read));
    return options;
}

}  // namespace

std::string_view source_kind(const Source& source) {
    switch (source.index()) {
        case 0: return "a2v";
        case 1: return "akool";
        case 2: return "vendor_job";
        default: return "local";
    }
}

bool source_creates_render(const Source& source) {
    return std::holds_alternative<A2vSource>(source) || std::holds_alternative<AkoolSource>(source);
}

bool source_has_matte(const Source& source) {
    if (std::holds_alternative<A2vSource>(source)) return true;
    if (const auto* existing = std::get_if<VendorJobSource>(&source)) return existing->vendor == net::Vendor::a2v;
    if (const auto* local = std::get_if<LocalSource>(&source)) return !local->mask.empty();
    return false;
}

namespace {

std::string first_of(const std::vector<std::string>& lines) {
    if (lines.empty()) return "bad job file";
    if (lines.size() == 1) return lines.front();
    return lines.front() + " (and " + std::to_string(lines.size() - 1) + " more problem" + (lines.size() > 2 ? "s" : "") + ")";
}

}  // namespace

JobFileError::JobFileError(std::vector<std::string> lines)
    : Error(ErrorDomain::usage, first_of(lines), 0, {}), lines_(std::move(lines)) {}

void throw_job_error(const JobSpec& job, std::string_view path, std::string_view why) {
    throw_usage(job.file.string() + ": " + std::string(path) + ": " + std::string(why));
}

namespace {

std::string expand_text(const std::string& text, const std::string& where,
                        const std::function<std::optional<std::string>(const std::string&)>& environment) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out += text[i++];
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string::npos) throw_usage(where + ": unclosed ${ (write $${ for a literal one)");
        const std::string reference = text.substr(i + 2, close - i - 2);
        const std::size_t dash = reference.find(":-");
        const std::string name = reference.substr(0, dash);
        const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '_';
        });
        if (!valid) throw_usage(where + ": '${" + reference + "}' is not a variable reference");
        std::optional<std::string> value = environment(name);
        if (!value || value->empty()) {
            if (dash == std::string::npos) throw_usage(where + ": environment variable " + name + " is not set");
            value = reference.substr(dash + 2);
        }
        out += *value;
        i = close + 1;
    }
    return out;
}

json expand_value(const json& value, const std::string& file, const std::string& path,
                  const std::function<std::optional<std::string>(const std::string&)>& environment) {
    if (value.is_string())
        return expand_text(value.get<std::string>(), file + ": " + (path.empty() ? "(document)" : path), environment);
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [key, item] : value.items())
            out[key] = expand_value(item, file, path.empty() ? key : path + "." + key, environment);
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (std::size_t i = 0; i < value.size(); ++i)
            out.push_back(expand_value(value[i], file, path + "[" + std::to_string(i) + "]", environment));
        return out;
    }
    return value;
}

// Whether `text` names the environment: a "${" not written as the literal "$${".
bool names_environment(const std::string& text) {
    for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2))
        if (at == 0 || text[at - 1] != '$') return true;
    return false;
}

// Every string of `value` that names the environment, by its JSON pointer, as written.
void collect_references(const json& value, const json::json_pointer& at, std::vector<std::pair<std::string, std::string>>& out) {
    if (value.is_string() && names_environment(value.get<std::string>())) out.emplace_back(at.to_string(), value.get<std::string>());
    if (value.is_object())
        for (const auto& [key, item] : value.items()) collect_references(item, at / key, out);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i) collect_references(value[i], at / i, out);
}

std::optional<std::string> process_environment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
}

}  // namespace

json expand_environment(const json& document, const std::string& file,
                        const std::function<std::optional<std::string>(const std::string&)>& environment) {
    return expand_value(document, file, "", environment);
}

JobSpec parse_job(const json& raw_document, const fs::path& file, const ParseOptions& options) {
    const std::string file_text = file.string();
    if (!raw_document.is_object()) throw_usage(file_text + ": a job file holds one JSON object");
    // Before anything walks or copies it: a hostile nesting depth would overflow the stack.
    if (auto deep = json_nested_too_deep(raw_document))
        throw_usage(file_text + ": " + *deep + ": nested deeper than " + std::to_string(max_json_depth) + " levels");
    const json document =
        expand_environment(raw_document, file_text, options.environment ? options.environment : process_environment);
    ObjectReader job(document, "", file_text);
    Problems problems;
    problems.attempt([&] {
        job.only_keys({"$schema", "description", "name", "source", "composite", "deliver", "archive", "output", "wait",
                       "notify"});
    });
    problems.attempt([&] { job.expect_string("description"); });
    const fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");

    JobSpec spec;
    spec.file = file;
    collect_references(raw_document, json::json_pointer(), spec.environment_references);
    const bool named = problems.attempt([&] {
        spec.name = job.required_string("name");
        if (auto why = file_stem_problem(spec.name))
            job.fail("name", "must be letters, digits, '.', '_' and '-' (at most 100, not starting with '.'): " + *why);
    });
    const bool sourced = problems.attempt([&] { spec.source = read_source(job, base); });
    const bool composed = problems.attempt([&] {
        spec.composite = read_composite(job, base, spec.name, spec.composite_file, problems);
    });
    const bool delivered = problems.attempt([&] { spec.deliver = read_deliver(job, base, spec.name, problems); });
    // The web delivery is the composite as an H.264 MP4: a second, near-identical file beside it
    // is written only when composite.output asks for one.
    const auto delivers = [&](filters::Preset preset) {
        return spec.deliver && std::find(spec.deliver->presets.begin(), spec.deliver->presets.end(), preset) !=
                                   spec.deliver->presets.end();
    };
    if (spec.composite && !job.at("composite").contains("output") && delivers(filters::Preset::web))
        spec.composite_file.clear();

    // How the parts fit together, judged only from parts that were read. A deliver without a
    // composite delivers the render as it is (alpha presets need its matte: checked with the values).
    const bool has_composite = spec.composite.has_value();
    const bool keyed = has_composite && spec.composite->key;
    if (composed && delivered)
        problems.attempt([&] {
            if (has_composite && spec.composite_file.empty() && !spec.deliver)
                job.fail("composite.output", "is null or false but nothing is delivered: the composite would go nowhere");
        });
    if (composed && sourced && delivered)
        problems.attempt([&] {
            if (std::holds_alternative<LocalSource>(spec.source) && !has_composite && !spec.deliver)
                job.fail("composite", "a local source needs a composite or a deliver (there is nothing else to do with it)");
        });
    if (composed && sourced)
        problems.attempt([&] {
            // Compositing needs a matte: the render's own, or one keyed from its backdrop.
            if (!has_composite || keyed || source_has_matte(spec.source)) return;
            if (std::holds_alternative<LocalSource>(spec.source))
                job.fail("source.local.mask", "required string is missing (or give composite.key to pull the matte from "
                                              "the video's colour backdrop)");
            job.fail("composite", "an Akool render comes without a matte: give composite.key (\"auto\" or the "
                                  "backdrop colour, e.g. \"" + std::string(default_key_colour) + "\") to key it");
        });
    if (composed && sourced && keyed)
        if (auto* akool = std::get_if<AkoolSource>(&spec.source))
            problems.attempt([&] {
                try {
                    akool->added_key_backdrop = add_key_backdrop(akool->request, *spec.composite->key);
                } catch (const Error& e) {
                    job.fail("composite.key", e.what());
                }
            });

    if (job.has("notify")) problems.attempt([&] { spec.notify = read_notify(job, options); });
    if (job.has("wait"))
        problems.attempt([&] {
            ObjectReader w = job.object("wait");
            w.only_keys({"timeout_seconds", "interval_seconds"});
            spec.wait.timeout_seconds = w.positive_number("timeout_seconds", spec.wait.timeout_seconds, 7 * 86400);
            spec.wait.interval_seconds = w.positive_number("interval_seconds", spec.wait.interval_seconds, 3600);
        });
    problems.attempt([&] {
        if (auto output = job.optional_string("output")) {
            spec.output = resolve(base, *output);
            spec.output_given = true;
        } else {
            spec.output = (options.default_output_root / spec.name).lexically_normal();
        }
        std::error_code ignored;
        if (fs::exists(spec.output, ignored) && !fs::is_directory(spec.output, ignored))
            job.fail("output", "'" + spec.output.string() + "' is not a directory");
    });
    if (spec.deliver) spec.deliver->directory = spec.output;

    spec.archive.root = options.default_archive_root.empty() ? spec.output / "archive" : options.default_archive_root;
    if (job.has("archive"))
        problems.attempt([&] {
            ObjectReader a = job.object("archive");
            a.only_keys({"root", "store"});
            if (auto root = a.optional_string("root")) {
                spec.archive.root = resolve(base, *root);
                spec.archive_root_given = true;
                std::error_code ignored;
                if (fs::exists(spec.archive.root, ignored) && !fs::is_directory(spec.archive.root, ignored))
                    a.fail("root", "'" + spec.archive.root.string() + "' is not a directory (the archive root holds catalog.db)");
            }
            if (auto store = a.optional_string("store"))
                spec.archive.store = store->starts_with("s3://") ? *store : resolve(base, *store).string();
        });
    if (!job.has("archive") || !job.at("archive").is_object() || !job.at("archive").contains("root"))
        problems.attempt([&] {
            std::error_code ignored;
            if (fs::exists(spec.archive.root, ignored) && !fs::is_directory(spec.archive.root, ignored))
                throw_usage(file_text + ": archive.root: '" + spec.archive.root.string() +
                            "' (the default) is not a directory");
        });

    // The values inside composite and deliver (anchor, sizes, colours, presets, files), in the
    // same pass: every part that was read is judged, whatever else is wrong with the file. A name
    // that is not one stands in as "job" (the delivery stem and output paths derive from it).
    {
        JobSpec checked = spec;
        if (!named) {
            checked.name = "job";
            if (!job.has("output")) checked.output = (options.default_output_root / checked.name).lexically_normal();
        }
        pipeline::ReadParts parts;
        parts.source = sourced;
        parts.composite = composed;
        parts.deliver = delivered;
        parts.files = options.check_files;
        for (std::string& line : pipeline::job_value_problems(checked, parts)) problems.add(std::move(line));
    }
    if (!problems.empty()) problems.raise();
    return spec;
}

namespace {

// Where the parser is in the document ("wait.timeout_seconds", "composite.layers[2]"), kept
// from its events, so a value it cannot take (1e400 overflows a double) is named by its field.
class ParsePosition {
public:
    bool on_event(json::parse_event_t event, const json& parsed) {
        using E = json::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start:
                element_started();
                frames_.push_back({event == E::array_start, 0, {}});
                break;
            case E::object_end:
            case E::array_end:
                if (!frames_.empty()) frames_.pop_back();
                break;
            case E::key:
                if (!frames_.empty()) frames_.back().key = parsed.get<std::string>();
                break;
            case E::value: element_started(); break;
        }
        return true;
    }

    // The path of the value being read when the parser stopped.
    std::string path() const {
        std::string text;
        for (std::size_t i = 0; i < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            if (f.array) {
                // Inner arrays hold the element being read; the innermost one the next element.
                const std::size_t index = i + 1 == frames_.size() ? f.elements : f.elements - 1;
                text += "[" + std::to_string(index) + "]";
            } else if (!f.key.empty()) {
                text += (text.empty() ? "" : ".") + f.key;
            }
        }
        return text;
    }

private:
    struct Frame {
        bool array = false;
        std::size_t elements = 0;
        std::string key;
    };
    void element_started() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().elements;
    }
    std::vector<Frame> frames_;  // not recursion: nesting depth costs memory, never stack
};

}  // namespace

JobSpec parse_job_file(const fs::path& file, const ParseOptions& options) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_input("job file " + file.string(), "cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    json document;
    ParsePosition position;
    try {
        document = json::parse(text.str(), [&](int, json::parse_event_t event, json& parsed) {
            return position.on_event(event, parsed);
        });
    } catch (const json::exception& e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> the part after the tag.
        std::string what = e.what();
        auto tag_end = what.find("] ");
        what = tag_end == std::string::npos ? what : what.substr(tag_end + 2);
        // A number too large for a double is well-formed JSON that no field can take.
        if (e.id == 406) throw_usage(file.string() + ": " + position.path() + ": " + what + " (too large for a number)");
        throw_usage(file.string() + ": not valid JSON: " + what);
    }
    return parse_job(document, file, options);
}

}  // namespace avpost::job
