// The gallery serves files kept in S3 (s3rver on 127.0.0.1) through the server: the whole file,
// byte ranges (206) and ETag revalidation, as for a local store, and still only by catalog id.
#include "s3rver_environment.hpp"
#include "gallery_test_support.hpp"
#include "sync_test_support.hpp"

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/gallery_server.hpp"
#include "avpost/archive/s3_store.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const char* bucket = "avpost-gallery-test";
const auto* environment = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));
const std::string token = random_gallery_token();

}  // namespace

TEST(GalleryS3, FilesInABucketAreServedWithRangesAndETags) {
    ASSERT_TRUE(S3rverEnvironment::failure.empty()) << S3rverEnvironment::failure;
    ::setenv("AVPOST_S3_ENDPOINT", S3rverEnvironment::endpoint.c_str(), 1);
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);  // s3rver's fixed test credentials, not real ones
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    fs::path root = make_temp_dir("gallery-s3");
    const std::string bytes = pattern_bytes(300000, 7);
    write_file(root / "poster.jpg", bytes);
    std::int64_t asset = 0;
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        S3Store store(S3Config::from_environment(std::string("s3://") + bucket + "/gallery"));
        std::int64_t job = add_job(catalog, "akool", "s3-job");
        asset = catalog.add_asset(job, "delivery", "poster.jpg", "");
        ASSERT_TRUE(catalog.claim(asset, "gallery-s3-test", std::chrono::seconds(60)));
        archive_claimed_file(catalog, store, catalog.asset(asset), "gallery-s3-test", root / "poster.jpg");
        EXPECT_TRUE(catalog.asset(asset).store_uri.starts_with("s3://"));
    }
    fs::remove(root / "poster.jpg");  // only the bucket has it now

    GalleryServerOptions o;
    o.archive_root = root;
    o.token = token;
    GalleryServer gallery(o);
    TinyServer http;
    gallery.install(http.server);
    http.start();
    httplib::Client c("127.0.0.1", std::stoi(http.url("").substr(17)));
    httplib::Headers auth = {{"Authorization", std::string("Bearer ") + token}};
    const std::string path = "/files/" + std::to_string(asset) + "/poster.jpg";
    auto whole = c.Get(path, auth);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->status, 200);
    EXPECT_EQ(whole->body, bytes);
    EXPECT_EQ(whole->get_header_value("Content-Type"), "image/jpeg");
    auto ranged = auth;
    ranged.emplace("Range", "bytes=1000-1999");
    auto part = c.Get(path, ranged);
    EXPECT_EQ(part->status, 206);
    EXPECT_EQ(part->body, bytes.substr(1000, 1000));
    auto again = auth;
    again.emplace("If-None-Match", whole->get_header_value("ETag"));
    EXPECT_EQ(c.Get(path, again)->status, 304);
    EXPECT_EQ(c.Get(path + "/../x", auth)->status, 404);
    EXPECT_EQ(c.Get(path)->status, 401);
    http.stop();
    fs::remove_all(root);
}
