// avpost sandbox: the local stand-in for Akool and A2V, until Ctrl-C.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/sandbox/sandbox_server.hpp"
#include "command.hpp"

namespace avpost::tool {

CommandSpec sandbox_command() {
    return {"sandbox", "Serve a local Akool + A2V stand-in (renders, signed links, webhooks, faults) until Ctrl-C",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    sandbox::SandboxOptions s;
                    std::string size;
                    std::string akool_size;
                    std::vector<std::string> faults;
                    bool no_fetch = false;
                };
                auto o = std::make_shared<Opts>();
                o->s.port = 8790;
                sandbox::SandboxOptions& s = o->s;
                sub.add_option("--port", s.port, "Port on 127.0.0.1 (0: any free port; default 8790)")
                    ->check(CLI::Range(0, 65535));
                sub.add_option("--host", s.host, "Address to listen on (default 127.0.0.1)");
                sub.add_option("--queue-seconds", s.queue_seconds, "Seconds a job stays queued (default 1)");
                sub.add_option("--process-seconds", s.process_seconds, "Seconds a job stays processing (default 2)");
                sub.add_option("--link-ttl", s.link_ttl_seconds,
                               "Seconds until result links expire and answer 403 (default 604800 = 7 days)")
                    ->check(CLI::NonNegativeNumber);
                sub.add_option("--rate-limit", s.a2v_requests_per_window, "A2V requests allowed per window (default 30)");
                sub.add_option("--rate-window", s.a2v_window_seconds, "A2V rate-limit window in seconds (default 60)");
                sub.add_option("--size", o->size, "A2V rendered size WxH (default 320x180)");
                sub.add_option("--akool-size", o->akool_size,
                               "Akool renders: the request's canvas scaled down to fit WxH (default 640x360), or "
                               "'full' for the request's own size (3840x2160); default from AVPOST_SANDBOX_AKOOL_SIZE");
                sub.add_option("--fps", s.render_fps, "Rendered frame rate (default 25)");
                sub.add_option("--audio-seconds", s.generated_audio_seconds,
                               "Length of the generated voice when the input audio cannot be fetched (default 3)");
                sub.add_flag("--no-fetch-audio", o->no_fetch, "Never download the request's audio; always use the generated voice");
                sub.add_option("--fault", o->faults,
                               "Inject a fault, JSON: {\"path_prefix\":\"/v1/a2v/video.list\",\"http_status\":503,\"count\":2,"
                               "\"retry_after_seconds\":1,\"rate_limit_headers\":true,\"vendor_code\":1006,"
                               "\"drop_after_bytes\":1000,\"delay_ms\":500,\"fail_render\":true} (repeatable; also "
                               "POST /sandbox/faults at run time)");
                sub.add_option("--akool-client-id", s.akool_client_id, "Akool clientId accepted (webhook IV source)");
                sub.add_option("--akool-client-secret", s.akool_client_secret,
                               "Akool clientSecret = API key accepted (webhook AES key: 16, 24 or 32 bytes)");
                sub.add_option("--a2v-token", s.a2v_token, "A2V Bearer token accepted");
                return [o, &global] {
                    if (!o->size.empty()) {
                        int w = 0, h = 0;
                        if (std::sscanf(o->size.c_str(), "%dx%d", &w, &h) != 2 || w < 16 || h < 16)
                            throw_usage("--size must be WxH, at least 16x16");
                        o->s.render_width = w;
                        o->s.render_height = h;
                    }
                    if (o->akool_size.empty())
                        if (const char* env = std::getenv("AVPOST_SANDBOX_AKOOL_SIZE")) o->akool_size = env;
                    if (o->akool_size == "full") {
                        o->s.akool_render_max_width = o->s.akool_render_max_height = 0;
                    } else if (!o->akool_size.empty()) {
                        int w = 0, h = 0;
                        char extra = 0;
                        if (std::sscanf(o->akool_size.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 16 || h < 16)
                            throw_usage("--akool-size (or AVPOST_SANDBOX_AKOOL_SIZE) must be WxH, at least 16x16, or "
                                        "'full', not '" + o->akool_size + "'");
                        o->s.akool_render_max_width = w;
                        o->s.akool_render_max_height = h;
                    }
                    o->s.fetch_audio = !o->no_fetch;
                    sandbox::SandboxServer server(o->s);
                    for (const auto& text : o->faults) {
                        auto j = nlohmann::json::parse(text, nullptr, false);
                        if (j.is_discarded() || !j.is_object()) throw_usage("--fault is not a JSON object: " + text);
                        server.add_fault(j.get<sandbox::Fault>());
                    }
                    install_interrupt_handlers();
                    server.start();
                    const std::string url = server.base_url();
                    if (global.json) {
                        std::cout << nlohmann::json{{"base_url", url},
                                                    {"port", server.port()},
                                                    {"env", {{"AVPOST_AKOOL_BASE_URL", url}, {"AVPOST_A2V_BASE_URL", url}}},
                                                    {"options", o->s}}
                                         .dump()
                                  << std::endl;
                    } else {
                        std::cout << "avpost sandbox listening on " << url << "\n"
                                  << "export AVPOST_AKOOL_BASE_URL=" << url << "\n"
                                  << "export AVPOST_A2V_BASE_URL=" << url << std::endl;
                    }
                    while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    server.stop();
                    return 0;
                };
            }};
}

}  // namespace avpost::tool
