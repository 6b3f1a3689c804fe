#include "avpost/pipeline/job_api.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <mutex>
#include <optional>

#include "avpost/archive/gallery_access.hpp"
#include "avpost/archive/webhook_outbox.hpp"
#include "avpost/core/json_depth.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/webhook_url.hpp"
#include "avpost/pipeline/batch.hpp"
#include "avpost/pipeline/compose_files.hpp"
#include "avpost/pipeline/worker.hpp"
#include "job_api_problems.hpp"

namespace avpost::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;
using archive::QueueState;
using httplib::Request;
using httplib::Response;

namespace {

constexpr std::string_view api_prefix = "/api/v1/";
constexpr int default_per_page = 50;
constexpr int max_per_page = 200;
constexpr std::size_t max_idempotency_key = 255;

std::string job_url(std::int64_t id) { return "/api/v1/jobs/" + std::to_string(id); }
std::string batch_url(std::int64_t id) { return "/api/v1/batches/" + std::to_string(id); }

// A path segment of a URL: unreserved characters kept, every other byte %XX.
std::string url_segment(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
        else out += {'%', hex[c >> 4], hex[c & 15]};
    }
    return out;
}

std::optional<std::int64_t> id_of(const std::string& text) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

json time_or_null(const std::optional<std::int64_t>& t) {
    return t ? json(archive::iso8601(*t)) : json();
}

json text_or_null(const std::string& s) { return s.empty() ? json() : json(s); }

// Whether `path` (absolute) lies under `root` (absolute), symbolic links resolved as far as
// they exist, so a link inside the root cannot point a job outside it.
bool lies_under(const fs::path& path, const fs::path& root) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(path, ec).lexically_normal();
    const fs::path r = fs::weakly_canonical(root, ec).lexically_normal();
    auto [root_end, path_at] = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
    if (root_end == r.end()) return true;
    // "root/" normalises to a trailing empty element.
    return std::next(root_end) == r.end() && root_end->empty();
}

// Every local file a job reads or writes that it names itself (the server's defaults for its
// output and archive are the server's own choice).
std::vector<NamedFile> files_a_job_names(const job::JobSpec& spec) {
    std::vector<NamedFile> files;
    if (const auto* local = std::get_if<job::LocalSource>(&spec.source)) {
        files.push_back({"source.video", local->video});
        if (!local->mask.empty()) files.push_back({"source.mask", local->mask});
    }
    if (spec.composite)
        for (NamedFile& f : compose_inputs(*spec.composite)) files.push_back(std::move(f));
    if (spec.deliver && !spec.deliver->captions.empty()) files.push_back({"deliver.captions", spec.deliver->captions});
    if (spec.output_given) files.push_back({"output", spec.output, true});
    if (spec.archive_root_given) files.push_back({"archive.root", spec.archive.root, true});
    if (!spec.archive.store.empty() && !spec.archive.store.starts_with("s3://"))
        files.push_back({"archive.store", spec.archive.store, true});
    return files;
}

// "/composite/layers/2/text" -> "composite.layers[2].text", the CLI's way of naming a field.
std::string field_of_pointer(const std::string& pointer) {
    std::string out;
    std::size_t i = 1;
    while (i <= pointer.size() && !pointer.empty()) {
        std::size_t end = pointer.find('/', i);
        std::string token = pointer.substr(i, end == std::string::npos ? std::string::npos : end - i);
        const bool index = !token.empty() && std::all_of(token.begin(), token.end(), ::isdigit);
        if (index) out += "[" + token + "]";
        else out += (out.empty() ? "" : ".") + token;
        if (end == std::string::npos) break;
        i = end + 1;
    }
    return out;
}

// A job's or batch's completion webhooks: where each went (the URL without its query), its
// state and attempts.
json webhooks_json(const std::vector<archive::WebhookEvent>& events) {
    json out = json::array();
    for (const archive::WebhookEvent& e : events) out.push_back(archive::to_json(e));
    return out;
}

