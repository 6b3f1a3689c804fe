#include "avpost/pipeline/job_runner.hpp"

#include <chrono>
#include <thread>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/filters/compose.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/pipeline/job_archiving.hpp"
#include "avpost/pipeline/job_compose.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "1 file", "2 files".
std::string count_of(std::size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string fingerprint(const json& inputs) { return sha256_hex(inputs.dump()); }

json file_entry(const std::string& kind, const fs::path& path, const fs::path& output_dir, const std::string& preset = {}) {
    FileDigest d = sha256_file(path);
    json entry = {{"kind", kind}, {"path", path.lexically_relative(output_dir).string()}, {"size", d.size},
                  {"sha256", d.sha256}};
    if (!preset.empty()) entry["preset"] = preset;
    return entry;
}

// The files a stage recorded are still there with the recorded size and content.
bool files_intact(const json& files, const fs::path& output_dir) {
    for (const json& f : files) {
        fs::path p = output_dir / f.at("path").get<std::string>();
        std::error_code ec;
        if (!fs::is_regular_file(p, ec) || std::int64_t(fs::file_size(p, ec)) != f.at("size").get<std::int64_t>())
            return false;
        if (sha256_file(p).sha256 != f.at("sha256").get<std::string>()) return false;
    }
    return true;
}

// Tries at recording a render the vendor has made, through catalog failures.
constexpr int render_record_tries = 3;

class JobRun {
public:
    JobRun(const job::JobSpec& spec, const RunOptions& options, JobReport& report)
        : spec_(spec), options_(options), report_(report), observer_(options.observer ? *options.observer : no_observer_),
          session_(options.env), catalog_(archive::open_catalog(archive::catalog_location(options.catalog, spec.archive.root))) {}

    void run() {
        stage("render", [this] { return render(); });
        stage("wait", [this] { return wait(); });
        stage("fetch", [this] { return fetch(); });
        stage("compose", [this] { return compose(); });
        stage("archive", [this] { return archive(); });
    }

    // The report's output list, from what the stages recorded.
    void collect_outputs() {
        for (const json* list : {&source_files_, &made_files_})
            for (const json& f : *list) {
                JobOutputFile o;
                o.kind = f.at("kind").get<std::string>();
                o.preset = f.value("preset", std::string());
                o.path = f.contains("absolute") ? fs::path(f["absolute"].get<std::string>())
                                                : spec_.output / f.at("path").get<std::string>();
                o.size = f.at("size").get<std::int64_t>();
                o.sha256 = f.at("sha256").get<std::string>();
                report_.outputs.push_back(std::move(o));
            }
    }

private:
    // Runs one stage, timing it; the body returns its status ("ran", "skipped", "none").
    template <class Body>
    void stage(const std::string& name, Body body) {
        throw_if_interrupted();
        observer_.checkpoint();
        StageReport& s = report_.stages.emplace_back(StageReport{name, "failed", 0, {}});
        current_ = &s;
        observer_.stage_started(spec_.name, name);
        auto started = std::chrono::steady_clock::now();
        auto finish_failed = [&] {
            s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            observer_.stage_finished(spec_.name, s);
        };
        try {
            s.status = body();
        } catch (const std::exception& e) {
            if (s.detail.empty()) s.detail = e.what();  // the summary's detail column says why it failed
            finish_failed();
            throw;
        } catch (...) {
            finish_failed();
            throw;
        }
        s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        observer_.stage_finished(spec_.name, s);
    }

    void detail(std::string text) { current_->detail = std::move(text); }

    // The recorded result of a stage when it may be skipped: same inputs, files intact.
    std::optional<json> done_before(const std::string& stage, const std::string& print) {
        if (options_.force) return std::nullopt;
        auto record = catalog_->find_stage(spec_.name, stage);
        if (!record || record->fingerprint != print) return std::nullopt;
        if (record->result.contains("files") && !files_intact(record->result["files"], spec_.output)) {
            log::info(spec_.name + ": " + stage + " output changed or missing: making it again");
            return std::nullopt;
        }
        return record->result;
    }

    void finished(const std::string& stage, const std::string& print, const json& result) {
        archive::StageRecord r;
        r.job_key = spec_.name;
        r.stage = stage;
        r.fingerprint = print;
        r.result = result;
        observer_.checkpoint();
        if (!options_.lease) return catalog_->record_stage(r);
        if (!catalog_->record_stage(r, *options_.lease)) lease_refused("record its " + stage + " stage");
    }

    void forget(const std::string& stage) {
        if (!options_.lease) return catalog_->forget_stage(spec_.name, stage);
        if (!catalog_->forget_stage(spec_.name, stage, *options_.lease)) lease_refused("forget its " + stage + " stage");
    }

    [[noreturn]] void lease_refused(const std::string& what) const {
        throw archive::ClaimLost(ErrorDomain::system, spec_.name + ": " + what, 0,
                                 "the catalog refused the write: queued job " + std::to_string(options_.lease->job_id) +
                                     " is no longer held by this lease (taken over or cancelled)");
    }

    std::string render() {
        json inputs;
        json request;  // as recorded in the catalog: links without their signatures
        if (auto* a2v = std::get_if<job::A2vSource>(&spec_.source)) {
            vendor_ = net::Vendor::a2v;
            inputs = {{"a2v", {{"pose_id", a2v->pose_id}, {"audio_url", a2v->audio_url}}}};
            request = {{"pose_id", a2v->pose_id}, {"audio_url", archive::redact_url(a2v->audio_url)}};
        } else if (auto* akool = std::get_if<job::AkoolSource>(&spec_.source)) {
            vendor_ = net::Vendor::akool;
            inputs = {{"akool", akool->request}};
            request = akool->request;
            if (request.contains("webhookUrl"))
                request["webhookUrl"] = archive::redact_url(request["webhookUrl"].get<std::string>());
        } else if (auto* existing = std::get_if<job::VendorJobSource>(&spec_.source)) {
            vendor_ = existing->vendor;
            vendor_job_id_ = existing->id;
            detail("existing " + std::string(net::to_string(existing->vendor)) + " job " + vendor_job_id_);
            return "none";
        } else {
            detail("local files");
            return "none";
        }
        report_.vendor = net::to_string(*vendor_);
        const std::string print = fingerprint(inputs);
        if (auto done = done_before("render", print)) {
            vendor_job_id_ = done->at("id").get<std::string>();
            detail(report_.vendor + " job " + vendor_job_id_ + added_backdrop_note());
            return "skipped";
        }
        net::JobStatus started;
        observer_.checkpoint();
        if (*vendor_ == net::Vendor::a2v) {
            auto& a2v = std::get<job::A2vSource>(spec_.source);
            started = net::to_job_status(session_.a2v().generate(a2v.pose_id, a2v.audio_url));
        } else {
            auto request_spec = std::get<job::AkoolSource>(spec_.source).request.get<net::akool::TalkingAvatarRequest>();
            started = net::to_job_status(session_.akool().create_talking_avatar(request_spec));
        }
        vendor_job_id_ = started.id;
        // Recorded at once: a run stopped while waiting resumes with this render, never a second one.
        // A catalog that fails the record (a connection reset) is asked again, since a render left
        // unrecorded is made again by the job's next attempt; a lost lease or a stop (the
        // checkpoint, a refused write) ends the tries at once.
        archive::JobRecord record;
        record.vendor = report_.vendor;
        record.vendor_job_id = started.id;
        record.request = request;
        record.status = started.vendor_status;
        for (int attempt = 1;; ++attempt) {
            try {
                catalog_->upsert_job(record);
                finished("render", print, {{"vendor", report_.vendor}, {"id", started.id}});
                break;
            } catch (const Error& e) {
                if (!archive::is_catalog_error(e) || attempt >= render_record_tries) throw;
                log::warning(spec_.name + ": recording " + report_.vendor + " render " + started.id + ": " +
                             net::redact_text(e.what()) + " (trying again)");
                std::this_thread::sleep_for(std::chrono::milliseconds(250) * attempt);
            }
        }
        detail(report_.vendor + " job " + started.id + added_backdrop_note());
        return "ran";
    }

    // The key-colour backdrop avpost added to the Akool request, if it did.
    std::string added_backdrop_note() const {
        const auto* akool = std::get_if<job::AkoolSource>(&spec_.source);
        if (!akool || akool->added_key_backdrop.empty()) return {};
        return " (on a " + akool->added_key_backdrop + " backdrop added for the key)";
    }

    std::string wait() {
        if (!vendor_) return "none";
        report_.vendor = net::to_string(*vendor_);
        report_.vendor_job_id = vendor_job_id_;
        const std::string print = fingerprint({{"vendor", report_.vendor}, {"id", vendor_job_id_}});
        if (auto done = done_before("wait", print)) {
            detail(done->value("state", std::string()));
            return "skipped";
        }
        net::WaitOptions w = wait_options(spec_.wait.timeout_seconds, spec_.wait.interval_seconds);
        std::unique_ptr<WaitObserver> display = observer_.wait_observer(spec_.name);
        PollSleep sleeper(*display, [this] { observer_.checkpoint(); });
        // Watched before the first poll, so a callback that comes after it is never missed.
        auto watch = watch_webhook(*display, sleeper, w);
        net::JobStatus status = net::wait_for_job(
            [&] { return session_.status(*vendor_, vendor_job_id_); }, w,
            [&](const net::JobStatus& now) { display->status(now); },
            [&](std::chrono::milliseconds delay) { sleeper.sleep(delay); });
        display->finished(status);
        observer_.checkpoint();
        archive::record_job_status(*catalog_, status);
        // A failed render is not reused: the next run of this job starts a new one.
        if (status.state == net::JobState::failed) forget("render");
        throw_if_failed(status);
        finished("wait", print, {{"state", net::to_string(status.state)}, {"vendor_status", status.vendor_status}});
        detail(std::string(net::to_string(status.state)));
        return "ran";
    }

    // How the wait learns that the render ended, said once: Akool's verified webhook (then polls
    // are the fallback, 15 s or more apart) or polling alone.
    std::unique_ptr<WebhookListener::Watch> watch_webhook(WaitObserver& display, PollSleep& sleeper, net::WaitOptions& w) {
        const std::string job = report_.vendor + " job " + vendor_job_id_;
        if (!options_.webhooks) {
            const auto* akool = std::get_if<job::AkoolSource>(&spec_.source);
            if (akool && akool->request.contains("webhookUrl"))
                display.note(job + ": polling; Akool will also call the request's webhookUrl, and `run --webhook-listen "
                                   "[HOST:]PORT` where it arrives would end the wait on that callback");
            return nullptr;
        }
        if (*vendor_ != net::Vendor::akool) {
            display.note(job + ": polling (A2V sends no webhooks)");
            return nullptr;
        }
        auto watch = options_.webhooks->watch(vendor_job_id_, [&sleeper](const net::akool::WebhookEvent& e) {
            sleeper.wake("akool job " + e.id + ": the webhook says status " + std::to_string(e.status) + ", polling now");
        });
        display.webhook("webhook on " + options_.webhooks->where());
        w.initial_interval = std::max<std::chrono::milliseconds>(w.initial_interval, kWebhookFallbackInterval);
        w.max_interval = std::max(w.max_interval, w.initial_interval);
        display.note(job + ": waiting on its webhook at " + options_.webhooks->where() + "; polling every " +
                     std::to_string(w.initial_interval.count() / 1000) + " s or more as the fallback");
        return watch;
    }

    std::string fetch() {
        if (auto* local = std::get_if<job::LocalSource>(&spec_.source)) {
            for (const auto& [field, path] : {std::pair{"source.local.video", local->video}, {"source.local.mask", local->mask}})
                if (!path.empty() && !fs::is_regular_file(path))
                    throw_input(spec_.file.string() + ": " + field, "no such file " + path.string());
            avatar_ = local->video;
            mask_ = local->mask;
            archive::JobRecord record;
            record.vendor = "local";
            record.vendor_job_id = spec_.name;
            record.status = "local";
            record.request = {{"video", avatar_.string()}};
            if (!mask_.empty()) record.request["mask"] = mask_.string();
            report_.vendor = "local";
            report_.vendor_job_id = spec_.name;
            observer_.checkpoint();
            catalog_job_id_ = catalog_->upsert_job(record);
            source_files_ = json::array({local_entry("avatar", avatar_, "avatar.mp4")});
            if (!mask_.empty()) source_files_.push_back(local_entry("mask", mask_, "mask.mp4"));
            detail("local files");
            return "none";
        }
        const std::string print = fingerprint({{"vendor", report_.vendor}, {"id", vendor_job_id_}});
        avatar_ = fetched_avatar_path(spec_);
        mask_ = fetched_mask_path(spec_);
        if (auto done = done_before("fetch", print)) {
            source_files_ = done->at("files");
            if (sha_of("mask").empty()) mask_.clear();
            observer_.checkpoint();
            catalog_job_id_ = catalog_->upsert_job(catalog_job());
            detail(count_of(source_files_.size(), "file"));
            return "skipped";
        }
        // A fresh status: it also carries freshly signed links.
        net::JobStatus status = session_.status(*vendor_, vendor_job_id_);
        throw_if_failed(status);
        if (status.state != net::JobState::finished)
            net::throw_service(net::ServiceErrorKind::timeout, ErrorDomain::vendor, "fetch " + status.id, 0,
                               "not finished yet (" + std::string(net::to_string(status.state)) + ")");
        if (status.video_url.empty())
            net::throw_service(net::ServiceErrorKind::bad_response, ErrorDomain::vendor, "fetch " + status.id, 0,
                               "finished without a video link");
        observer_.checkpoint();
        catalog_job_id_ = archive::record_job_status(*catalog_, status);
        fs::create_directories(spec_.output);
        net::HttpClient http(download_http_options(options_.env));
        net::Downloader downloader(http);
        source_files_ = json::array();
        auto download = [&](const std::string& url, const fs::path& to, const std::string& kind, const std::string& asset) {
            net::DownloadOptions o;
            o.verify = [](const fs::path& p, const std::string&) { net::verify_decodable_video(p); };
            Progress progress(spec_.name + " fetch " + kind, 0, options_.progress, Progress::Unit::bytes);
            o.progress = [&progress](std::int64_t done, std::int64_t total) {
                if (total > 0) progress.set_total(total);
                progress.update(done);
            };
            const net::DownloadResult got = downloader.download(url, to, o);
            progress.finish();
            // Hashed while it downloaded: recorded as it is, not read again.
            json entry = {{"kind", kind}, {"path", to.lexically_relative(spec_.output).string()},
                          {"size", got.bytes}, {"sha256", got.sha256}};
            entry["asset"] = asset;
            entry["source_url"] = archive::redact_url(url);
            source_files_.push_back(entry);
        };
        download(status.video_url, avatar_, "avatar", "avatar.mp4");
        // A2V always sends a matte; Akool never does (a job keys its render instead).
        if (!status.mask_url.empty()) {
            download(status.mask_url, mask_, "mask", "mask.mp4");
        } else {
            mask_.clear();
            if (job_uses_matte(spec_))
                net::throw_service(net::ServiceErrorKind::bad_response, ErrorDomain::vendor, "fetch " + status.id, 0,
                                   "finished without a matte (mask) link, which this job's composite or alpha "
                                   "deliveries need");
        }
        finished("fetch", print, {{"files", source_files_}});
        detail(count_of(source_files_.size(), "file"));
        return "ran";
    }

    json local_entry(const std::string& kind, const fs::path& path, const std::string& asset) {
        FileDigest d = sha256_file(path);
        return {{"kind", kind}, {"absolute", path.string()}, {"size", d.size}, {"sha256", d.sha256}, {"asset", asset}};
    }

    archive::JobRecord catalog_job() {
        if (auto existing = catalog_->find_job(report_.vendor, vendor_job_id_)) return *existing;
        archive::JobRecord record;
        record.vendor = report_.vendor;
        record.vendor_job_id = vendor_job_id_;
        return record;
    }

    std::string sha_of(const std::string& kind) const {
        for (const json& f : source_files_)
            if (f.at("kind") == kind) return f.at("sha256").get<std::string>();
        return {};
    }

    // The composite and the deliveries, or (without a composite) the deliveries of the render as it is.
    std::string compose() {
        if (!spec_.composite && !spec_.deliver) return "none";
        json inputs = compose_fingerprint_inputs(spec_);
        inputs["avatar"] = sha_of("avatar");
        inputs["mask"] = sha_of("mask");
        const std::string print = fingerprint(inputs);
        if (auto done = done_before("compose", print)) {
            made_files_ = done->at("files");
            detail(made_summary());
            return "skipped";
        }
        filters::ComposeParams params = compose_params_for(spec_, avatar_, mask_, options_.progress);
        fs::create_directories(spec_.output);
        filters::ComposeReport composed = filters::run_compose(params);
        made_files_ = json::array();
        if (!params.output.empty()) made_files_.push_back(file_entry("composite", params.output, spec_.output));
        for (const filters::DeliveredFile& d : composed.deliveries) {
            const std::string preset(filters::to_string(d.preset));
            made_files_.push_back(file_entry("delivery", d.path, spec_.output, preset));
            for (const fs::path& extra : d.files)
                if (extra != d.path) made_files_.push_back(file_entry("other", extra, spec_.output, preset));
        }
        finished("compose", print, {{"files", made_files_}});
        detail(made_summary());
        return "ran";
    }

    std::string made_summary() const {
        int deliveries = 0;
        bool composite = false;
        for (const json& f : made_files_) {
            deliveries += f.at("kind") == "delivery";
            composite = composite || f.at("kind") == "composite";
        }
        std::string text = composite ? "composite" : "";
        if (deliveries > 0) text += (text.empty() ? "" : " + ") + std::to_string(deliveries) + " deliveries";
        return text;
    }

    std::unique_ptr<archive::ArchiveStore> open_store() const {
        if (spec_.archive.store.empty()) return std::make_unique<archive::LocalStore>(spec_.archive.root);
        return archive::open_store(spec_.archive.store);
    }

    // The store as the archive fingerprint knows it: a directory by its canonical path, so another
    // spelling of the same archive is the same store.
    std::string store_identity() const {
        const std::string& store = spec_.archive.store;
        if (store.starts_with("s3://")) return store;
        return "file://" + fs::weakly_canonical(store.empty() ? spec_.archive.root : fs::path(store)).string();
    }

    std::string archive() {
        auto store = open_store();
        // What goes in: the source (avatar, mask) and what compose made, each with its asset name.
        // Each as its stage recorded it (size and hash taken when it was written): not hashed again.
        struct Item {
            archive::FileRecord file;
            std::string source_url;
        };
        const auto recorded = [](const json& f, std::string asset, fs::path path) {
            return archive::FileRecord{f.at("kind").get<std::string>(), std::move(asset), std::move(path),
                                       f.at("size").get<std::int64_t>(), f.at("sha256").get<std::string>(),
                                       std::nullopt};
        };
        std::vector<Item> items;
        for (const json& f : source_files_) {
            fs::path path = f.contains("absolute") ? fs::path(f["absolute"].get<std::string>())
                                                   : spec_.output / f.at("path").get<std::string>();
            items.push_back({recorded(f, f.at("asset").get<std::string>(), path), f.value("source_url", std::string())});
        }
        for (const json& f : made_files_) {
            std::string relative = f.at("path").get<std::string>();
            std::string asset;  // asset names are flat: "hls/720p.m3u8" -> "hls--720p.m3u8"
            for (std::size_t i = 0; i < relative.size(); ++i)
                asset += relative[i] == '/' ? std::string("--") : std::string(1, relative[i]);
            items.push_back({recorded(f, asset, spec_.output / relative), ""});
        }
        json inputs = {{"store", store_identity()}, {"catalog_job", catalog_job_id_}, {"files", json::array()}};
        for (const Item& i : items) inputs["files"].push_back({i.file.kind, i.file.name, i.file.sha256});
        const std::string print = fingerprint(inputs);
        if (auto done = done_before("archive", print)) {
            bool intact = true;
            for (const json& a : done->at("assets"))
                intact = intact && still_archived(*catalog_, a.at("asset_id").get<std::int64_t>(),
                                                  a.at("sha256").get<std::string>());
            if (intact) {
                detail(count_of(done->at("assets").size(), "file") + " verified in " + spec_.archive.root.string());
                return "skipped";
            }
        }
        const std::string owner =
            options_.asset_owner.empty() ? archive::claim_owner("run " + spec_.name) : options_.asset_owner;
        json assets = json::array();
        for (const Item& i : items) {
            throw_if_interrupted();
            observer_.checkpoint();
            ArchivedFile a = archive_job_file(*catalog_, *store, catalog_job_id_, i.file, i.source_url, owner, options_.lease);
            json entry = to_json(a);
            entry["path"] = fs::absolute(i.file.path).string();  // a local copy `avpost archive repair` can restore from
            assets.push_back(std::move(entry));
        }
        finished("archive", print, {{"assets", assets}});
        detail(count_of(assets.size(), "file") + " verified in " + spec_.archive.root.string());
        return "ran";
    }

    const job::JobSpec& spec_;
    const RunOptions& options_;
    JobReport& report_;
    JobObserver no_observer_;
    JobObserver& observer_;
    VendorSession session_;
    std::unique_ptr<archive::Catalog> catalog_;
    StageReport* current_ = nullptr;

    std::optional<net::Vendor> vendor_;
    std::string vendor_job_id_;
    std::int64_t catalog_job_id_ = 0;
    fs::path avatar_, mask_;
    json source_files_ = json::array();  // avatar and mask
    json made_files_ = json::array();    // composite and deliveries

};

}  // namespace

