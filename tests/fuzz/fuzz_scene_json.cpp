// Fuzz target: scene and layer JSON (`compose --scene`, a job's composite.layers and
// composite.elements) and an Akool talking-avatar request (`render --vendor akool --request`).
// Bad JSON values must be an avpost::Error (or, for the request, the nlohmann exception the CLI
// reports); anything else escaping, a crash or undefined behaviour is a finding.
#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"
#include "avpost/filters/layers.hpp"
#include "avpost/net/akool_types.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace avpost;
    fuzz::quiet_logs();
    const nlohmann::json document = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, false);
    if (document.is_discarded()) return 0;
    try {
        filters::scene_from_json(document);
    } catch (const Error&) {
    }
    try {
        filters::layers_from_json(document);
    } catch (const Error&) {
    }
    try {
        filters::layers_from_akool_elements(document);
    } catch (const Error&) {
    }
    if (document.is_object()) {
        try {
            net::akool::validate(document.get<net::akool::TalkingAvatarRequest>());
        } catch (const nlohmann::json::exception&) {
        } catch (const Error&) {
        }
    }
    return 0;
}
