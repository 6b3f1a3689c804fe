#pragma once
// Shared wiring of the vendor commands: the --vendor option and printing (plain lines, or one
// JSON object with --json). No vendor logic lives here.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "avpost/net/a2v_client.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/pipeline/vendor_session.hpp"
#include "command.hpp"

namespace avpost::tool {

// The vendor wiring lives in the pipeline library; these commands use it by its short names.
using pipeline::download_http_options;
using pipeline::make_a2v_client;
using pipeline::make_akool_client;
using pipeline::throw_if_failed;
using pipeline::VendorEnvironment;
using pipeline::VendorSession;
using pipeline::wait_options;

// Adds the required --vendor option limited to `allowed` ("akool", "a2v").
CLI::Option* add_vendor_option(CLI::App& sub, std::string& vendor, std::vector<std::string> allowed);

// Prints a job status: one line "ID STATE (vendor status)" plus result URLs (redacted), or JSON.
void print_status(const net::JobStatus& status, bool json);

void print_json(const nlohmann::json& j);

}  // namespace avpost::tool