json to_json(const JobReport& r) {
    json stages = json::array();
    for (const StageReport& s : r.stages)
        stages.push_back({{"name", s.name}, {"status", s.status}, {"elapsed_seconds", s.seconds}, {"detail", s.detail}});
    json outputs = json::array();
    for (const JobOutputFile& o : r.outputs) {
        json entry = {{"kind", o.kind}, {"preset", o.preset.empty() ? json() : json(o.preset)},
                      {"path", o.path.string()},  {"bytes", o.size},
                      {"sha256", o.sha256}};
        outputs.push_back(entry);
    }
    // docs/json/run.schema.json: every key always there, null when it does not apply.
    auto text_or_null = [](const std::string& s) { return s.empty() ? json() : json(s); };
    return {{"name", text_or_null(r.name)},
            {"job_file", r.file.string()},
            {"ok", r.ok},
            {"error", r.ok ? json(nullptr) : json(r.error)},
            {"problems", r.problems},
            {"vendor", text_or_null(r.vendor)},
            {"vendor_job_id", text_or_null(r.vendor_job_id)},
            {"output_dir", text_or_null(r.output_dir.string())},
            {"archive_root", text_or_null(r.archive_root.string())},
            {"stages", stages},
            {"outputs", outputs}};
}

fs::path OutputClaims::claim(const fs::path& directory, const fs::path& file) {
    std::lock_guard lock(mutex_);
    const fs::path key = fs::weakly_canonical(directory);
    auto [it, inserted] = holders_.emplace(key, file);
    return inserted ? fs::path() : it->second;
}

