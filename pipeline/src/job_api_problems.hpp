#pragma once
// RFC 9457 problem details, as the job API answers every failure: {type, title, status, detail}
// (+ errors: [{path, detail}] for a job's or batch's field problems). Types are URNs
// (urn:avpost:problem:NAME, listed in docs/api.md); "about:blank" when the status says it all.
#include <httplib.h>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "avpost/net/redact.hpp"

namespace avpost::pipeline {

inline constexpr const char* problem_content_type = "application/problem+json";

inline void send_problem(httplib::Response& res, int status, std::string_view type, const std::string& title,
                         const std::string& detail, nlohmann::json errors = nullptr) {
    nlohmann::json body = {{"type", type.empty() ? std::string("about:blank") : "urn:avpost:problem:" + std::string(type)},
                           {"title", title},
                           {"status", status}};
    if (!detail.empty()) body["detail"] = net::redact_text(detail);
    if (!errors.is_null()) body["errors"] = std::move(errors);
    res.status = status;
    res.set_content(body.dump(), problem_content_type);
}

}  // namespace avpost::pipeline
