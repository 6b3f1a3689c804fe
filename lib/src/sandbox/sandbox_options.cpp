#include "avpost/sandbox/sandbox_options.hpp"

namespace avpost::sandbox {

void to_json(nlohmann::json& j, const SandboxOptions& o) {
    j = {{"host", o.host},
         {"port", o.port},
         {"public_base_url", o.public_base_url},
         {"queue_seconds", o.queue_seconds},
         {"process_seconds", o.process_seconds},
         {"link_ttl_seconds", o.link_ttl_seconds},
         {"a2v_requests_per_window", o.a2v_requests_per_window},
         {"a2v_window_seconds", o.a2v_window_seconds},
         {"render_width", o.render_width},
         {"render_height", o.render_height},
         {"render_fps", o.render_fps},
         {"akool_render_max_width", o.akool_render_max_width},
         {"akool_render_max_height", o.akool_render_max_height},
         {"generated_audio_seconds", o.generated_audio_seconds},
         {"max_audio_seconds", o.max_audio_seconds},
         {"fetch_audio", o.fetch_audio},
         {"webhook_max_attempts", o.webhook_max_attempts},
         {"webhook_initial_delay_ms", o.webhook_initial_delay_ms},
         {"webhook_max_delay_ms", o.webhook_max_delay_ms}};
    // Credentials are deliberately left out: this JSON may be printed.
}

void from_json(const nlohmann::json& j, SandboxOptions& o) {
#define AVPOST_FIELD(name) o.name = j.value(#name, o.name)
    AVPOST_FIELD(host);
    AVPOST_FIELD(port);
    AVPOST_FIELD(public_base_url);
    AVPOST_FIELD(akool_client_id);
    AVPOST_FIELD(akool_client_secret);
    AVPOST_FIELD(a2v_token);
    AVPOST_FIELD(a2v_username);
    AVPOST_FIELD(a2v_password);
    AVPOST_FIELD(queue_seconds);
    AVPOST_FIELD(process_seconds);
    AVPOST_FIELD(link_ttl_seconds);
    AVPOST_FIELD(a2v_requests_per_window);
    AVPOST_FIELD(a2v_window_seconds);
    AVPOST_FIELD(render_width);
    AVPOST_FIELD(render_height);
    AVPOST_FIELD(render_fps);
    AVPOST_FIELD(akool_render_max_width);
    AVPOST_FIELD(akool_render_max_height);
    AVPOST_FIELD(generated_audio_seconds);
    AVPOST_FIELD(max_audio_seconds);
    AVPOST_FIELD(fetch_audio);
    AVPOST_FIELD(webhook_max_attempts);
    AVPOST_FIELD(webhook_initial_delay_ms);
    AVPOST_FIELD(webhook_max_delay_ms);
#undef AVPOST_FIELD
}

void to_json(nlohmann::json& j, const Fault& f) {
    j = {{"path_prefix", f.path_prefix},         {"count", f.count},
         {"http_status", f.http_status},         {"message", f.message},
         {"retry_after_seconds", f.retry_after_seconds}, {"rate_limit_headers", f.rate_limit_headers},
         {"drop_after_bytes", f.drop_after_bytes}, {"delay_ms", f.delay_ms},
         {"fail_render", f.fail_render},         {"status_override", f.status_override}};
    if (f.vendor_code) j["vendor_code"] = *f.vendor_code;
}

void from_json(const nlohmann::json& j, Fault& f) {
    f.path_prefix = j.value("path_prefix", f.path_prefix);
    f.count = j.value("count", f.count);
    f.http_status = j.value("http_status", f.http_status);
    if (j.contains("vendor_code") && j["vendor_code"].is_number_integer()) f.vendor_code = j["vendor_code"].get<int>();
    f.message = j.value("message", f.message);
    f.retry_after_seconds = j.value("retry_after_seconds", f.retry_after_seconds);
    f.rate_limit_headers = j.value("rate_limit_headers", f.rate_limit_headers);
    f.drop_after_bytes = j.value("drop_after_bytes", f.drop_after_bytes);
    f.delay_ms = j.value("delay_ms", f.delay_ms);
    f.fail_render = j.value("fail_render", f.fail_render);
    f.status_override = j.value("status_override", f.status_override);
}

}  // namespace avpost::sandbox
