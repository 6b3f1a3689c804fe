// The S3 store against a real S3-compatible server (s3rver from npm) on 127.0.0.1: single and
// multipart uploads confirmed by HEAD with the hash as metadata, refusing overwrites, verify
// catching a tampered object, and the server's and the network's errors.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "archive_test_support.hpp"
#include "s3rver_environment.hpp"
#include "avpost/archive/archiver.hpp"
#include "avpost/archive/s3_store.hpp"
#include "avpost/core/error.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const char* bucket = "avpost-test";

const auto* environment = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));

class ArchiveS3 : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(S3rverEnvironment::failure.empty()) << S3rverEnvironment::failure;
        dir = make_temp_dir("s3");
    }
    S3Config config(const std::string& prefix = "renders") {
        S3Config c;
        c.endpoint = S3rverEnvironment::endpoint;
        c.credentials = {"S3RVER", "S3RVER", ""};  // s3rver's fixed test credentials, not real ones
        c.bucket = bucket;
        c.prefix = prefix;
        c.part_size = c.multipart_threshold = 64 * 1024;
        c.retry_delay = std::chrono::milliseconds(5);
        return c;
    }
    fs::path file(const std::string& name, std::size_t size, unsigned seed) {
        write_file(dir / name, pattern_bytes(size, seed));
        return dir / name;
    }
    // The bytes s3rver keeps for an object (to tamper with them behind the store's back).
    fs::path object_file(const std::string& key) {
        for (auto& e : fs::recursive_directory_iterator(S3rverEnvironment::data_dir / bucket)) {
            std::string p = e.path().string();
            if (p.find(key) != std::string::npos && p.ends_with("._S3rver_object")) return e.path();
        }
        return {};
    }
    fs::path dir;
};

}  // namespace

TEST_F(ArchiveS3, APutIsConfirmedBySizeAndHashMetadata) {
    S3Store store(config());
    auto f = file("a.bin", 10000, 31);
    FileDigest d = sha256_file(f);
    ObjectInfo info = store.put(f, "akool/2026-11/J1/a.bin", d.sha256, d.size);
    EXPECT_EQ(info.size, d.size);
    EXPECT_EQ(info.sha256, d.sha256);
    auto st = store.stat("akool/2026-11/J1/a.bin");
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->sha256, d.sha256);
    ObjectDigest back = store.rehash("akool/2026-11/J1/a.bin");
    EXPECT_EQ(back.sha256, d.sha256);
    EXPECT_EQ(back.recorded_sha256, d.sha256);
    EXPECT_EQ(back.size, d.size);
    EXPECT_FALSE(store.stat("akool/2026-11/J1/none.bin").has_value());
    EXPECT_EQ(store.uri(), std::string("s3://") + bucket + "/renders");
}

TEST_F(ArchiveS3, LargeFilesGoUpInPartsAndKeepTheirHash) {
    S3Store store(config());
    auto f = file("big.bin", 300 * 1024 + 17, 32);  // 5 parts, the last one short
    FileDigest d = sha256_file(f);
    ObjectInfo info = store.put(f, "akool/2026-11/J2/big.bin", d.sha256, d.size);
    EXPECT_EQ(info.size, d.size);
    EXPECT_EQ(info.sha256, d.sha256);
    ObjectDigest back = store.rehash("akool/2026-11/J2/big.bin");
    EXPECT_EQ(back.sha256, d.sha256);
    EXPECT_EQ(back.size, d.size);
}

TEST_F(ArchiveS3, SameContentIsANoOpAndDifferentContentIsRefused) {
    S3Store store(config());
    auto a = file("a.bin", 5000, 33), b = file("b.bin", 5000, 34);
    FileDigest da = sha256_file(a), db = sha256_file(b);
    store.put(a, "k/same.bin", da.sha256, da.size);
    EXPECT_EQ(store.put(a, "k/same.bin", da.sha256, da.size).sha256, da.sha256);
    try {
        store.put(b, "k/same.bin", db.sha256, db.size);
        FAIL() << "overwrote different content";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::input);
        EXPECT_NE(std::string(e.what()).find("refusing to overwrite"), std::string::npos) << e.what();
    }
    EXPECT_EQ(store.rehash("k/same.bin").sha256, da.sha256);
    // A source that does not match what the caller expects is not uploaded at all.
    EXPECT_THROW(store.put(b, "k/other.bin", da.sha256, db.size), Error);
    EXPECT_FALSE(store.stat("k/other.bin").has_value());
}