// A job's problems as the CLI prints them ("FILE: PATH: why"), as {path, detail} without the file.
json field_errors(const std::vector<std::string>& lines, const std::string& file) {
    json errors = json::array();
    for (std::string_view line : lines) {
        if (line.starts_with(file + ": ")) line.remove_prefix(file.size() + 2);
        std::string path;
        if (auto colon = line.find(": "); colon != std::string_view::npos &&
                                           line.substr(0, colon).find(' ') == std::string_view::npos) {
            path = std::string(line.substr(0, colon));
            line.remove_prefix(colon + 2);
        }
        errors.push_back({{"path", path}, {"detail", net::redact_text(line)}});
    }
    return errors;
}

}  // namespace

struct JobApi::State {
    JobApiOptions options;
    std::mutex mutex;  // one catalog connection, one statement at a time
    std::unique_ptr<archive::Catalog> catalog;

    // The caller of a request: which token (its id keeps its Idempotency-Keys apart) and scope.
    struct Caller {
        std::string id;
        archive::TokenScope scope = archive::TokenScope::read;
    };

    archive::Catalog& db() {
        if (!catalog) catalog = archive::open_catalog(options.catalog, options.catalog_options);
        return *catalog;
    }

    // Runs `f` on the catalog under the lock; a catalog failure drops the connection (the next
    // request opens another) and answers 503.
    template <class F>
    bool with_catalog(Response& res, F&& f) {
        std::lock_guard lock(mutex);
        try {
            f(db());
            return true;
        } catch (const Error& e) {
            if (!archive::is_catalog_error(e)) throw;
            catalog.reset();
            send_problem(res, 503, "catalog-unavailable", "The job queue is not reachable",
                         "the catalog failed: " + std::string(e.what()) + "; try again");
            res.set_header("Retry-After", "5");
            return false;
        }
    }