job::JobSpec read_job_file(const fs::path& file, const RunOptions& options) {
    return job::parse_job_file(file, options.parse);
}

job::JobSpec read_job(const json& document, const fs::path& file, const RunOptions& options) {
    return job::parse_job(document, file, options.parse);
}

namespace {

void record_failure(JobReport& report, const Error& e, std::exception_ptr thrown) {
    report.ok = false;
    report.error = net::redact_text(e.what());
    if (const auto* bad_file = dynamic_cast<const job::JobFileError*>(&e))
        for (const std::string& line : bad_file->lines()) report.problems.push_back(net::redact_text(line));
    report.failure = std::move(thrown);
    report.interrupted = interrupted();
}

// Stages after a failure did not run.
void list_stages_not_run(JobReport& report) {
    for (const char* name : job_stage_names) {
        bool listed = false;
        for (const StageReport& s : report.stages) listed = listed || s.name == name;
        if (!listed && !report.name.empty() && !report.ok) report.stages.push_back({name, "not-run", 0, {}});
    }
}

void run_stages(const job::JobSpec& spec, const RunOptions& options, JobReport& report) {
    report.name = spec.name;
    report.output_dir = spec.output;
    report.archive_root = spec.archive.root;
    std::unique_ptr<JobRun> run;
    try {
        if (options.claims)
            if (fs::path holder = options.claims->claim(spec.output, spec.file); !holder.empty())
                throw Error(ErrorDomain::usage, spec.file.string() + ": output", 0,
                            "'" + spec.output.string() + "' is also the output of " + holder.string() +
                                " in this run (give each job its own name or output)");
        run = std::make_unique<JobRun>(spec, options, report);
        run->run();
        report.ok = true;
    } catch (const Error& e) {
        record_failure(report, e, std::current_exception());
    } catch (const std::exception& e) {
        Error wrapped(ErrorDomain::system, "run " + spec.name, 0, e.what());
        record_failure(report, wrapped, std::make_exception_ptr(wrapped));
    }
    if (run) run->collect_outputs();
}

}  // namespace

JobReport run_job_file(const fs::path& file, const RunOptions& options) {
    JobReport report;
    report.file = file;
    try {
        run_stages(read_job_file(file, options), options, report);
    } catch (const Error& e) {
        record_failure(report, e, std::current_exception());
    }
    list_stages_not_run(report);
    return report;
}

JobReport run_job(const job::JobSpec& spec, const RunOptions& options) {
    JobReport report;
    report.file = spec.file;
    run_stages(spec, options, report);
    list_stages_not_run(report);
    return report;
}

}  // namespace avpost::pipeline
