#include "avpost/sandbox/sandbox_server.hpp"

#include <unistd.h>

#include <fstream>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/akool_webhook.hpp"
#include "avpost/net/crypto.hpp"
#include "avpost/net/http_client.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/sandbox/akool_scene.hpp"
#include "avpost/sandbox/talking_head.hpp"
#include "sandbox_state.hpp"

namespace avpost::sandbox {

std::int64_t epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void to_json(nlohmann::json& j, const SandboxStats& s) {
    nlohmann::json statuses = nlohmann::json::object();
    for (auto [status, n] : s.statuses) statuses[std::to_string(status)] = n;
    j = {{"requests", s.requests},
         {"statuses", statuses},
         {"webhooks", {{"attempts", s.webhook_attempts}, {"delivered", s.webhook_delivered}}},
         {"renders", s.renders}};
}

void set_json(httplib::Response& res, const nlohmann::json& body, int status) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

nlohmann::json akool_reply(int code, const std::string& msg, const nlohmann::json& data) {
    nlohmann::json j = {{"code", code}, {"msg", msg}};
    if (!data.is_null()) j["data"] = data;
    return j;
}

nlohmann::json a2v_reply(int code, const std::string& message, const nlohmann::json& data) {
    return {{"code", code}, {"data", data}, {"message", message}};
}

// ---- state helpers ----

int SandboxServer::State::akool_status(const Job& job, Clock::time_point now) const {
    double t = std::chrono::duration<double>(now - job.created).count();
    if (t < options.queue_seconds) return 1;
    if (t < options.queue_seconds + options.process_seconds || job.render == RenderState::pending) return 2;
    if (job.fail || job.render == RenderState::failed) return 4;
    return 3;
}

std::string SandboxServer::State::a2v_status(const Job& job, Clock::time_point now) const {
    switch (akool_status(job, now)) {
        case 1: return "pending";
        case 2: return job.status_override.empty() ? "in_progressing" : job.status_override;
        case 4: return "error";
        default: return "finished";
    }
}

std::string SandboxServer::State::sign_link(const std::string& name, std::int64_t ttl_seconds) const {
    std::int64_t expires = epoch_ms() / 1000 + ttl_seconds;
    std::string sig = net::crypto::hmac_sha256_hex(link_key, name + "\n" + std::to_string(expires));
    return base_url + "/files/" + name + "?Expires=" + std::to_string(expires) + "&Signature=" + sig;
}

std::optional<Fault> SandboxServer::State::take_fault(const std::string& path) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (!path.starts_with(it->path_prefix)) continue;
        Fault f = *it;
        if (it->count > 0 && --it->count == 0) faults.erase(it);
        return f;
    }
    return std::nullopt;
}

void SandboxServer::State::count_status(int status) {
    std::lock_guard lock(mutex);
    ++stats.statuses[status];
}

void SandboxServer::State::store_file(const std::string& name, std::string bytes, std::string content_type) {
    StoredFile f;
    f.etag = "\"" + net::crypto::sha256_hex(bytes).substr(0, 32) + "\"";
    f.bytes = std::make_shared<const std::string>(std::move(bytes));
    f.content_type = std::move(content_type);
    files[name] = std::move(f);
}