    std::optional<Caller> authorize(const Request& req, Response& res, archive::TokenScope needed) {
        if (options.tokens.empty()) {
            if (std::string why = archive::loopback_refusal(req); !why.empty()) {
                send_problem(res, 401, "unauthorized", "Not allowed", why);
                return std::nullopt;
            }
            return Caller{"loopback", archive::TokenScope::submit};
        }
        const std::string authorization = req.get_header_value("Authorization");
        constexpr std::string_view bearer = "Bearer ";
        if (authorization.size() <= bearer.size() ||
            !std::equal(bearer.begin(), bearer.end(), authorization.begin(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"avpost\"");
            send_problem(res, 401, "unauthorized", "A bearer token is needed",
                         "send Authorization: Bearer TOKEN (a token of the server's --token-file)");
            return std::nullopt;
        }
        std::optional<archive::AccessToken> token = options.tokens.find(std::string_view(authorization).substr(bearer.size()));
        if (!token) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"avpost\", error=\"invalid_token\"");
            send_problem(res, 401, "unauthorized", "The bearer token is not right", "the token is not one the server knows");
            return std::nullopt;
        }
        if (needed == archive::TokenScope::submit && token->scope != archive::TokenScope::submit) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"avpost\", error=\"insufficient_scope\", scope=\"submit\"");
            send_problem(res, 403, "forbidden", "This token may only read",
                         "submitting, cancelling and retrying need a token with the submit scope");
            return std::nullopt;
        }
        return Caller{token->id, token->scope};
    }

    // The request's JSON object, or an answer already sent (415, 413, 400).
    std::optional<json> read_object(const Request& req, Response& res) {
        const std::string type = req.get_header_value("Content-Type");
        const std::string_view media = std::string_view(type).substr(0, type.find(';'));
        if (media != "application/json") {
            // Also what keeps a web page's form (text/plain, no preflight) from submitting.
            send_problem(res, 415, "unsupported-media-type", "Send JSON", "the body must be Content-Type: application/json");
            return std::nullopt;
        }
        if (req.body.size() > options.max_body_bytes) {
            send_problem(res, 413, "too-large", "The body is too large",
                         "at most " + std::to_string(options.max_body_bytes) + " bytes");
            return std::nullopt;
        }
        json document;
        try {
            document = json::parse(req.body);
        } catch (const json::parse_error& e) {
            send_problem(res, 400, "malformed-json", "The body is not JSON", e.what());
            return std::nullopt;
        }
        if (auto deep = json_nested_too_deep(document)) {
            send_problem(res, 400, "too-deep", "The body nests too deeply",
                         *deep + " is nested more than " + std::to_string(max_json_depth) + " levels deep");
            return std::nullopt;
        }
        if (!document.is_object()) {
            send_problem(res, 422, "invalid-job", "The body is not a JSON object", "send one JSON object",
                         json::array({{{"path", ""}, {"detail", "must be an object"}}}));
            return std::nullopt;
        }
        return document;
    }

    // The checks a submitted job passes beyond `avpost submit`'s: no environment references, no
    // local file outside the job root.
    json confinement_errors(const job::JobSpec& spec) const {
        json errors = json::array();
        for (const auto& [pointer, text] : spec.environment_references)
            errors.push_back({{"path", field_of_pointer(pointer)},
                              {"detail", "environment references (${...}) are not accepted over the API"}});
        for (const NamedFile& f : files_a_job_names(spec))
            if (!lies_under(f.path.is_absolute() ? f.path : options.job_root / f.path, options.job_root))
                errors.push_back({{"path", f.role}, {"detail", "must lie under the server's job root"}});
        return errors;
    }

    // Checks without the server's environment: a client never reads the server's secrets.
    RunOptions checks() const {
        RunOptions run = options.checks;
        run.parse.environment = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
        run.parse.allow_private_webhooks = options.allow_private_webhooks;
        return run;
    }

    // The job of a request body checked: its name and the spec to queue, or 422 field errors.
    std::optional<std::pair<std::string, json>> check_job(const json& document, Response& res) {
        const fs::path file = options.job_root / "job.json";
        json errors;
        try {
            job::JobSpec spec = read_job(document, file, checks());
            errors = confinement_errors(spec);
            if (errors.empty())
                return std::make_pair(spec.name, queued_job_spec(file, job::canonical_job_document(spec), spec.notify));
        } catch (const job::JobFileError& e) {
            errors = field_errors(e.lines(), file.string());
        } catch (const Error& e) {
            if (e.domain() != ErrorDomain::usage && e.domain() != ErrorDomain::input) throw;
            errors = field_errors({e.what()}, file.string());
        }
        send_problem(res, 422, "invalid-job", "The job is not valid",
                     std::to_string(errors.size()) + " problem" + (errors.size() == 1 ? "" : "s") + " (see errors)",
                     errors);
        return std::nullopt;
    }

    // Runs a POST handler with the Idempotency-Key rule: the same key and body again gets the
    // kept answer; the same key with another body 409.
    void idempotent(const Request& req, Response& res, const Caller& caller, const std::function<void()>& handle) {
        const std::string key = req.get_header_value("Idempotency-Key");
        if (key.empty()) return handle();
        if (key.size() > max_idempotency_key ||
            !std::all_of(key.begin(), key.end(), [](unsigned char c) { return c > 32 && c < 127; })) {
            send_problem(res, 400, "bad-idempotency-key", "The Idempotency-Key is not valid",
                         "1 to " + std::to_string(max_idempotency_key) + " printable ASCII characters");
            return;
        }
        const std::string request_sha256 = sha256_hex(req.method + " " + req.path + "\n" + req.body);
        std::optional<archive::ApiAnswer> kept;
        if (!with_catalog(res, [&](archive::Catalog& c) { kept = c.api_answer(caller.id, key); })) return;
        if (!kept) {
            handle();
            // Server trouble is not an answer to keep: the same request may well succeed later.
            if (res.status >= 500) return;
            archive::ApiAnswer mine{request_sha256, res.status, res.body};
            if (!with_catalog(res, [&](archive::Catalog& c) { kept = c.remember_api_answer(caller.id, key, mine); }))
                return;
            if (kept->request_sha256 == request_sha256 && kept->body == res.body) return;
        }
        if (kept->request_sha256 != request_sha256) {
            res.headers.erase("Location");
            send_problem(res, 409, "idempotency-key-reused", "The Idempotency-Key was used for another request",
                         "a key stands for one request: send a new key for a new body");
            return;
        }
        res.headers.erase("Location");
        res.status = kept->status;
        res.set_content(kept->body, kept->status >= 400 ? problem_content_type : "application/json");
        res.set_header("Idempotent-Replayed", "true");
    }

    json job_view(archive::Catalog& c, const archive::QueuedJob& j) {
        json stages = json::array(), outputs = json::array();
        for (const char* name : job_stage_names) {
            std::optional<archive::StageRecord> record = c.find_stage(j.name, name);
            if (!record) continue;
            stages.push_back({{"name", name}, {"finished_at", archive::iso8601(record->finished_at)}});
            if (std::string_view(name) != "archive" || !record->result.contains("assets")) continue;
            for (const json& a : record->result["assets"]) {
                const std::int64_t asset = a.value("asset_id", std::int64_t{0});
                const std::string file = a.value("name", std::string());
                outputs.push_back({{"name", file},
                                   {"kind", a.value("kind", std::string())},
                                   {"bytes", a.value("size", std::int64_t{0})},
                                   {"sha256", a.value("sha256", std::string())},
                                   {"url", "/files/" + std::to_string(asset) + "/" + url_segment(file)}});
            }
        }
        const std::string self = job_url(j.id);
        archive::WebhookQuery of_job;
        of_job.job_id = j.id;
        return {{"id", j.id},
                {"name", j.name},
                {"state", std::string(archive::to_string(j.state))},
                {"attempts", j.attempts},
                {"max_attempts", j.max_attempts},
                {"stage", text_or_null(j.stage)},
                {"worker", text_or_null(j.worker.empty() ? j.last_worker : j.worker)},
                {"error", j.last_error.empty() ? json() : json(net::redact_text(j.last_error))},
                {"submitted_at", archive::iso8601(j.submitted_at)},
                {"updated_at", archive::iso8601(j.updated_at)},
                {"finished_at", time_or_null(j.finished_at)},
                {"stages", stages},
                {"outputs", outputs},
                {"webhooks", webhooks_json(c.webhook_events(of_job))},
                {"links", {{"self", self}, {"cancel", self + "/cancel"}, {"retry", self + "/retry"}}}};
    }

    json job_summary(const archive::QueuedJob& j) {
        return {{"id", j.id},
                {"name", j.name},
                {"state", std::string(archive::to_string(j.state))},
                {"attempts", j.attempts},
                {"error", j.last_error.empty() ? json() : json(net::redact_text(j.last_error))},
                {"submitted_at", archive::iso8601(j.submitted_at)},
                {"finished_at", time_or_null(j.finished_at)},
                {"links", {{"self", job_url(j.id)}}}};
    }

    // --- routes -------------------------------------------------------------------------------

    void post_job(const Request& req, Response& res) {
        auto caller = authorize(req, res, archive::TokenScope::submit);
        if (!caller) return;
        idempotent(req, res, *caller, [&] {
            auto document = read_object(req, res);
            if (!document) return;
            auto job = check_job(*document, res);
            if (!job) return;
            archive::SubmitResult r;
            if (!with_catalog(res, [&](archive::Catalog& c) { r = c.submit_job(job->first, job->second, options.max_attempts); }))
                return;
            res.status = r.created ? 201 : 200;
            res.set_header("Location", job_url(r.id));
            res.set_content(json{{"id", r.id},
                                 {"name", job->first},
                                 {"state", std::string(archive::to_string(r.state))},
                                 {"created", r.created},
                                 {"links", {{"self", job_url(r.id)}}}}
                                .dump(),
                            "application/json");
        });
    }

    void post_batch(const Request& req, Response& res) {
        auto caller = authorize(req, res, archive::TokenScope::submit);
        if (!caller) return;
        idempotent(req, res, *caller, [&] {
            auto body = read_object(req, res);
            if (!body) return;
            json errors = json::array();
            for (const auto& [key, value] : body->items())
                if (key != "template" && key != "rows" && key != "notify")
                    errors.push_back({{"path", key}, {"detail", "unknown field (template, rows, notify)"}});
            if (!body->contains("template") || !(*body)["template"].is_object())
                errors.push_back({{"path", "template"}, {"detail", "must be a job template (a JSON object)"}});
            if (!body->contains("rows") || !(*body)["rows"].is_array() || (*body)["rows"].empty())
                errors.push_back({{"path", "rows"}, {"detail", "must be an array of row objects, at least one"}});
            else if ((*body)["rows"].size() > static_cast<std::size_t>(options.max_batch_rows))
                errors.push_back({{"path", "rows"},
                                  {"detail", "at most " + std::to_string(options.max_batch_rows) + " rows a batch"}});
            json notify = body->value("notify", json());
            if (!notify.is_null())
                for (json& e : notify_errors(notify, "notify")) errors.push_back(std::move(e));
            if (!errors.empty()) {
                send_problem(res, 422, "invalid-batch", "The batch is not valid", "see errors", errors);
                return;
            }
            const fs::path template_file = options.job_root / "template.json";
            std::vector<archive::BatchJob> jobs;
            std::string batch_name;
            try {
                const RunOptions run = checks();
                BatchPlan plan = plan_batch((*body)["template"], template_file, rows_from_json((*body)["rows"], "rows"),
                                            run.parse);
                batch_name = plan.name;
                for (const BatchJob& job : plan.jobs) {
                    for (json& e : confinement_errors(job.spec)) {
                        e["row"] = job.line;
                        errors.push_back(std::move(e));
                    }
                    jobs.push_back({job.spec.name, queued_job_spec(template_file, job::canonical_job_document(job.spec),
                                                                   job.spec.notify)});
                }
            } catch (const BatchError& e) {
                for (const BatchProblem& p : e.problems())
                    errors.push_back({{"row", p.line}, {"path", p.path}, {"detail", net::redact_text(p.message)}});
            } catch (const Error& e) {
                if (e.domain() != ErrorDomain::usage && e.domain() != ErrorDomain::input) throw;
                errors.push_back({{"row", 0}, {"path", ""}, {"detail", net::redact_text(e.what())}});
            }
            if (!errors.empty()) {
                send_problem(res, 422, "invalid-batch", "The batch is not valid",
                             std::to_string(errors.size()) + " problem" + (errors.size() == 1 ? "" : "s") +
                                 " (see errors; row 0 is the template)",
                             errors);
                return;
            }
            archive::BatchSubmitResult r;
            if (!with_catalog(res, [&](archive::Catalog& c) { r = c.submit_batch(batch_name, notify, jobs, options.max_attempts); }))
                return;
            json listed = json::array();
            for (std::size_t i = 0; i < r.jobs.size(); ++i)
                listed.push_back({{"id", r.jobs[i].id},
                                  {"name", jobs[i].name},
                                  {"state", std::string(archive::to_string(r.jobs[i].state))},
                                  {"created", r.jobs[i].created},
                                  {"links", {{"self", job_url(r.jobs[i].id)}}}});
            res.status = 201;
            res.set_header("Location", batch_url(r.batch_id));
            res.set_content(json{{"id", r.batch_id},
                                 {"name", batch_name},
                                 {"jobs", listed},
                                 {"links", {{"self", batch_url(r.batch_id)}}}}
                                .dump(),
                            "application/json");
        });
    }

    void get_jobs(const Request& req, Response& res) {
        if (!authorize(req, res, archive::TokenScope::read)) return;
        std::optional<QueueState> state;
        if (req.has_param("state")) {
            try {
                state = archive::queue_state_from_string(req.get_param_value("state"));
            } catch (const Error&) {
                send_problem(res, 400, "bad-parameter", "Unknown state",
                             "state is one of queued, running, done, failed, cancelled");
                return;
            }
        }
        auto number = [&](const char* name, int fallback, int lo, int hi) -> std::optional<int> {
            if (!req.has_param(name)) return fallback;
            const std::string text = req.get_param_value(name);
            int value = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
                send_problem(res, 400, "bad-parameter", std::string("Bad ") + name,
                             std::string(name) + " is a whole number from " + std::to_string(lo) + " to " +
                                 std::to_string(hi));
                return std::nullopt;
            }
            return value;
        };
        auto page = number("page", 1, 1, 1000000);
        if (!page) return;
        auto per_page = number("per_page", default_per_page, 1, max_per_page);
        if (!per_page) return;
        archive::QueuePage found;
        if (!with_catalog(res, [&](archive::Catalog& c) {
                found = c.queued_jobs_page(state, static_cast<std::int64_t>(*page - 1) * *per_page, *per_page);
            }))
            return;
        json jobs = json::array();
        for (const archive::QueuedJob& j : found.jobs) jobs.push_back(job_summary(j));
        res.set_content(json{{"jobs", jobs},
                             {"page", *page},
                             {"per_page", *per_page},
                             {"total", found.total},
                             {"pages", (found.total + *per_page - 1) / *per_page}}
                            .dump(),
                        "application/json");
    }

    // The job the path names, or 404 (and nullopt).
    std::optional<std::int64_t> job_id_of(const Request& req, Response& res) {
        std::optional<std::int64_t> id = id_of(req.matches[1]);
        if (!id) send_problem(res, 404, "not-found", "No such job", "job ids are whole numbers from 1");
        return id;
    }

    void get_job(const Request& req, Response& res) {
        if (!authorize(req, res, archive::TokenScope::read)) return;
        auto id = job_id_of(req, res);
        if (!id) return;
        json view;
        bool found = true;
        if (!with_catalog(res, [&](archive::Catalog& c) {
                std::optional<archive::QueuedJob> job = find_job(c, *id);
                if (!job) found = false;
                else view = job_view(c, *job);
            }))
            return;
        if (!found) return send_problem(res, 404, "not-found", "No such job", "job " + std::to_string(*id) + " is not in the queue");
        res.set_content(view.dump(), "application/json");
    }

    static std::optional<archive::QueuedJob> find_job(archive::Catalog& c, std::int64_t id) {
        try {
            return c.queued_job(id);
        } catch (const Error& e) {
            if (e.domain() != ErrorDomain::input) throw;
            return std::nullopt;
        }
    }

    void decide(const Request& req, Response& res, bool cancelling) {
        auto caller = authorize(req, res, archive::TokenScope::submit);
        if (!caller) return;
        auto id = job_id_of(req, res);
        if (!id) return;
        idempotent(req, res, *caller, [&] {
            std::optional<archive::QueuedJob> before;
            json view;
            bool changed = false;
            if (!with_catalog(res, [&](archive::Catalog& c) {
                    before = find_job(c, *id);
                    if (!before) return;
                    changed = cancelling ? c.cancel_job(*id) : c.retry_job(*id);
                    if (changed) view = job_view(c, c.queued_job(*id));
                }))
                return;
            if (!before)
                return send_problem(res, 404, "not-found", "No such job", "job " + std::to_string(*id) + " is not in the queue");
            if (!changed)
                return send_problem(res, 409, "wrong-state",
                                    cancelling ? "The job cannot be cancelled" : "The job cannot be retried",
                                    "job " + std::to_string(*id) + " is " + std::string(archive::to_string(before->state)) +
                                        (cancelling ? ": only a queued or running job can be cancelled"
                                                    : ": only a failed or cancelled job can be retried"));
            res.set_content(view.dump(), "application/json");
        });
    }

    void get_batch(const Request& req, Response& res) {
        if (!authorize(req, res, archive::TokenScope::read)) return;
        std::optional<std::int64_t> id = id_of(req.matches[1]);
        if (!id) return send_problem(res, 404, "not-found", "No such batch", "batch ids are whole numbers from 1");
        json view;
        bool found = true;
        if (!with_catalog(res, [&](archive::Catalog& c) {
                archive::BatchRecord b;
                try {
                    b = c.batch(*id);
                } catch (const Error& e) {
                    if (e.domain() != ErrorDomain::input) throw;
                    found = false;
                    return;
                }
                json counts = json::object(), jobs = json::array();
                for (QueueState s : {QueueState::queued, QueueState::running, QueueState::done, QueueState::failed,
                                     QueueState::cancelled})
                    counts[std::string(archive::to_string(s))] = 0;
                for (std::int64_t job_id : b.job_ids) {
                    archive::QueuedJob j = c.queued_job(job_id);
                    counts[std::string(archive::to_string(j.state))] = counts[std::string(archive::to_string(j.state))].get<int>() + 1;
                    jobs.push_back(job_summary(j));
                }
                archive::WebhookQuery of_batch;
                of_batch.batch_id = b.id;
                view = {{"id", b.id},
                        {"name", b.name},
                        {"state", b.finished_at ? "finished" : "running"},
                        {"created_at", archive::iso8601(b.created_at)},
                        {"finished_at", time_or_null(b.finished_at)},
                        {"counts", counts},
                        {"jobs", jobs},
                        {"webhooks", webhooks_json(c.webhook_events(of_batch))},
                        {"links", {{"self", batch_url(b.id)}}}};
            }))
            return;
        if (!found) return send_problem(res, 404, "not-found", "No such batch", "batch " + std::to_string(*id) + " does not exist");
        res.set_content(view.dump(), "application/json");
    }

    // The notify object of a batch (a job's own is checked with the job): {url, events}.
    json notify_errors(const json& notify, const std::string& path) const {
        json errors = json::array();
        if (!notify.is_object()) {
            errors.push_back({{"path", path}, {"detail", "must be an object {url, events}"}});
            return errors;
        }
        for (const auto& [key, value] : notify.items())
            if (key != "url" && key != "events")
                errors.push_back({{"path", path + "." + key}, {"detail", "unknown field (url, events)"}});
        if (!notify.contains("url") || !notify["url"].is_string())
            errors.push_back({{"path", path + ".url"}, {"detail", "must be an http or https URL"}});
        else if (auto why = net::webhook_url_problem(notify["url"].get<std::string>(), options.allow_private_webhooks))
            errors.push_back({{"path", path + ".url"}, {"detail", *why}});
        if (notify.contains("events")) {
            const json& events = notify["events"];
            if (!events.is_array())
                errors.push_back({{"path", path + ".events"}, {"detail", "must be an array of event names"}});
            else
                for (std::size_t i = 0; i < events.size(); ++i)
                    if (!events[i].is_string() || !archive::is_webhook_event_type(events[i].get<std::string>()))
                        errors.push_back({{"path", path + ".events[" + std::to_string(i) + "]"},
                                          {"detail", "one of " + event_types()}});
        }
        return errors;
    }

    static std::string event_types() {
        std::string list;
        for (std::string_view t : archive::webhook_event_types) list += (list.empty() ? "" : ", ") + std::string(t);
        return list;
    }
};

