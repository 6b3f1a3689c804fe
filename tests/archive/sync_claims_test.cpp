// The catalog side of sync: claims by vendor, nearest link expiry first, never twice per run;
// claims of dead processes on this host released at once, live and foreign ones left alone; link
// expiry read from signed URLs; vendor statuses recorded without stepping back.
#include "archive_test_support.hpp"

#include <unistd.h>

#include "avpost/archive/sync.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {
std::string this_host() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}
}  // namespace

TEST(ArchiveSyncClaims, NearestLinkExpiryFirstWithinTheVendor) {
    fs::path root = make_temp_dir("claims");
    SqliteCatalog c(Catalog::file_in(root));
    std::int64_t now = unix_now();
    std::int64_t late = c.add_asset(add_job(c, "a2v", "late", now + 5 * 3600), "avatar", "avatar.mp4", "");
    std::int64_t soon = c.add_asset(add_job(c, "a2v", "soon", now + 3600), "avatar", "avatar.mp4", "");
    std::int64_t never = c.add_asset(add_job(c, "a2v", "never"), "avatar", "avatar.mp4", "");
    c.add_asset(add_job(c, "akool", "other-vendor", now + 60), "avatar", "avatar.mp4", "");
    ClaimFilter f;
    f.vendor = "a2v";
    std::vector<std::int64_t> order;
    while (auto a = c.claim_next_for("me", std::chrono::seconds(60), f)) {
        order.push_back(a->id);
        f.exclude.push_back(a->id);
    }
    EXPECT_EQ(order, (std::vector<std::int64_t>{soon, late, never}));

    // Limited to some jobs; assets already tried are skipped.
    for (std::int64_t id : order) c.release(id, "me", "again", true);
    ClaimFilter only;
    only.vendor = "a2v";
    only.vendor_job_ids = {"late", "never"};
    only.exclude = {never};
    auto a = c.claim_next_for("me", std::chrono::seconds(60), only);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, late);
    EXPECT_FALSE(c.claim_next_for("me", std::chrono::seconds(60), only));
    // A live lease is not taken; renewing needs the claim.
    EXPECT_TRUE(c.renew_claim(late, "me", std::chrono::seconds(60)));
    EXPECT_FALSE(c.renew_claim(late, "someone else", std::chrono::seconds(60)));
    fs::remove_all(root);
}

TEST(ArchiveSyncClaims, ClaimsOfDeadProcessesOnThisHostAreReleased) {
    fs::path root = make_temp_dir("dead");
    SqliteCatalog c(Catalog::file_in(root));
    std::int64_t job = add_job(c, "a2v", "j");
    std::int64_t dead = c.add_asset(job, "avatar", "a.mp4", "");
    std::int64_t live = c.add_asset(job, "mask", "m.mp4", "");
    std::int64_t foreign = c.add_asset(job, "other", "o.txt", "");
    // A pid that cannot exist (above pid_max), a live one (us), and another host.
    std::string dead_owner = this_host() + ":4194305:123/w0";
    std::string live_owner = claim_owner("w1");
    std::string foreign_owner = "some-other-host-xyz:1:1/w0";
    EXPECT_TRUE(claim_owner_dead(dead_owner));
    EXPECT_FALSE(claim_owner_dead(live_owner));
    EXPECT_FALSE(claim_owner_dead(foreign_owner));
    EXPECT_FALSE(claim_owner_dead("not an owner"));
    // Our own pid with another start time: the pid was reused, the owner is gone.
    EXPECT_TRUE(claim_owner_dead(this_host() + ":" + std::to_string(::getpid()) + ":1/w0"));
    ASSERT_TRUE(c.claim(dead, dead_owner, std::chrono::seconds(600)));
    ASSERT_TRUE(c.claim(live, live_owner, std::chrono::seconds(600)));
    ASSERT_TRUE(c.claim(foreign, foreign_owner, std::chrono::seconds(600)));
    EXPECT_EQ(release_dead_claims(c), 1);
    EXPECT_EQ(c.asset(dead).state, AssetState::pending);
    EXPECT_EQ(c.asset(live).state, AssetState::downloading);
    EXPECT_EQ(c.asset(foreign).state, AssetState::downloading);
    fs::remove_all(root);
}

TEST(ArchiveSyncClaims, LinkExpiryIsReadFromSignedUrls) {
    EXPECT_EQ(link_expiry("https://cdn.test/a.mp4?Expires=1794312000&Signature=abc"), 1794312000);
    EXPECT_EQ(link_expiry("https://b.s3.amazonaws.com/a.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261110T120000Z"
                          "&X-Amz-Expires=3600&X-Amz-Signature=abc"),
              1794312000 + 3600);
    EXPECT_FALSE(link_expiry("https://cdn.test/a.mp4"));
    EXPECT_FALSE(link_expiry("https://cdn.test/a.mp4?Expires=soon"));
}

TEST(ArchiveSyncClaims, StatusesAreRecordedWithAssetsOnceFinishedAndNeverStepBack) {
    fs::path root = make_temp_dir("record");
    SqliteCatalog c(Catalog::file_in(root));
    net::JobStatus st;
    st.vendor = net::Vendor::a2v;
    st.id = "v1";
    st.vendor_status = "in_progressing";
    st.state = net::JobState::running;
    std::int64_t id = record_job_status(c, st);
    EXPECT_TRUE(c.list().empty());
    st.vendor_status = "finished";
    st.state = net::JobState::finished;
    st.video_url = "https://cdn.test/v1.mp4?Expires=1794312000&Signature=secret";
    st.mask_url = "https://cdn.test/v1-mask.mp4?Expires=1794312000&Signature=secret";
    EXPECT_EQ(record_job_status(c, st), id);
    auto rows = c.list();
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& r : rows) EXPECT_EQ(r.asset.source_url.find("secret"), std::string::npos) << r.asset.source_url;
    EXPECT_EQ(c.job(id).link_expires_at, 1794312000);
    // A late report of the running state does not undo "finished"; a repeat adds nothing.
    st.vendor_status = "in_progressing";
    st.state = net::JobState::running;
    st.video_url.clear();
    st.mask_url.clear();
    record_job_status(c, st);
    EXPECT_EQ(c.job(id).status, "finished");
    EXPECT_EQ(c.list().size(), 2u);
    fs::remove_all(root);
}