httplib::Server::Handler guarded(SandboxServer::State& st, Api api, RouteHandler handler) {
    return [&st, api, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        std::optional<Fault> fault;
        {
            std::lock_guard lock(st.mutex);
            ++st.stats.requests[req.path];
            if (api != Api::control) fault = st.take_fault(req.path);
        }
        if (fault && fault->delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
        if (fault && fault->retry_after_seconds >= 0)
            res.set_header("Retry-After", std::to_string(fault->retry_after_seconds));
        if (fault && fault->rate_limit_headers) {
            res.set_header("X-Ratelimit-Total", std::to_string(st.options.a2v_requests_per_window));
            res.set_header("X-Ratelimit-Left", "0");
            res.set_header("X-Ratelimit-Reset", std::to_string(std::max(1, fault->retry_after_seconds)));
        }
        if (fault && fault->http_status > 0) {
            // An error status with the vendor's own body shape (A2V's 429 is code 1009).
            int status = fault->http_status;
            std::string msg = fault->message;
            if (msg.empty()) msg = status == 429 ? "Too Many Request" : "sandbox fault: HTTP " + std::to_string(status);
            int code = fault->vendor_code.value_or(api == Api::a2v && status == 429 ? 1009 : status);
            if (api == Api::a2v) {
                set_json(res, a2v_reply(code, msg), status);
            } else if (api == Api::akool) {
                set_json(res, akool_reply(code, msg), status);
            } else {
                res.status = status;
                res.set_content(msg, "text/plain");
            }
        } else if (fault && fault->vendor_code) {
            std::string msg = fault->message.empty() ? "sandbox fault" : fault->message;
            if (api == Api::a2v) set_json(res, a2v_reply(*fault->vendor_code, msg));
            else set_json(res, akool_reply(*fault->vendor_code, msg));
        } else {
            handler(req, res, fault);
        }
        st.count_status(res.status);
    };
}

// ---- workers ----

void SandboxServer::State::render_worker() {
    net::HttpClientOptions http_options;
    http_options.rate_limit.enabled = false;
    http_options.retry.max_attempts = 2;
    http_options.timeouts.total = std::chrono::seconds(20);
    net::HttpClient http(http_options);
    while (true) {
        std::string id;
        std::string audio_url;
        bool with_mask = false;
        std::optional<net::akool::TalkingAvatarRequest> akool_request;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return stopping || !render_queue.empty(); });
            if (stopping) return;
            id = render_queue.front();
            render_queue.pop_front();
            const Job& job = jobs.at(id);
            audio_url = job.audio_url;
            with_mask = job.vendor == net::Vendor::a2v;
            akool_request = job.akool_request;
        }
        AudioTrack audio;
        bool have_audio = false;
        const auto tmp = std::filesystem::temp_directory_path();
        const std::string stem = "avpost-sandbox-" + std::to_string(::getpid()) + "-" + id;
        if (options.fetch_audio && !audio_url.empty()) {
            // The sandbox fetches what it can (its own links, a test server); anything else
            // falls back to the generated voice.
            try {
                std::string bytes;
                net::HttpRequest req;
                req.url = audio_url;
                req.rate_limited = false;
                net::HttpResponse r = http.send(req);
                if (r.status == 200 && !r.body.empty()) {
                    auto audio_path = tmp / (stem + ".audio");
                    { std::ofstream(audio_path, std::ios::binary) << r.body; }
                    try {
                        audio = decode_audio_file(audio_path, options.max_audio_seconds);
                        have_audio = true;
                    } catch (const std::exception& e) {
                        log::debug(std::string("sandbox: audio not decodable: ") + e.what());
                    }
                    std::filesystem::remove(audio_path);
                }
            } catch (const std::exception& e) {
                log::debug(std::string("sandbox: cannot fetch audio: ") + net::redact_text(e.what()));
            }
        }
        if (!have_audio) audio = make_voice_like_track(options.generated_audio_seconds, 16000, static_cast<std::uint32_t>(std::hash<std::string>{}(id)));

        TalkingHeadSettings settings{options.render_width, options.render_height, options.render_fps};
        auto video_path = tmp / (stem + ".mp4");
        auto mask_path = with_mask ? tmp / (stem + "-mask.mp4") : std::filesystem::path();
        std::string video_bytes, mask_bytes, error;
        try {
            if (akool_request) {
                const RenderSize size = fit_render_size(akool_request->width, akool_request->height,
                                                        options.akool_render_max_width, options.akool_render_max_height);
                AkoolLayout layout = layout_akool_request(*akool_request, size, [&](const std::string& url) {
                    return load_image(url, http);
                });
                for (const std::string& w : layout.warnings) log::warning("sandbox: job " + id + ": " + w);
                render_akool_talking_head(audio, layout, options.render_fps, video_path);
            } else {
                render_talking_head(audio, settings, video_path, mask_path);
            }
            auto slurp = [](const std::filesystem::path& p) {
                std::ifstream in(p, std::ios::binary);
                return std::string(std::istreambuf_iterator<char>(in), {});
            };
            video_bytes = slurp(video_path);
            if (with_mask) mask_bytes = slurp(mask_path);
        } catch (const std::exception& e) {
            error = e.what();
            log::warning(std::string("sandbox: render failed: ") + e.what());
        }
        std::error_code ec;
        std::filesystem::remove(video_path, ec);
        if (with_mask) std::filesystem::remove(mask_path, ec);

        std::lock_guard lock(mutex);
        Job& job = jobs.at(id);
        ++stats.renders;
        if (!error.empty()) {
            job.render = RenderState::failed;
            job.render_error = error;
            continue;
        }
        job.video_file = id + ".mp4";
        store_file(job.video_file, std::move(video_bytes), "video/mp4");
        if (with_mask) {
            job.mask_file = id + "-mask.mp4";
            store_file(job.mask_file, std::move(mask_bytes), "video/mp4");
        }
        job.render = RenderState::done;
    }
}