// What s3rver keeps of an upload its full disk cut short: the object's bytes so far, no metadata
// (it writes those after the bytes). A later put of the whole file replaces that debris; an object
// as long as the file, or with another upload's sha256, is still refused.
TEST_F(ArchiveS3, DebrisOfAFailedUploadIsReplacedButForeignContentIsNot) {
    S3Store store(config());
    auto whole = file("whole.bin", 6000, 36), start = file("start.bin", 2000, 36), other = file("other.bin", 6000, 37);
    FileDigest dw = sha256_file(whole), ds = sha256_file(start), dother = sha256_file(other);
    auto debris_of = [&](const std::string& key, const fs::path& f, const FileDigest& d) {
        store.put(f, key, d.sha256, d.size);
        fs::path bytes = object_file(key);
        ASSERT_FALSE(bytes.empty()) << "cannot find s3rver's file for " << key;
        std::string metadata = bytes.string();
        metadata.replace(metadata.rfind("._S3rver_object"), std::string::npos, "._S3rver_metadata.json");
        ASSERT_TRUE(fs::remove(metadata)) << metadata;
        ASSERT_EQ(store.stat(key)->sha256, "") << "the store still reports our metadata";
    };

    debris_of("d/cut.bin", start, ds);
    EXPECT_EQ(store.put(whole, "d/cut.bin", dw.sha256, dw.size).sha256, dw.sha256);
    EXPECT_EQ(store.rehash("d/cut.bin").sha256, dw.sha256);
    EXPECT_EQ(store.stat("d/cut.bin")->sha256, dw.sha256);

    debris_of("d/full.bin", other, dother);  // no metadata, but as long as the file: not debris
    EXPECT_THROW(store.put(whole, "d/full.bin", dw.sha256, dw.size), Error);
    EXPECT_EQ(store.rehash("d/full.bin").sha256, dother.sha256);

    store.put(start, "d/short.bin", ds.sha256, ds.size);  // shorter, but a finished upload of ours
    EXPECT_THROW(store.put(whole, "d/short.bin", dw.sha256, dw.size), Error);
    EXPECT_EQ(store.rehash("d/short.bin").sha256, ds.sha256);
}

TEST_F(ArchiveS3, ArchivedVideoVerifiesAndATamperedObjectIsCaught) {
    S3Store store(config("team"));
    SqliteCatalog catalog(Catalog::file_in(dir));
    std::int64_t job = add_job(catalog, "a2v", "JOB-S3");
    std::int64_t video = catalog.add_asset(job, "avatar", "avatar.mp4", "https://cdn/v.mp4?X-Amz-Signature=x");
    std::int64_t other = catalog.add_asset(job, "other", "meta.json", "");
    write_file(dir / "meta.json", R"({"duration": 3})");
    ASSERT_TRUE(catalog.claim(video, "w", std::chrono::seconds(60)));
    archive_claimed_file(catalog, store, catalog.asset(video), "w", sample_video());
    ASSERT_TRUE(catalog.claim(other, "w", std::chrono::seconds(60)));
    archive_claimed_file(catalog, store, catalog.asset(other), "w", dir / "meta.json");
    AssetRecord rec = catalog.asset(video);
    EXPECT_EQ(rec.state, AssetState::stored);
    EXPECT_EQ(rec.store_uri, std::string("s3://") + bucket + "/team");
    EXPECT_EQ(rec.store_key, "a2v/2026-11/JOB-S3/avatar.mp4");

    StoreOpener open = [&](const std::string& uri) -> ArchiveStore& {
        EXPECT_EQ(uri, store.uri());
        return store;
    };
    VerifyReport ok = verify_assets(catalog, std::nullopt, open);
    EXPECT_EQ(ok.ok, 2);
    EXPECT_EQ(ok.bad, 0);

    fs::path bytes = object_file("JOB-S3/meta.json");
    ASSERT_FALSE(bytes.empty()) << "cannot find s3rver's file for the object";
    write_file(bytes, R"({"duration": 4})");  // same size, different content
    VerifyReport bad = verify_assets(catalog, std::nullopt, open);
    EXPECT_EQ(bad.ok, 1);
    EXPECT_EQ(bad.bad, 1);
    EXPECT_EQ(catalog.asset(other).state, AssetState::failed);
    EXPECT_NE(catalog.asset(other).error.find("sha256"), std::string::npos) << catalog.asset(other).error;
    EXPECT_EQ(catalog.asset(video).state, AssetState::verified);
}

