// `avpost archive sync --store s3://...` and `archive export` against s3rver (npm) on 127.0.0.1:
// A2V renders from the in-process sandbox end up verified in the bucket (video and mask, with the
// SHA-256 as object metadata), and come back out byte for byte.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "s3rver_environment.hpp"
#include "sync_test_support.hpp"
#include "avpost/archive/s3_store.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const char* bucket = "avpost-sync-test";


const auto* environment = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));

}  // namespace

TEST(ArchiveSyncS3, SyncIntoABucketThenExportBack) {
    ASSERT_TRUE(S3rverEnvironment::failure.empty()) << S3rverEnvironment::failure;
    // The environment first, while no other thread runs (see start_sandbox_for_cli).
    ::setenv("AVPOST_S3_ENDPOINT", S3rverEnvironment::endpoint.c_str(), 1);
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);  // s3rver's fixed test credentials, not real ones
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    auto sandbox_server = start_sandbox_for_cli(quick_sandbox());
    sandbox::SandboxServer& server = *sandbox_server;
    finished_a2v_renders(server, 1);
    fs::path root = make_temp_dir("sync-s3");
    std::string store = std::string("s3://") + bucket + "/renders";
    auto r = run(avpost_cmd(root, "sync --vendor a2v --store " + store + " --jobs 2 --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["verified"], 2);
    std::string job;
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        S3Config c = S3Config::from_environment(store);
        S3Store s3(c);
        for (const ListRow& row : catalog.list()) {
            job = row.job.vendor_job_id;
            EXPECT_EQ(row.asset.state, AssetState::verified);
            EXPECT_EQ(row.asset.store_uri, store);
            auto info = s3.stat(row.asset.store_key);
            ASSERT_TRUE(info) << row.asset.store_key;
            EXPECT_EQ(info->sha256, row.asset.sha256);
            ASSERT_TRUE(row.asset.size);
            EXPECT_EQ(info->size, *row.asset.size);
        }
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0) << "files went to the local store instead";

    fs::path dest = root / "exported";
    auto e = run(avpost_cmd(root, "export " + job + " -o " + shell_quote(dest.string()) + " --json"));
    ASSERT_EQ(e.exit_code, 0) << e.err;
    auto files = nlohmann::json::parse(e.out)["files"];
    ASSERT_EQ(files.size(), 2u);
    for (const auto& f : files) EXPECT_EQ(sha256_hex(read_file(f["path"].get<std::string>())), f["sha256"]);

    auto verify = run(avpost_cmd(root, "verify --json"));
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    server.stop();
    fs::remove_all(root);
}
