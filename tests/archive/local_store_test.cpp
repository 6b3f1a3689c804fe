// The local store and the archive step over it: layout, atomic verified writes, refusing to
// overwrite, full disk, verify catching changed and missing files.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>
#include <sys/resource.h>
#include <sys/wait.h>

#include "archive_test_support.hpp"
#include "avpost/archive/archiver.hpp"
#include "avpost/archive/local_store.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/core/error.hpp"
#include "small_disk.hpp"

#include <sqlite3.h>

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

struct Archive {
    fs::path root;
    SqliteCatalog catalog;
    LocalStore store;
    explicit Archive(const fs::path& r) : root(r), catalog(Catalog::file_in(r)), store(r) {}

    StoreOpener opener() {
        return [this](const std::string& uri) -> ArchiveStore& {
            EXPECT_EQ(uri, store.uri());
            return store;
        };
    }
    // Claims `asset` and archives `file` for it.
    StoredFacts keep(std::int64_t asset, const fs::path& file) {
        EXPECT_TRUE(catalog.claim(asset, "test", std::chrono::seconds(60)));
        return archive_claimed_file(catalog, store, catalog.asset(asset), "test", file);
    }
};


}  // namespace

// The WHERE column of archive ls / verify: a URI a tool can parse, whatever the root was called.
TEST(ArchiveLocalStore, StoredFileUriIsAValidUri) {
    EXPECT_EQ(stored_file_uri("file:///srv/out/../archive", "a2v/job 1/video.mp4"),
              "file:///srv/archive/a2v/job%201/video.mp4");
    EXPECT_EQ(stored_file_uri("file:///srv/archive/", "x#?%.mp4"), "file:///srv/archive/x%23%3F%25.mp4");
    EXPECT_EQ(stored_file_uri("/plain/root", "k"), "file:///plain/root/k");
    EXPECT_EQ(stored_file_uri("s3://bucket/pre fix", "a/b"), "s3://bucket/pre%20fix/a/b");
}

TEST(ArchiveLocalStore, KeepsAVideoInTheReadableLayoutWithMediaFacts) {
    auto root = make_temp_dir("local");
    Archive a(root);
    std::int64_t id = a.catalog.add_asset(add_job(a.catalog, "akool", "JOB-42"), "avatar", "avatar.mp4",
                                          "https://cdn/x.mp4?sig=1");
    StoredFacts facts = a.keep(id, sample_video());
    EXPECT_EQ(facts.store_key, "akool/2026-11/JOB-42/avatar.mp4");
    fs::path stored = root / "akool/2026-11/JOB-42/avatar.mp4";
    ASSERT_TRUE(fs::exists(stored));
    FileDigest original = sha256_file(sample_video());
    EXPECT_EQ(sha256_file(stored).sha256, original.sha256);

    AssetRecord rec = a.catalog.asset(id);
    EXPECT_EQ(rec.state, AssetState::stored);
    EXPECT_EQ(rec.sha256, original.sha256);
    EXPECT_EQ(rec.size, original.size);
    EXPECT_EQ(rec.store_uri, "file://" + root.string());
    ASSERT_TRUE(rec.media.has_value());
    EXPECT_FALSE(rec.media->codec.empty());
    EXPECT_GT(rec.media->width, 0);
    EXPECT_GT(rec.media->height, 0);
    EXPECT_GT(rec.media->duration_seconds, 0.0);
    EXPECT_GT(rec.media->frame_rate, 0.0);
    EXPECT_EQ(count_hidden_files(root / "akool"), 0);
}

