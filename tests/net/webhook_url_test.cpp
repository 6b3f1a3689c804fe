// The SSRF rule of notify URLs (net/webhook_url.hpp): forms, literal addresses at once, every
// resolved address at delivery, and the connection pinned to the checked address.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "avpost/core/error.hpp"
#include "avpost/net/webhook_url.hpp"

using namespace avpost;
using net::webhook_url_problem;

TEST(WebhookUrl, OnlyHttpAndHttpsWithAHostAndNoUserInfo) {
    EXPECT_EQ(webhook_url_problem("https://hooks.example.com/avpost?token=x", false), std::nullopt);
    EXPECT_EQ(webhook_url_problem("http://hooks.example.com:8080/a", false), std::nullopt);
    EXPECT_EQ(webhook_url_problem("HTTPS://hooks.example.com/", false), std::nullopt);
    for (const char* bad : {"ftp://hooks.example.com/", "file:///etc/passwd", "gopher://x/", "hooks.example.com/path",
                            "https://", "https:///path", "https://user:pw@hooks.example.com/", "https://user@hooks.example.com/",
                            "https://hooks.example.com:99999/", ""}) {
        auto problem = webhook_url_problem(bad, true);
        EXPECT_TRUE(problem.has_value()) << bad;
        if (problem) EXPECT_EQ(problem->find("pw@"), std::string::npos) << *problem;
    }
}

TEST(WebhookUrl, LiteralPrivateAddressesAreRefusedUnlessAllowed) {
    for (const char* url :
         {"http://127.0.0.1:8080/", "http://127.1.2.3/", "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/",
          "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/", "http://100.64.0.1/",
          "http://224.0.0.1/", "http://255.255.255.255/", "http://[::1]/", "http://[fe80::1]/", "http://[fc00::1]/",
          "http://[fd12:3456::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[::]/",
          "http://[ff02::1]/", "http://localhost:9/", "http://api.localhost/", "http://2130706433/", "http://0x7f.1/",
          "http://017700000001/"}) {
        auto problem = webhook_url_problem(url, false);
        EXPECT_TRUE(problem.has_value()) << url;
        EXPECT_EQ(webhook_url_problem(url, true), std::nullopt) << url << ": allowed with --allow-private-webhooks";
    }
    for (const char* url : {"http://8.8.8.8/", "http://172.32.0.1/", "http://100.128.0.1/", "http://[2001:4860:4860::8888]/",
                            "http://192.169.0.1/"})
        EXPECT_EQ(webhook_url_problem(url, false), std::nullopt) << url;
}

TEST(WebhookUrl, AddressesAreClassifiedIncludingMappedIpv6) {
    EXPECT_TRUE(net::is_private_address_literal("127.0.0.1"));
    EXPECT_TRUE(net::is_private_address_literal("[::ffff:169.254.169.254]"));
    EXPECT_TRUE(net::is_private_address_literal("::ffff:192.168.0.1"));
    EXPECT_TRUE(net::is_private_address_literal("64:ff9b::a00:1")) << "NAT64 of 10.0.0.1";
    EXPECT_FALSE(net::is_private_address_literal("::ffff:8.8.8.8"));
    EXPECT_FALSE(net::is_private_address_literal("93.184.216.34"));
    EXPECT_FALSE(net::is_private_address_literal("example.com")) << "not a literal";
}

// At delivery the name is resolved and every address it has is checked, whatever its name says.
TEST(WebhookUrl, AtDeliveryEveryResolvedAddressIsCheckedAndTheCheckedOneIsPinned) {
    // "localhost" resolves (/etc/hosts) to loopback: refused by its address, not by its name.
    try {
        net::resolve_webhook_target("http://localhost:8080/hook?token=sekrit", false);
        ADD_FAILURE() << "a name for loopback was accepted";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("resolves to "), std::string::npos) << what;
        EXPECT_EQ(what.find("sekrit"), std::string::npos) << what;
    }
    const net::WebhookTarget local = net::resolve_webhook_target("http://localhost:8080/hook", true);
    EXPECT_TRUE(local.address == "127.0.0.1" || local.address == "::1") << local.address;
    EXPECT_TRUE(local.curl_resolve_entry() == "localhost:8080:127.0.0.1" || local.curl_resolve_entry() == "localhost:8080:[::1]")
        << local.curl_resolve_entry();
    EXPECT_THROW(net::resolve_webhook_target("http://127.0.0.1:8080/hook", false), Error);
    net::WebhookTarget t = net::resolve_webhook_target("http://127.0.0.1:8080/hook?token=sekrit", true);
    EXPECT_EQ(t.host, "127.0.0.1");
    EXPECT_EQ(t.port, 8080);
    EXPECT_EQ(t.address, "127.0.0.1");
    EXPECT_EQ(t.curl_resolve_entry(), "127.0.0.1:8080:127.0.0.1");
    net::WebhookTarget v6 = net::resolve_webhook_target("https://[::1]/hook", true);
    EXPECT_EQ(v6.port, 443);
    EXPECT_EQ(v6.curl_resolve_entry(), "::1:443:[::1]");
}
