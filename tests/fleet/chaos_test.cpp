// The fleet under chaos: real `avpost worker` processes, real PostgreSQL, the sandbox and s3rver,
// each service behind its own TCP fault proxy (tests/support/fault_proxy.hpp). While 3 workers run
// 8 quick jobs with the shortest lease a worker allows (1 s), a seeded schedule injects latency
// on all three, resets of the database's connections, a vendor that drops connections and a store
// that resets them, and a database blackholed for longer than the lease. Once the faults clear
// the fleet must drain: every job done once, one render each, each file stored once and never
// rewritten, `archive verify --all` clean, and every worker alive until SIGTERM stops it.
//
// The seed is printed; AVPOST_CHAOS_SEED=N replays the same schedule (the machine's own timing is
// not replayed). Waits poll the catalog, the proxies' counters or a process with a deadline; the
// fixed waits are the faults' own durations.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "../archive/s3rver_environment.hpp"
#include "../archive/sync_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "fault_proxy.hpp"
#include "postgres_server.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const char* bucket = "avpost-chaos-test";
const auto* s3 = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));
const auto* postgres = [] {
    PostgresEnvironment::listen_on_tcp();  // the fault proxy forwards TCP
    return ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
}();

}  // namespace

// The product fix the chaos test called for: a catalog statement to a PostgreSQL that stopped
// answering fails once its deadline passes (before, PQexec waited for good and every worker of
// the fleet hung after the database's blackhole), and the next statement connects again.
TEST(ChaosCatalog, AStatementToADatabaseThatStoppedAnsweringFailsAtItsDeadlineAndTheNextOneReconnects) {
    const std::string uri = fresh_database();
    const std::string database = uri.substr(std::string("postgresql:///").size(), uri.find('?') - std::string("postgresql:///").size());
    FaultProxy proxy("127.0.0.1", PostgresEnvironment::server().tcp_port());
    archive::CatalogOptions options;
    options.answer_timeout = 1s;
    auto catalog = archive::open_catalog(PostgresServer::tcp_uri(database, proxy.port()), options);
    catalog->submit_job("one", {{"file", "/one.json"}, {"job", json::object()}});

    proxy.blackhole();
    auto started = Clock::now();
    try {
        catalog->queued_jobs();
        ADD_FAILURE() << "a statement to a blackholed database returned";
    } catch (const Error& e) {
        EXPECT_TRUE(archive::is_catalog_error(e)) << e.what();
        EXPECT_NE(std::string(e.what()).find("no answer from the server within 1 s"), std::string::npos) << e.what();
    }
    EXPECT_GE(Clock::now() - started, 1s);
    EXPECT_LT(Clock::now() - started, 20s);
    // Connecting again while it is away times out too (libpq's connect_timeout: at least 2 s).
    started = Clock::now();
    EXPECT_THROW(catalog->queued_jobs(), Error);
    EXPECT_LT(Clock::now() - started, 20s);
    EXPECT_EQ(proxy.counters().blackholed, 2);

    proxy.pass();
    ASSERT_EQ(catalog->queued_jobs().size(), 1u);
    EXPECT_EQ(catalog->queued_jobs()[0].name, "one");
}