TEST(ArchiveLocalStore, PuttingTheSameContentAgainIsANoOpAndDifferentContentIsRefused) {
    auto root = make_temp_dir("local");
    LocalStore store(root / "store");
    auto src = root / "a.bin";
    write_file(src, pattern_bytes(100000, 1));
    FileDigest d = sha256_file(src);
    ObjectInfo first = store.put(src, "v/2026-11/j/a.bin", d.sha256, d.size);
    EXPECT_EQ(first.sha256, d.sha256);
    EXPECT_EQ(first.size, d.size);
    EXPECT_EQ(store.put(src, "v/2026-11/j/a.bin", d.sha256, d.size).sha256, d.sha256);

    auto other = root / "b.bin";
    write_file(other, pattern_bytes(100000, 2));
    FileDigest od = sha256_file(other);
    try {
        store.put(other, "v/2026-11/j/a.bin", od.sha256, od.size);
        FAIL() << "overwrote different content";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::input);
        EXPECT_NE(std::string(e.what()).find("refusing to overwrite"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("avpost archive repair"), std::string::npos) << "names the way out";
    }
    EXPECT_EQ(sha256_file(store.path_of("v/2026-11/j/a.bin")).sha256, d.sha256);
}

// Repair's way in: a damaged copy is replaced, atomically, only by content with the given hash.
TEST(ArchiveLocalStore, ReplaceOverwritesADamagedCopyWithTheExpectedContent) {
    auto root = make_temp_dir("local");
    LocalStore store(root / "store");
    auto src = root / "a.bin";
    write_file(src, pattern_bytes(20000, 4));
    FileDigest d = sha256_file(src);
    store.put(src, "k/a.bin", d.sha256, d.size);
    write_file(store.path_of("k/a.bin"), "damaged");
    auto bad = root / "bad.bin";
    write_file(bad, "something else");
    EXPECT_THROW(store.replace(bad, "k/a.bin", d.sha256, d.size), Error);
    EXPECT_EQ(read_file(store.path_of("k/a.bin")), "damaged") << "a failed replace changes nothing";
    ObjectInfo back = store.replace(src, "k/a.bin", d.sha256, d.size);
    EXPECT_EQ(back.sha256, d.sha256);
    EXPECT_EQ(sha256_file(store.path_of("k/a.bin")).sha256, d.sha256);
}

TEST(ArchiveLocalStore, ASourceThatDoesNotMatchItsHashIsNotStored) {
    auto root = make_temp_dir("local");
    LocalStore store(root / "store");
    auto src = root / "a.bin";
    write_file(src, pattern_bytes(5000, 3));
    FileDigest d = sha256_file(src);
    EXPECT_THROW(store.put(src, "k/a.bin", std::string(64, '0'), d.size), Error);
    EXPECT_THROW(store.put(src, "k/a.bin", d.sha256, d.size + 1), Error);
    EXPECT_THROW(store.put(src, "k/a.bin", "not-a-hash", d.size), Error);
    EXPECT_FALSE(fs::exists(store.path_of("k/a.bin")));
    EXPECT_EQ(count_hidden_files(root / "store"), 0);
}

TEST(ArchiveLocalStore, RejectsKeysThatLeaveTheRoot) {
    auto root = make_temp_dir("local");
    LocalStore store(root);
    for (std::string key : {"../x", "/abs", "a//b", "a/./b", "", "a/"}) EXPECT_THROW(store.path_of(key), Error) << key;
    EXPECT_EQ(asset_store_key("ak/ool", job_created_at, "../..", ".hidden"), "ak_ool/2026-11/_._../_hidden");
}

TEST(ArchiveLocalStore, AVideoKindThatDoesNotDecodeFailsAndIsNotStored) {
    auto root = make_temp_dir("local");
    Archive a(root);
    std::int64_t id = a.catalog.add_asset(add_job(a.catalog, "akool", "J"), "avatar", "avatar.mp4", "");
    auto bogus = root / "bogus.mp4";
    write_file(bogus, "<html>403 Forbidden</html>");
    EXPECT_THROW(a.keep(id, bogus), Error);
    AssetRecord rec = a.catalog.asset(id);
    EXPECT_EQ(rec.state, AssetState::failed);
    EXPECT_FALSE(rec.error.empty());
    EXPECT_FALSE(fs::exists(root / "akool"));
}