TEST_F(ArchiveS3, ServerAndNetworkErrorsCarryTheirCodes) {
    S3Config missing_bucket = config();
    missing_bucket.bucket = "no-such-bucket";
    auto f = file("a.bin", 100, 35);
    FileDigest d = sha256_file(f);
    try {
        S3Store(missing_bucket).put(f, "k/a.bin", d.sha256, d.size);
        FAIL() << "uploaded into a bucket that does not exist";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::http);
        EXPECT_EQ(e.code(), 404);
        EXPECT_NE(std::string(e.what()).find("NoSuchBucket"), std::string::npos) << e.what();
    }

    S3Config closed = config();
    closed.endpoint = "http://127.0.0.1:1";  // nothing listens there
    try {
        S3Store(closed).stat("k/a.bin");
        FAIL() << "reached a closed port";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::curl);
        EXPECT_EQ(e.code(), CURLE_COULDNT_CONNECT) << e.what();
    }
}

TEST_F(ArchiveS3, ConfigurationComesFromTheEnvironment) {
    ::setenv("AVPOST_S3_ENDPOINT", "http://127.0.0.1:9/", 1);
    ::setenv("AWS_REGION", "eu-west-3", 1);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "fake-secret", 1);
    ::setenv("AVPOST_S3_PART_SIZE", "1048576", 1);
    S3Config c = S3Config::from_environment("s3://bucket/some/prefix/");
    EXPECT_EQ(c.endpoint, "http://127.0.0.1:9");
    EXPECT_EQ(c.region, "eu-west-3");
    EXPECT_EQ(c.bucket, "bucket");
    EXPECT_EQ(c.prefix, "some/prefix");
    EXPECT_EQ(c.part_size, 1048576);
    EXPECT_EQ(S3Store(c).uri(), "s3://bucket/some/prefix");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    EXPECT_THROW(S3Config::from_environment("s3://bucket"), Error);
    ::setenv("AWS_SECRET_ACCESS_KEY", "fake-secret", 1);
    EXPECT_THROW(S3Config::from_environment("s3://"), Error);
    EXPECT_THROW(S3Config::from_environment("s3://b/../x"), Error);
    for (auto v : {"AVPOST_S3_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AVPOST_S3_PART_SIZE"})
        ::unsetenv(v);
}

TEST_F(ArchiveS3, TheVerifyCommandReachesTheStoreThroughTheEnvironment) {
    S3Store store(config("cli"));
    fs::path root = dir / "archive";
    std::int64_t id = 0;
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        id = catalog.add_asset(add_job(catalog, "akool", "JOB-CLI-S3"), "other", "notes.txt", "");
        write_file(dir / "notes.txt", "kept in s3\n");
        ASSERT_TRUE(catalog.claim(id, "w", std::chrono::seconds(60)));
        archive_claimed_file(catalog, store, catalog.asset(id), "w", dir / "notes.txt");
    }
    std::string env = "AVPOST_S3_ENDPOINT=" + S3rverEnvironment::endpoint +
                      " AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 ";
    std::string cmd = env + shell_quote(AVPOST_BINARY) + " archive --archive " + shell_quote(root.string()) +
                      " verify --json";
    CommandResult ok = run(cmd);
    ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(nlohmann::json::parse(ok.out)["ok"], 1);

    // Without credentials the store cannot be opened: reported, never counted as verified.
    CommandResult nocreds = run("env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AVPOST_S3_ENDPOINT=" +
                                S3rverEnvironment::endpoint + " " + shell_quote(AVPOST_BINARY) + " archive --archive " +
                                shell_quote(root.string()) + " verify");
    EXPECT_EQ(nocreds.exit_code, 20) << nocreds.out << nocreds.err;
    EXPECT_NE(nocreds.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << nocreds.err;
    EXPECT_NE(nocreds.out.find("ERROR"), std::string::npos) << nocreds.out;

    fs::path bytes = object_file("JOB-CLI-S3/notes.txt");
    ASSERT_FALSE(bytes.empty());
    write_file(bytes, "kept in s4\n");
    CommandResult bad = run(cmd);
    EXPECT_EQ(bad.exit_code, 20) << bad.out << bad.err;
    nlohmann::json report = nlohmann::json::parse(bad.out);
    EXPECT_EQ(report["bad"], 1);
    EXPECT_EQ(report["items"][0]["status"], "mismatch");
    EXPECT_EQ(bad.err.find("S3RVER"), std::string::npos) << "credentials in the output: " << bad.err;

}
