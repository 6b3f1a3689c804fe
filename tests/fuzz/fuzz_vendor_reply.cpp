// Fuzz target: a vendor's reply body, read the way the A2V and Akool clients read every reply
// (parse_response: envelope and business code) and then each payload they take from it (videos,
// avatars, poses, voices) and the job status made of a video. A bad reply must be an avpost::Error (ServiceError); anything else
// escaping, a crash or undefined behaviour is a finding.
#include <string>

#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/net/a2v_client.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"
#include "fuzz_support.hpp"

namespace {

using nlohmann::json;

template <class T>
void read_each(const json& list) {
    if (list.is_array())
        for (const json& item : list) (void)item.get<T>();
}

void read_a2v(std::string_view body) {
    using namespace avpost::net::a2v;
    const json data = parse_response(body, "fuzz a2v");
    if (data.is_object()) {
        const Video video = data.get<Video>();
        json status = avpost::net::to_job_status(video);
        (void)status.dump();
        (void)data.get<Avatar>();
        (void)data.get<Pose>();
    }
    read_each<Video>(data);
    read_each<Avatar>(data);
    read_each<Pose>(data);
}

void read_akool(std::string_view body) {
    using namespace avpost::net::akool;
    const json reply = parse_response(body, "fuzz akool");
    const json data = reply.contains("data") ? reply["data"] : json();
    if (data.is_object()) {
        json status = avpost::net::to_job_status(data.get<VideoInfo>());
        (void)status.dump();
        (void)data.get<Avatar>();
        (void)data.get<Voice>();
        for (const char* key : {"result", "list"}) {
            if (!data.contains(key)) continue;
            read_each<Avatar>(data[key]);
            read_each<Voice>(data[key]);
        }
    }
    read_each<Avatar>(data);
    read_each<Voice>(data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    avpost::fuzz::quiet_logs();
    const std::string_view body = avpost::fuzz::as_text(data, size);
    try {
        read_a2v(body);
    } catch (const avpost::Error&) {
    }
    try {
        read_akool(body);
    } catch (const avpost::Error&) {
    }
    return 0;
}