TEST(ArchiveLocalStore, AFileSizeLimitIsReportedAndNothingIsLost) {
    // The same failure as a full disk where no tmpfs can be mounted: writes past RLIMIT_FSIZE
    // fail (EFBIG) in a child process that has the limit.
    auto base = make_temp_dir("fsize");
    std::int64_t big_id = 0;
    {
        SqliteCatalog catalog(Catalog::file_in(base));
        big_id = catalog.add_asset(add_job(catalog, "akool", "J"), "other", "big.bin", "");
    }
    write_file(base / "big.bin", pattern_bytes(1024 * 1024, 6));
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int rc = 0;
        try {
            SqliteCatalog catalog(Catalog::file_in(base));  // opened before the limit: its files exist
            LocalStore store(base / "store");
            ::signal(SIGXFSZ, SIG_IGN);
            rlimit limit{256 * 1024, 256 * 1024};
            ::setrlimit(RLIMIT_FSIZE, &limit);
            if (!catalog.claim(big_id, "w", std::chrono::seconds(60))) ::_exit(2);
            archive_claimed_file(catalog, store, catalog.asset(big_id), "w", base / "big.bin");
            rc = 3;  // it must not fit
        } catch (const Error& e) {
            rc = (e.domain() == ErrorDomain::system && e.code() == EFBIG) ? 0 : 4;
            if (rc) std::fprintf(stderr, "%s\n", e.what());
        }
        ::_exit(rc);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    SqliteCatalog catalog(Catalog::file_in(base));
    EXPECT_EQ(catalog.asset(big_id).state, AssetState::pending);
    EXPECT_NE(catalog.asset(big_id).error.find("too large"), std::string::npos) << catalog.asset(big_id).error;
    EXPECT_EQ(count_hidden_files(base / "store"), 0);
    EXPECT_FALSE(fs::exists(base / "store/akool/2026-11/J/big.bin"));
}

TEST(ArchiveLocalStore, AFullDiskIsReportedAndNothingIsLost) {
    auto base = make_temp_dir("fulldisk");
    SmallDisk disk(base / "store", "256k");
    if (!disk.mounted())
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(disk.error())
                     << "); AFileSizeLimitIsReportedAndNothingIsLost covers the same path";
    SqliteCatalog catalog(Catalog::file_in(base));  // the catalog lives outside the full disk
    LocalStore store(base / "store");
    std::int64_t job = add_job(catalog, "akool", "J");
    std::int64_t small_id = catalog.add_asset(job, "other", "small.bin", "");
    std::int64_t big_id = catalog.add_asset(job, "other", "big.bin", "");
    auto small = base / "small.bin", big = base / "big.bin";
    write_file(small, pattern_bytes(64 * 1024, 4));
    write_file(big, pattern_bytes(1024 * 1024, 5));

    ASSERT_TRUE(catalog.claim(small_id, "w", std::chrono::seconds(60)));
    archive_claimed_file(catalog, store, catalog.asset(small_id), "w", small);

    ASSERT_TRUE(catalog.claim(big_id, "w", std::chrono::seconds(60)));
    try {
        archive_claimed_file(catalog, store, catalog.asset(big_id), "w", big);
        FAIL() << "a 1 MiB file fit on a 256 KiB disk";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::system);
        EXPECT_EQ(e.code(), ENOSPC) << e.what();
        EXPECT_NE(std::string(e.what()).find("No space left"), std::string::npos) << e.what();
    }
    // The failed file is back to pending with the reason, nothing half-written remains, and the
    // file stored before is intact.
    AssetRecord rec = catalog.asset(big_id);
    EXPECT_EQ(rec.state, AssetState::pending);
    EXPECT_NE(rec.error.find("No space left"), std::string::npos) << rec.error;
    EXPECT_EQ(count_hidden_files(base / "store"), 0);
    EXPECT_FALSE(fs::exists(store.path_of("akool/2026-11/J/big.bin")));
    EXPECT_EQ(catalog.asset(small_id).state, AssetState::stored);
    EXPECT_EQ(sha256_file(store.path_of("akool/2026-11/J/small.bin")).sha256, sha256_file(small).sha256);
    EXPECT_TRUE(fs::exists(big));  // the source is untouched, ready for the next run

    // The next run, with room again, carries on where this one stopped.
    LocalStore roomy(base / "roomy");
    ASSERT_TRUE(catalog.claim(big_id, "w2", std::chrono::seconds(60)));
    archive_claimed_file(catalog, roomy, catalog.asset(big_id), "w2", big);
    EXPECT_EQ(catalog.asset(big_id).state, AssetState::stored);
    EXPECT_EQ(catalog.asset(big_id).sha256, sha256_file(big).sha256);
}