JobApi::JobApi(JobApiOptions options) : state_(std::make_unique<State>()) {
    if (!options.job_root.is_absolute()) options.job_root = fs::absolute(options.job_root);
    options.job_root = options.job_root.lexically_normal();
    state_->options = std::move(options);
}

JobApi::~JobApi() = default;

void JobApi::install(httplib::Server& server) {
    State& s = *state_;
    auto guarded = [](auto handler) {
        return [handler](const Request& req, Response& res) {
            try {
                handler(req, res);
            } catch (const std::exception& e) {
                res.headers.erase("Location");
                send_problem(res, 500, "internal", "The server failed", net::redact_text(e.what()));
            }
        };
    };
    server.Get("/api/v1/openapi.json", [](const Request&, Response& res) {
        res.set_content(std::string(openapi_document()), "application/json");
        res.set_header("Cache-Control", "no-cache");
    });
    server.Post("/api/v1/jobs", guarded([&s](const Request& q, Response& r) { s.post_job(q, r); }));
    server.Get("/api/v1/jobs", guarded([&s](const Request& q, Response& r) { s.get_jobs(q, r); }));
    server.Get(R"(/api/v1/jobs/([^/]+))", guarded([&s](const Request& q, Response& r) { s.get_job(q, r); }));
    server.Post(R"(/api/v1/jobs/([^/]+)/cancel)", guarded([&s](const Request& q, Response& r) { s.decide(q, r, true); }));
    server.Post(R"(/api/v1/jobs/([^/]+)/retry)", guarded([&s](const Request& q, Response& r) { s.decide(q, r, false); }));
    server.Post("/api/v1/batches", guarded([&s](const Request& q, Response& r) { s.post_batch(q, r); }));
    server.Get(R"(/api/v1/batches/([^/]+))", guarded([&s](const Request& q, Response& r) { s.get_batch(q, r); }));
    // What no route answered under /api/v1/, and bodies httplib refused itself, as problems too.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const Request& req, Response& res) {
        if (!req.path.starts_with(api_prefix) || !res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) send_problem(res, 404, "not-found", "No such route", "see /api/v1/openapi.json");
        else if (res.status == 413) send_problem(res, 413, "too-large", "The body is too large", "");
        else send_problem(res, res.status, "", "HTTP " + std::to_string(res.status), "");
        return httplib::Server::HandlerResponse::Handled;
    }));
}

}  // namespace avpost::pipeline