std::optional<RgbaImage> SandboxServer::State::load_image(const std::string& url, net::HttpClient& http) {
    // Offline by design: the sandbox's own files, or a server on this machine (a test's).
    std::string bytes;
    const std::string own = base_url + "/files/";
    try {
        if (url.starts_with(own)) {
            const std::string name = url.substr(own.size(), url.find_first_of("?#", own.size()) - own.size());
            std::lock_guard lock(mutex);
            auto it = files.find(name);
            if (it == files.end()) return std::nullopt;
            bytes = *it->second.bytes;
        } else if (url.starts_with("http://127.0.0.1:") || url.starts_with("http://127.0.0.1/") ||
                   url.starts_with("http://localhost:") || url.starts_with("http://localhost/")) {
            net::HttpRequest req;
            req.url = url;
            req.rate_limited = false;
            net::HttpResponse r = http.send(req);
            if (r.status != 200) return std::nullopt;
            bytes = std::move(r.body);
        } else {
            return std::nullopt;
        }
        return decode_image(bytes, url);
    } catch (const std::exception& e) {
        log::debug(std::string("sandbox: image not usable: ") + net::redact_text(e.what()));
        return std::nullopt;
    }
}

void SandboxServer::State::tick_worker() {
    net::HttpClientOptions http_options;
    http_options.rate_limit.enabled = false;
    http_options.retry.max_attempts = 1;  // the delivery queue does the retrying
    http_options.timeouts.connect = std::chrono::seconds(2);
    http_options.timeouts.total = std::chrono::seconds(10);
    net::HttpClient http(http_options);
    const net::akool::WebhookCredentials creds{options.akool_client_id, options.akool_client_secret};
    while (true) {
        std::optional<Delivery> due;
        {
            std::unique_lock lock(mutex);
            wake.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping; });
            if (stopping) return;
            auto now = Clock::now();
            // Akool reports every status change of a job that named a webhookUrl.
            for (auto& [id, job] : jobs) {
                if (job.vendor != net::Vendor::akool || job.webhook_url.empty()) continue;
                int status = akool_status(job, now);
                if (status == job.notified_status) continue;
                job.notified_status = status;
                nlohmann::json payload = {{"_id", job.id}, {"status", status}, {"type", "avatar"}};
                if (status == 3) payload["url"] = sign_link(job.video_file, options.link_ttl_seconds);
                deliveries.push_back(Delivery{job.webhook_url, payload, 0, now});
            }
            for (auto it = deliveries.begin(); it != deliveries.end(); ++it) {
                if (it->due <= now) {
                    due = *it;
                    deliveries.erase(it);
                    break;
                }
            }
        }
        if (!due) continue;
        // Each attempt is signed afresh (new timestamp and nonce), as a retry is a new request.
        nlohmann::json body = net::akool::make_webhook_body(due->payload, creds, epoch_ms(), net::crypto::random_hex(4));
        net::HttpRequest req;
        req.method = "POST";
        req.url = due->url;
        req.rate_limited = false;
        req.headers = {{"Content-Type", "application/json"}};
        req.body = body.dump();
        long status = 0;
        try {
            status = http.send(req).status;
        } catch (const std::exception& e) {
            log::debug(std::string("sandbox webhook: ") + net::redact_text(e.what()));
        }
        std::lock_guard lock(mutex);
        ++stats.webhook_attempts;
        if (status == 200) {
            ++stats.webhook_delivered;
            continue;
        }
        if (++due->attempt >= options.webhook_max_attempts) {
            log::warning("sandbox webhook: giving up on " + net::redact_url(due->url));
            continue;
        }
        long long delay = std::min<long long>(options.webhook_max_delay_ms,
                                              (long long)options.webhook_initial_delay_ms << std::min(due->attempt - 1, 20));
        due->due = Clock::now() + std::chrono::milliseconds(delay);
        deliveries.push_back(*due);
    }
}

// ---- SandboxServer ----