TEST(ArchiveLocalStore, VerifyCatchesChangedAndMissingFiles) {
    auto root = make_temp_dir("local");
    Archive a(root);
    std::int64_t job = add_job(a.catalog, "akool", "V");
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i) {
        auto f = root / ("src" + std::to_string(i));
        write_file(f, pattern_bytes(20000, 10 + i));
        ids.push_back(a.catalog.add_asset(job, "other", "f" + std::to_string(i), ""));
        a.keep(ids.back(), f);
    }
    VerifyReport clean = verify_assets(a.catalog, std::nullopt, a.opener());
    EXPECT_EQ(clean.ok, 3);
    EXPECT_EQ(clean.bad, 0);
    for (auto id : ids) EXPECT_EQ(a.catalog.asset(id).state, AssetState::verified);

    // One byte flipped in place (same size), one file deleted.
    fs::path changed = a.store.path_of(a.catalog.asset(ids[0]).store_key);
    std::string bytes = read_file(changed);
    bytes[1234] ^= 0x01;
    write_file(changed, bytes);
    fs::remove(a.store.path_of(a.catalog.asset(ids[1]).store_key));

    VerifyReport report = verify_assets(a.catalog, std::nullopt, a.opener());
    EXPECT_EQ(report.ok, 1);
    EXPECT_EQ(report.bad, 2);
    for (const VerifyOutcome& o : report.items) {
        if (o.row.asset.id == ids[0]) {
            EXPECT_EQ(o.status, VerifyStatus::mismatch);
            EXPECT_NE(o.detail.find("sha256"), std::string::npos) << o.detail;
        }
        if (o.row.asset.id == ids[1]) {
            EXPECT_EQ(o.status, VerifyStatus::missing) << o.detail;
        }
    }
    EXPECT_EQ(a.catalog.asset(ids[0]).state, AssetState::failed);
    EXPECT_NE(a.catalog.asset(ids[0]).error.find("verify"), std::string::npos);
    EXPECT_EQ(a.catalog.asset(ids[1]).state, AssetState::failed);
    EXPECT_EQ(a.catalog.asset(ids[2]).state, AssetState::verified);

    // A sample checks the least recently verified first, and only that many.
    EXPECT_EQ(verify_assets(a.catalog, 1, a.opener()).items.size(), 1u);
}

TEST(ArchiveLocalStore, ARunThatDiedAfterStoringIsCarriedOnByTheNext) {
    auto root = make_temp_dir("local");
    Archive a(root);
    std::int64_t id = a.catalog.add_asset(add_job(a.catalog, "akool", "CRASH"), "avatar", "avatar.mp4", "");
    // The first run claims the file and stores it, then dies before recording it.
    ASSERT_TRUE(a.catalog.claim(id, "run-1", std::chrono::seconds(60)));
    FileDigest d = sha256_file(sample_video());
    a.store.put(sample_video(), "akool/2026-11/CRASH/avatar.mp4", d.sha256, d.size);
    EXPECT_EQ(a.catalog.asset(id).state, AssetState::downloading);

    // The next run finds the lease expired, takes the file over, and the store sees the same
    // content already in place.
    auto claimed = a.catalog.claim_next("run-2", std::chrono::seconds(60), unix_now() + 61);
    ASSERT_TRUE(claimed.has_value());
    archive_claimed_file(a.catalog, a.store, *claimed, "run-2", sample_video());
    AssetRecord rec = a.catalog.asset(id);
    EXPECT_EQ(rec.state, AssetState::stored);
    EXPECT_EQ(rec.sha256, d.sha256);
    EXPECT_EQ(rec.attempts, 2);
}

