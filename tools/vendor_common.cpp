#include "vendor_common.hpp"

#include <iostream>

#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::tool {

CLI::Option* add_vendor_option(CLI::App& sub, std::string& vendor, std::vector<std::string> allowed) {
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : "|") + a;
    return sub.add_option("--vendor", vendor, "Vendor: " + names)->required()->check(CLI::IsMember(allowed));
}

void print_json(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

void print_status(const net::JobStatus& s, bool json) {
    if (json) return print_json(s);
    std::cout << s.id << "\t" << net::to_string(s.state) << " (" << net::to_string(s.vendor) << " status "
              << s.vendor_status << ")\n";
    // The links are signed: only their redacted form is printed; `avpost fetch` downloads them.
    if (!s.video_url.empty()) std::cout << "video\t" << net::redact_url(s.video_url) << "\n";
    if (!s.mask_url.empty()) std::cout << "mask\t" << net::redact_url(s.mask_url) << "\n";
    std::cout.flush();
}

}  // namespace avpost::tool