SandboxServer::SandboxServer(SandboxOptions options) : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    state_->link_key = net::crypto::random_hex(16);
    net::register_secret(state_->options.akool_client_secret);
    net::register_secret(state_->options.a2v_token);
    net::register_secret(state_->options.a2v_password);
}

SandboxServer::~SandboxServer() { stop(); }

void SandboxServer::start() {
    State& st = *state_;
    // Enough workers for several keep-alive clients plus webhook receivers in one test.
    st.server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    st.server.set_keep_alive_timeout(2);
    install_akool_routes(st);
    install_a2v_routes(st);
    install_file_routes(st);
    st.server.Get("/sandbox/stats", guarded(st, Api::control, [&st](const httplib::Request&, httplib::Response& res,
                                                                     const std::optional<Fault>&) {
        std::lock_guard lock(st.mutex);
        set_json(res, st.stats);
    }));
    st.server.Post("/sandbox/faults", guarded(st, Api::control, [&st](const httplib::Request& req, httplib::Response& res,
                                                                       const std::optional<Fault>&) {
        nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
        if (j.is_discarded()) return set_json(res, {{"error", "body is not JSON"}}, 400);
        std::lock_guard lock(st.mutex);
        try {
            if (j.is_array())
                for (const auto& f : j) st.faults.push_back(f.get<Fault>());
            else
                st.faults.push_back(j.get<Fault>());
        } catch (const std::exception& e) {
            return set_json(res, {{"error", e.what()}}, 400);
        }
        set_json(res, {{"faults", st.faults.size()}});
    }));
    st.server.Delete("/sandbox/faults", guarded(st, Api::control, [&st](const httplib::Request&, httplib::Response& res,
                                                                         const std::optional<Fault>&) {
        std::lock_guard lock(st.mutex);
        st.faults.clear();
        set_json(res, {{"faults", 0}});
    }));

    if (st.options.port == 0) st.bound_port = st.server.bind_to_any_port(st.options.host);
    else st.bound_port = st.server.bind_to_port(st.options.host, st.options.port) ? st.options.port : -1;
    if (st.bound_port <= 0)
        throw Error(ErrorDomain::system, "sandbox: cannot listen on " + st.options.host + ":" + std::to_string(st.options.port),
                    EADDRINUSE, "address in use or not available");
    st.base_url = st.options.public_base_url.empty()
                      ? "http://" + st.options.host + ":" + std::to_string(st.bound_port)
                      : st.options.public_base_url;
    st.listen_thread = std::thread([&st] { st.server.listen_after_bind(); });
    st.render_thread = std::thread([&st] { st.render_worker(); });
    st.tick_thread = std::thread([&st] { st.tick_worker(); });
    while (!st.server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void SandboxServer::stop() {
    State& st = *state_;
    {
        std::lock_guard lock(st.mutex);
        st.stopping = true;
    }
    st.wake.notify_all();
    st.server.stop();
    for (std::thread* t : {&st.listen_thread, &st.render_thread, &st.tick_thread})
        if (t->joinable()) t->join();
}

void SandboxServer::wait() {
    if (state_->listen_thread.joinable()) state_->listen_thread.join();
}

int SandboxServer::port() const { return state_->bound_port; }
std::string SandboxServer::base_url() const { return state_->base_url; }
const SandboxOptions& SandboxServer::options() const { return state_->options; }

void SandboxServer::add_fault(const Fault& fault) {
    std::lock_guard lock(state_->mutex);
    state_->faults.push_back(fault);
}
void SandboxServer::clear_faults() {
    std::lock_guard lock(state_->mutex);
    state_->faults.clear();
}
SandboxStats SandboxServer::stats() const {
    std::lock_guard lock(state_->mutex);
    return state_->stats;
}
void SandboxServer::reset_stats() {
    std::lock_guard lock(state_->mutex);
    state_->stats = {};
}
std::string SandboxServer::sign_link(const std::string& file_name, std::int64_t ttl_seconds) const {
    return state_->sign_link(file_name, ttl_seconds);
}
void SandboxServer::revoke_tokens() {
    std::lock_guard lock(state_->mutex);
    state_->akool_tokens.clear();
    state_->a2v_tokens.clear();
}
void SandboxServer::put_file(const std::string& file_name, std::string bytes, std::string content_type) {
    std::lock_guard lock(state_->mutex);
    state_->store_file(file_name, std::move(bytes), std::move(content_type));
}

}  // namespace avpost::sandbox
