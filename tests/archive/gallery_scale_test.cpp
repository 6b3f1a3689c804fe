// The gallery's queries on a catalog of 10,000 jobs: the right jobs, pages and counts, with the
// time each query took printed (and recorded as test properties) for people to compare. No
// timing is asserted: this machine's load decides it.
#include "archive_test_support.hpp"

#include <sqlite3.h>

#include <chrono>
#include <iostream>

#include "avpost/archive/gallery.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

constexpr int job_count = 10000;

// 10,000 jobs, one a minute, named run-00000.. by their render stages; every job has a mask and
// an avatar; every 10th job has a failed asset, every 7th is a2v.
void fill(SqliteCatalog& c) {
    sqlite3_exec(c.handle(), "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < job_count; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "run-%05d", i);
        JobRecord j;
        j.vendor = i % 7 == 0 ? "a2v" : "akool";
        j.vendor_job_id = std::string("vendor-").append(std::to_string(i));  // not "..." + : gcc 12 -Wrestrict
        j.status = std::string(1, '3');  // not = "3": gcc 12 -Wrestrict false positive
        j.created_at = 1794312000 + i * 60;
        j.link_expires_at = j.created_at + 7 * 86400;
        std::int64_t id = c.upsert_job(j);
        StageRecord r;
        r.job_key = name;
        r.stage = "render";
        r.fingerprint = std::string(1, 'f');
        r.result = {{"vendor", j.vendor}, {"id", j.vendor_job_id}};
        c.record_stage(r);
        c.add_asset(id, "avatar", "avatar.mp4", "https://cdn.example/a.mp4");
        std::int64_t mask = c.add_asset(id, "mask", "mask.mp4", "https://cdn.example/m.mp4");
        std::string update = "UPDATE assets SET state = '";
        update.append(i % 10 == 0 ? "failed" : "verified").append("' WHERE id = ").append(std::to_string(mask));
        sqlite3_exec(c.handle(), update.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_exec(c.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

template <class F>
double millis(F f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(GalleryScale, TenThousandJobsArePagedSearchedAndFilteredInTheCatalog) {
    fs::path root = make_temp_dir("gallery-scale");
    SqliteCatalog c(Catalog::file_in(root));
    double fill_ms = millis([&] { fill(c); });

    struct Case {
        const char* label;
        GalleryQuery query;
        std::int64_t total;
        std::string first;  // vendor job id of the first job on the page
    };
    GalleryQuery newest;
    GalleryQuery deep;
    deep.page = 400;
    deep.per_page = 24;
    GalleryQuery search;
    search.search = "run-0042";  // run-00420..run-00429
    GalleryQuery failed;
    failed.state = GalleryState::failed;
    GalleryQuery vendor;
    vendor.vendor = "a2v";
    GalleryQuery all_filters;
    all_filters.search = "run-07";
    all_filters.vendor = "a2v";
    all_filters.state = GalleryState::failed;  // i % 70 == 0 within 7000..7999
    std::vector<Case> cases = {
        {"newest page", newest, job_count, "vendor-9999"},
        {"page 400", deep, job_count, "vendor-" + std::to_string(job_count - 1 - 399 * 24)},
        {"search by name", search, 10, "vendor-429"},
        {"state failed", failed, job_count / 10, "vendor-9990"},
        {"vendor a2v", vendor, (job_count + 6) / 7, "vendor-9996"},
        {"search+vendor+state", all_filters, 15, "vendor-7980"},
    };
    std::cout << "catalog of " << job_count << " jobs filled in " << fill_ms << " ms\n";
    for (const Case& k : cases) {
        GalleryPage page;
        double ms = millis([&] { page = gallery_page(c, k.query); });
        EXPECT_EQ(page.total, k.total) << k.label;
        ASSERT_FALSE(page.jobs.empty()) << k.label;
        EXPECT_EQ(page.jobs.front().vendor_job_id, k.first) << k.label;
        for (std::size_t i = 1; i < page.jobs.size(); ++i)
            EXPECT_GT(page.jobs[i - 1].created_at, page.jobs[i].created_at) << k.label;
        EXPECT_EQ(page.jobs.front().files.size(), 2u) << k.label;
        EXPECT_EQ(page.vendors, (std::vector<std::string>{"a2v", "akool"}));
        std::cout << "gallery query '" << k.label << "': " << ms << " ms (" << page.jobs.size() << " of "
                  << page.total << " jobs)\n";
        ::testing::Test::RecordProperty(std::string("ms ") + k.label, std::to_string(ms));
    }
    auto named = gallery_page(c, search);
    EXPECT_EQ(named.jobs.front().name, "run-00429");
    EXPECT_EQ(named.jobs.front().state, GalleryState::archiving);  // avatar still pending
    fs::remove_all(root);
}
