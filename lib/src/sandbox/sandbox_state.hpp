#pragma once
// The sandbox's in-memory state, shared by the route files and the background workers.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "avpost/net/akool_types.hpp"
#include "avpost/net/http_client.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/sandbox/akool_scene.hpp"
#include "avpost/sandbox/sandbox_server.hpp"

namespace avpost::sandbox {

using Clock = std::chrono::steady_clock;

struct StoredFile {
    std::shared_ptr<const std::string> bytes;
    std::string etag;  // quoted, strong
    std::string content_type;
};

enum class RenderState { pending, done, failed };

struct Job {
    net::Vendor vendor = net::Vendor::akool;
    std::string id;        // Akool _id / A2V video_id
    std::string video_id;  // Akool's separate video_id
    std::string task_id;
    std::int64_t uid = 100001;
    Clock::time_point created;
    std::int64_t create_time_ms = 0;
    bool fail = false;
    std::string audio_url;
    std::string webhook_url;
    std::optional<net::akool::TalkingAvatarRequest> akool_request;  // what an Akool job draws
    std::string status_override;  // A2V: report this status string (tests of unknown states)
    RenderState render = RenderState::pending;
    std::string render_error;
    std::string video_file;  // names in State::files
    std::string mask_file;
    int notified_status = 0;  // last Akool status sent to the webhook
};

struct Delivery {
    std::string url;
    nlohmann::json payload;
    int attempt = 0;
    Clock::time_point due;
};

struct SandboxServer::State {
    SandboxOptions options;
    httplib::Server server;
    std::thread listen_thread, render_thread, tick_thread;
    int bound_port = 0;
    std::string base_url;
    std::string link_key;  // HMAC key of the signed links, random per instance

    mutable std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::map<std::string, Job> jobs;
    std::vector<std::string> job_order;
    std::map<std::string, StoredFile> files;
    std::vector<Fault> faults;
    SandboxStats stats;
    std::vector<std::string> akool_tokens;
    std::vector<std::string> a2v_tokens;
    Clock::time_point a2v_window_start{};
    int a2v_window_count = 0;
    std::deque<std::string> render_queue;
    std::deque<Delivery> deliveries;

    // Status of a job now, by the vendor's scale (requires the mutex).
    int akool_status(const Job& job, Clock::time_point now) const;
    std::string a2v_status(const Job& job, Clock::time_point now) const;

    std::string sign_link(const std::string& name, std::int64_t ttl_seconds) const;
    std::optional<Fault> take_fault(const std::string& path);  // requires the mutex
    void count_status(int status);
    void store_file(const std::string& name, std::string bytes, std::string content_type);  // requires the mutex

    // An Akool image element's picture (the sandbox's own files, or a loopback server's).
    std::optional<RgbaImage> load_image(const std::string& url, net::HttpClient& http);
    void render_worker();
    void tick_worker();
};

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&, const std::optional<Fault>&)>;
enum class Api { akool, a2v, files, control };

// Wraps a route with request counting, fault injection and the status tally.
httplib::Server::Handler guarded(SandboxServer::State& st, Api api, RouteHandler handler);

void set_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
nlohmann::json akool_reply(int code, const std::string& msg, const nlohmann::json& data = nullptr);
nlohmann::json a2v_reply(int code, const std::string& message, const nlohmann::json& data = nullptr);

void install_akool_routes(SandboxServer::State& st);
void install_a2v_routes(SandboxServer::State& st);
void install_file_routes(SandboxServer::State& st);

std::int64_t epoch_ms();

}  // namespace avpost::sandbox