// A pid is reused after a crash: a process that started after the temporary was last written
// cannot be its writer, so the temporary is debris all the same.
TEST(ArchiveLocalStore, DebrisUnderAPidReusedByANewerProcessIsRemovedToo) {
    auto root = make_temp_dir("local");
    LocalStore store(root);
    int hold[2];
    ASSERT_EQ(::pipe(hold), 0);
    pid_t newer = ::fork();  // alive until the pipe closes, started after the debris was written
    ASSERT_GE(newer, 0);
    if (newer == 0) {
        ::close(hold[1]);
        char c;
        while (::read(hold[0], &c, 1) > 0) {
        }
        ::_exit(0);
    }
    ::close(hold[0]);
    fs::create_directories(root / "v/2026-11/j");
    fs::path debris = root / "v/2026-11/j" / (".a.partial-" + std::to_string(newer) + "-3.bin");
    write_file(debris, "half a file of a process that died an hour ago");
    fs::last_write_time(debris, fs::file_time_type::clock::now() - std::chrono::hours(1));
    auto src = root / "a-src.bin";
    write_file(src, pattern_bytes(3000, 9));
    FileDigest d = sha256_file(src);
    store.put(src, "v/2026-11/j/a.bin", d.sha256, d.size);
    EXPECT_FALSE(fs::exists(debris)) << "kept because an unrelated, newer process has its pid";
    ::close(hold[1]);
    ASSERT_EQ(::waitpid(newer, nullptr, 0), newer);
}

TEST(ArchiveLocalStore, DebrisOfAKilledWriteIsRemovedByTheNextPut) {
    auto root = make_temp_dir("local");
    LocalStore store(root);
    pid_t dead = ::fork();
    ASSERT_GE(dead, 0);
    if (dead == 0) ::_exit(0);
    ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
    fs::create_directories(root / "v/2026-11/j");
    fs::path debris = root / "v/2026-11/j" / (".a.partial-" + std::to_string(dead) + "-7.bin");
    fs::path live = root / "v/2026-11/j" / (".a.partial-" + std::to_string(::getppid()) + "-7.bin");
    write_file(debris, "half a file");
    write_file(live, "another writer, still running");
    auto src = root / "a-src.bin";
    write_file(src, pattern_bytes(3000, 7));
    FileDigest d = sha256_file(src);
    store.put(src, "v/2026-11/j/a.bin", d.sha256, d.size);
    EXPECT_FALSE(fs::exists(debris));
    EXPECT_TRUE(fs::exists(live)) << "removed the temporary of a live process";
    EXPECT_EQ(sha256_file(store.path_of("v/2026-11/j/a.bin")).sha256, d.sha256);
}

TEST(ArchiveLocalStore, AWriterKilledMidFileLeavesNothingUnderTheFinalNameAndTheNextRunFinishes) {
    auto root = make_temp_dir("kill");
    std::int64_t id = 0;
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        id = catalog.add_asset(add_job(catalog, "akool", "KILL"), "other", "big.bin", "");
    }
    auto src = root / "big.bin";
    write_file(src, pattern_bytes(512 * 1024, 8));
    FileDigest d = sha256_file(src);
    // The victim copies from a FIFO, so it is certainly mid-file when killed: it has written what
    // we fed it and waits for the rest.
    auto fifo = root / "feed";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        SqliteCatalog catalog(Catalog::file_in(root));
        if (!catalog.claim(id, "victim", std::chrono::seconds(60))) ::_exit(2);
        LocalStore(root / "store").put(fifo, "akool/2026-11/KILL/big.bin", d.sha256, d.size);
        ::_exit(3);
    }
    {
        std::ofstream feed(fifo, std::ios::binary);
        std::string bytes = read_file(src);
        feed.write(bytes.data(), 100 * 1024);
        feed.flush();
        // Wait (without a time limit on correctness) until the victim has written what it got.
        fs::path dir = root / "store/akool/2026-11/KILL";
        bool written = false;
        for (int i = 0; i < 3000 && !written; ++i) {
            if (fs::exists(dir))
                for (auto& e : fs::directory_iterator(dir))
                    if (e.path().filename().string().starts_with(".") && fs::file_size(e.path()) >= 100 * 1024)
                        written = true;
            if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_TRUE(written) << "the victim never wrote its temporary file";
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status));
    }
    LocalStore store(root / "store");
    EXPECT_FALSE(fs::exists(store.path_of("akool/2026-11/KILL/big.bin")));
    EXPECT_EQ(count_hidden_files(root / "store"), 1);  // its debris
    SqliteCatalog catalog(Catalog::file_in(root));
    EXPECT_EQ(catalog.asset(id).state, AssetState::downloading);
    EXPECT_EQ(catalog.asset(id).claim_owner, "victim");

    auto claimed = catalog.claim_next("next-run", std::chrono::seconds(60), unix_now() + 61);
    ASSERT_TRUE(claimed.has_value());
    archive_claimed_file(catalog, store, *claimed, "next-run", src);
    EXPECT_EQ(catalog.asset(id).state, AssetState::stored);
    EXPECT_EQ(sha256_file(store.path_of("akool/2026-11/KILL/big.bin")).sha256, d.sha256);
    EXPECT_EQ(count_hidden_files(root / "store"), 0);
}

TEST(ArchiveLocalStore, AFullDiskUnderTheCatalogLosesNoCommittedRow) {
    auto base = make_temp_dir("catalogfull");
    SmallDisk disk(base / "root", "1m");
    if (!disk.mounted())
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(disk.error()) << ")";
    std::vector<std::int64_t> committed;
    bool full = false;
    {
        SqliteCatalog catalog(Catalog::file_in(base / "root"));
        std::int64_t job = add_job(catalog, "akool", "FULL");
        std::string long_url = "https://cdn.example.com/" + std::string(2000, 'x');
        for (int i = 0; i < 10000 && !full; ++i) {
            try {
                committed.push_back(catalog.add_asset(job, "other", std::string("f").append(std::to_string(i)), long_url));
            } catch (const Error& e) {
                EXPECT_EQ(e.domain(), ErrorDomain::sqlite);
                EXPECT_EQ(e.code() & 0xff, SQLITE_FULL) << e.what();
                full = true;
            }
        }
    }
    ASSERT_TRUE(full) << "the catalog never filled a 1 MiB disk";
    ASSERT_GT(committed.size(), 10u);
    // Reopened (recovering from the WAL), every row that was committed is there, intact.
    SqliteCatalog reopened(Catalog::file_in(base / "root"));
    auto rows = reopened.list(ListQuery{});
    ASSERT_EQ(rows.size(), committed.size());
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].asset.id, committed[i]);
}

TEST(ArchiveLocalStore, TwoArchivingProcessesStoreEveryFileExactlyOnce) {
    auto root = make_temp_dir("twoproc");
    const int files = 24;
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        std::int64_t job = add_job(catalog, "akool", "PAIR");
        for (int i = 0; i < files; ++i) {
            write_file(root / ("src-" + std::to_string(i)), pattern_bytes(30000, 100 + unsigned(i)));
            catalog.add_asset(job, "other", std::string("f").append(std::to_string(i)), "");
        }
    }
    std::vector<pid_t> pids;
    for (int w = 0; w < 2; ++w) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int rc = 0;
            try {
                SqliteCatalog catalog(Catalog::file_in(root));
                LocalStore store(root);
                std::string owner = "proc-" + std::to_string(w);
                while (auto a = catalog.claim_next(owner, std::chrono::seconds(600)))
                    archive_claimed_file(catalog, store, *a, owner, root / ("src-" + a->name.substr(1)));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "proc %d: %s\n", w, e.what());
                rc = 1;
            }
            ::_exit(rc);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    SqliteCatalog catalog(Catalog::file_in(root));
    auto rows = catalog.list(ListQuery{});
    ASSERT_EQ(rows.size(), std::size_t(files));
    for (const ListRow& r : rows) {
        EXPECT_EQ(r.asset.state, AssetState::stored) << r.asset.name;
        EXPECT_EQ(r.asset.attempts, 1) << r.asset.name << " was taken more than once";
        EXPECT_EQ(r.asset.sha256, sha256_file(root / ("src-" + r.asset.name.substr(1))).sha256);
    }
    EXPECT_EQ(count_hidden_files(root / "akool"), 0);
}
