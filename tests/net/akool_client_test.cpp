// The Akool client: the docs' own examples, request validation, and every endpoint, auth mode and
// documented business code against the sandbox over HTTP.
#include <gtest/gtest.h>

#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/sandbox/sandbox_server.hpp"
#include "net_test_support.hpp"
#include "vendor_doc_examples.hpp"

using namespace avpost;
using namespace avpost::net;
using namespace avpost::net::akool;
namespace docs = avpost::test::docs;

TEST(NetAkoolDocs, AvatarListExampleParses) {
    auto j = parse_response(docs::kAkoolAvatarListResponse, "test");
    auto a = j["data"][0].get<Avatar>();
    EXPECT_EQ(a.avatar_id, "Yasmin_in_White_shirt_20231121");
    EXPECT_EQ(a.name, "Yasmin in White shirt");
    EXPECT_EQ(a.gender, "female");
    EXPECT_EQ(a.from, 2);
    EXPECT_NE(a.thumbnail_url.find("thumbnail"), std::string::npos);
}

TEST(NetAkoolDocs, CreateRequestExampleValidatesAndRoundTrips) {
    auto j = nlohmann::json::parse(docs::kAkoolCreateRequest);
    auto r = j.get<TalkingAvatarRequest>();
    EXPECT_NO_THROW(validate(r));
    ASSERT_EQ(r.elements.size(), 3u);
    EXPECT_EQ(r.elements[2].voice_id.value_or(""), "6889b628662160e2caad5dbc");
    nlohmann::json back = r;
    EXPECT_EQ(back["elements"][0]["offset_x"], 1920);
    EXPECT_FALSE(back.contains("webhookUrl"));  // empty in the example: not sent
}

TEST(NetAkoolDocs, CreateResponseExampleParses) {
    auto info = parse_response(docs::kAkoolCreateResponse, "test")["data"].get<VideoInfo>();
    EXPECT_EQ(info.id, "67491cdb4d9d1664a9782292");
    EXPECT_EQ(info.video_id, "f1a489f4-0cca-4723-843b-e42003dc9f32");
    EXPECT_EQ(info.task_id, "67491cdb1acd9d0ce2cc8998");
    EXPECT_EQ(info.video_status, 1);
    EXPECT_EQ(info.create_time, 1732844763774);
    EXPECT_EQ(to_job_status(info).state, JobState::queued);
}

// One decoder for the poll and the webhook: an undocumented status is still processing, never
// queued (which would look like a render that went back) and never done.
TEST(NetAkoolTypes, VideoStatusHasOneMeaningWhereverItArrives) {
    EXPECT_EQ(akool_job_state(1), JobState::queued);
    EXPECT_EQ(akool_job_state(2), JobState::running);
    EXPECT_EQ(akool_job_state(3), JobState::finished);
    EXPECT_EQ(akool_job_state(4), JobState::failed);
    EXPECT_EQ(akool_job_state(0), JobState::running);
    EXPECT_EQ(akool_job_state(7), JobState::running);
    // The same from the status the catalog stores (archive sync decides with it).
    EXPECT_EQ(job_state(Vendor::akool, "3"), JobState::finished);
    EXPECT_EQ(job_state(Vendor::akool, "4"), JobState::failed);
    EXPECT_EQ(job_state(Vendor::akool, "1"), JobState::queued);
    EXPECT_EQ(job_state(Vendor::akool, "7"), JobState::running);
    EXPECT_EQ(job_state(Vendor::akool, "3x"), JobState::running) << "not a number: never done";
    EXPECT_EQ(job_state(Vendor::akool, ""), JobState::running);
}

// UBSan in the fuzz build (vendor_reply): a double outside the int64 range was converted.
TEST(NetAkoolTypes, ReplyNumbersBeyondTheIntegerRangeAreTakenAsMissing) {
    auto info = parse_response(R"({"code": 1000, "data": {"_id": "v1", "video_status": 1e300,
                                   "create_time": -1e300, "uid": 1e19}})",
                               "test")["data"]
                    .get<VideoInfo>();
    EXPECT_EQ(info.video_status, 0);
    EXPECT_EQ(info.create_time, 0);
    EXPECT_EQ(info.uid, 0);
    EXPECT_THROW(parse_response(R"({"code": 1e300})", "test"), ServiceError);

    info = nlohmann::json::parse(R"({"video_status": 3.0, "create_time": 1732844763774.0})").get<VideoInfo>();
    EXPECT_EQ(info.video_status, 3);
    EXPECT_EQ(info.create_time, 1732844763774);
}

// UBSan in the fuzz build (scene_json): `render --request` with a width of 1e300 was converted.
TEST(NetAkoolTypes, RequestIntegersMustBeWholeInts) {
    for (const nlohmann::json& bad : {nlohmann::json(1e300), nlohmann::json(-1e300), nlohmann::json(3840.5),
                                      nlohmann::json(4294967296LL), nlohmann::json("3840")}) {
        auto j = nlohmann::json::parse(docs::kAkoolCreateRequest, nullptr, true, true);
        j["width"] = bad;
        EXPECT_THROW((void)j.get<TalkingAvatarRequest>(), nlohmann::json::type_error) << bad.dump();
    }
    auto j = nlohmann::json::parse(docs::kAkoolCreateRequest, nullptr, true, true);
    j["height"] = 2160.0;
    EXPECT_EQ(j.get<TalkingAvatarRequest>().height, 2160);
}

TEST(NetAkoolDocs, VideoInfoExampleWithCommentsParses) {
    auto info = parse_response(docs::kAkoolVideoInfoResponse, "test")["data"].get<VideoInfo>();
    EXPECT_EQ(info.id, "64dd92c1f0b6684651e90e09");
    EXPECT_EQ(info.video_status, 2);
    EXPECT_EQ(info.deduction_duration, 10);
    EXPECT_EQ(to_job_status(info).state, JobState::running);
}

TEST(NetAkoolDocs, AvatarDetailAndUploadExamplesParse) {
    auto d = parse_response(docs::kAkoolAvatarDetailResponse, "test")["data"][0].get<Avatar>();
    EXPECT_EQ(d.id, "66a1a02d591ad336275eda62");
    EXPECT_EQ(d.status, 3);
    EXPECT_EQ(d.from, 3);
    auto u = parse_response(docs::kAkoolAvatarUploadResponse, "test")["data"][0].get<Avatar>();
    EXPECT_EQ(u.id, "655ffeada6976ea317087193");
    EXPECT_EQ(u.status, 1);
}

TEST(NetAkoolDocs, EveryDocumentedBusinessCodeIsATypedErrorKeepingCodeAndMessage) {
    const std::pair<int, const char*> codes[] = {{1003, "Parameter error or Parameter can not be empty"},
                                                 {1006, "Your quota is not enough"},
                                                 {1101, "Invalid authorization"},
                                                 {1102, "Authorization cannot be empty"},
                                                 {1109, "create avatar video error"},
                                                 {1200, "The account has been banned"},
                                                 {1201, "Create audio error, please try again later"}};
    for (auto [code, msg] : codes) {
        std::string body = nlohmann::json{{"code", code}, {"msg", msg}}.dump();
        try {
            parse_response(body, "akool test");
            ADD_FAILURE() << code;
        } catch (const ServiceError& e) {
            EXPECT_EQ(e.kind(), ServiceErrorKind::vendor);
            EXPECT_EQ(e.domain(), ErrorDomain::vendor);
            EXPECT_EQ(e.code(), code);
            EXPECT_NE(e.detail().find(msg), std::string::npos) << e.detail();
        }
    }
    EXPECT_THROW(parse_response("<html>", "x"), ServiceError);
}

namespace {
TalkingAvatarRequest valid_request() {
    return nlohmann::json::parse(docs::kAkoolCreateRequest).get<TalkingAvatarRequest>();
}
void expect_invalid(const TalkingAvatarRequest& r, const std::string& fragment) {
    try {
        validate(r);
        ADD_FAILURE() << "accepted; expected: " << fragment;
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}
}  // namespace

TEST(NetAkoolValidate, RejectsEachBrokenRule) {
    auto r = valid_request();
    r.width = 1920;
    expect_invalid(r, "3840x2160");
    r = valid_request();
    r.avatar_from = 1;
    expect_invalid(r, "avatar_from");
    r = valid_request();
    r.avatar_from = 2;  // with an avatar URL of one's own
    expect_invalid(r, "avatar_from");
    r = valid_request();
    r.elements[1].url = "ftp://x.test/a.mp4";
    expect_invalid(r, "http(s)");
    r = valid_request();
    r.elements[1].url = "https://x.test/a.mkv";
    expect_invalid(r, "avatar url");
    r = valid_request();
    r.elements[0].url = "https://x.test/bg.gif";
    expect_invalid(r, ".png");
    r = valid_request();
    r.elements[0].url = "#12345G";
    expect_invalid(r, "hex colour");
    r = valid_request();
    r.elements[0].url = "#1a2b3c";  // a colour background is fine
    EXPECT_NO_THROW(validate(r));
    r = valid_request();
    r.elements[2].voice_id.reset();
    expect_invalid(r, "voice_id");
    r = valid_request();
    r.elements[1].scale_x.reset();
    expect_invalid(r, "scale_x");
    r = valid_request();
    r.elements.pop_back();
    expect_invalid(r, "audio");
    r = valid_request();
    r.elements[1].type = "sticker";
    expect_invalid(r, "type");
    r = valid_request();
    r.webhook_url = "not a url";
    expect_invalid(r, "webhookUrl");
    // avatar_from 2: an Akool avatar by id, no URL.
    r = valid_request();
    r.avatar_from = 2;
    r.elements[1].url.reset();
    expect_invalid(r, "avatar_id");
    r.elements[1].avatar_id = "Yasmin_in_White_shirt_20231121";
    EXPECT_NO_THROW(validate(r));
}

// ---- against the sandbox ----

class NetAkoolSandbox : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<sandbox::SandboxServer>(avpost::test::fast_sandbox_options());
        server->start();
    }
    ClientOptions options(Credentials creds) {
        ClientOptions o;
        o.base_url = server->base_url();
        o.credentials = std::move(creds);
        o.http = avpost::test::fast_http_options();
        return o;
    }
    Credentials api_key() { return Credentials{server->options().akool_client_secret, "", "", ""}; }
    int requests(const std::string& path) {
        auto s = server->stats();
        return s.requests.count(path) ? s.requests[path] : 0;
    }
    std::unique_ptr<sandbox::SandboxServer> server;
};

TEST_F(NetAkoolSandbox, ListsAvatarsWithFiltersAndPaging) {
    Client c(options(api_key()));
    auto all = c.list_avatars({});
    EXPECT_EQ(all.size(), 4u);
    AvatarListQuery q;
    q.from = 3;
    EXPECT_EQ(c.list_avatars(q).size(), 1u);
    q = {};
    q.type = 2;
    EXPECT_EQ(c.list_avatars(q).size(), 1u);
    q = {};
    q.size = 1;
    EXPECT_EQ(c.list_avatars(q).size(), 1u);
    EXPECT_EQ(c.list_all_avatars(q).size(), 4u);  // four pages of one, then an empty page
}

TEST_F(NetAkoolSandbox, AvatarDetailUploadAndVoices) {
    Client c(options(api_key()));
    auto d = c.avatar_detail("66a1a02d591ad336275eda62");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].from, 3);
    try {
        c.avatar_detail("000000000000000000000000");
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::unknown_id);
    }
    auto up = c.upload_avatar({"https://x.test/me.mp4", "myAvatar1", "Me", 1});
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].status, 1);
    try {
        c.upload_avatar({"https://x.test/me.mp4", "bad id!", "Me", 1});
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code(), 1003);
    }
    auto voices = c.list_voices(3);
    ASSERT_FALSE(voices.empty());
    EXPECT_FALSE(voices[0].voice_id.empty());
}

TEST_F(NetAkoolSandbox, CreatesAndPollsUntilCompleted) {
    Client c(options(api_key()));
    auto r = valid_request();
    r.elements[2].url = server->base_url() + "/nothing-here.mp3";  // the sandbox falls back to its own voice
    VideoInfo created = c.create_talking_avatar(r);
    EXPECT_EQ(created.video_status, 1);
    EXPECT_EQ(created.id.size(), 24u);
    WaitOptions w;
    w.timeout = std::chrono::seconds(60);
    w.initial_interval = std::chrono::milliseconds(100);
    JobStatus done = wait_for_job([&] { return to_job_status(c.video_info(created.id)); }, w);
    EXPECT_EQ(done.state, JobState::finished);
    EXPECT_NE(done.video_url.find("Signature="), std::string::npos);
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 1);
}

TEST_F(NetAkoolSandbox, UnknownVideoIdIsTyped) {
    Client c(options(api_key()));
    try {
        c.video_info("ffffffffffffffffffffffff");
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::unknown_id);
    }
}

TEST_F(NetAkoolSandbox, GetTokenThenBearer) {
    Credentials creds;
    creds.client_id = server->options().akool_client_id;
    creds.client_secret = server->options().akool_client_secret;
    Client c(options(creds));
    EXPECT_EQ(c.list_avatars({}).size(), 4u);
    EXPECT_EQ(c.list_voices().size(), 2u);
    EXPECT_EQ(requests("/api/open/v3/getToken"), 1);  // once, then reused

    Credentials wrong = creds;
    wrong.client_secret = "wrong-secret-value";
    Client bad(options(wrong));
    try {
        bad.list_avatars({});
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code(), 1101);
    }
}

TEST_F(NetAkoolSandbox, ExpiredTokenIsRenewedOnce) {
    Credentials creds;
    creds.client_id = server->options().akool_client_id;
    creds.client_secret = server->options().akool_client_secret;
    Client c(options(creds));
    EXPECT_EQ(c.list_voices().size(), 2u);
    server->revoke_tokens();
    EXPECT_EQ(c.create_talking_avatar(valid_request()).video_status, 1);
    EXPECT_EQ(requests("/api/open/v3/getToken"), 2);
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 2);  // refused unprocessed, then accepted
}

TEST_F(NetAkoolSandbox, AuthErrors) {
    Client none(options({}));
    try {
        none.list_avatars({});
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::missing_credentials);
    }
    EXPECT_EQ(requests("/api/open/v3/avatar/list"), 0);  // nothing was sent
    Client wrong(options(Credentials{"not-the-key", "", "", ""}));
    try {
        wrong.list_avatars({});
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::vendor);
        EXPECT_EQ(e.code(), 1101);
        EXPECT_EQ(std::string(e.what()).find("not-the-key"), std::string::npos);
    }
}

TEST_F(NetAkoolSandbox, EveryDocumentedBusinessCodeFromTheServer) {
    Client c(options(api_key()));
    for (int code : {1003, 1006, 1101, 1102, 1109, 1200, 1201}) {
        sandbox::Fault f;
        f.path_prefix = "/api/open/v3/talkingavatar/create";
        f.vendor_code = code;
        f.message = "sandbox says " + std::to_string(code);
        server->add_fault(f);
        try {
            c.create_talking_avatar(valid_request());
            ADD_FAILURE() << code;
        } catch (const ServiceError& e) {
            EXPECT_EQ(e.kind(), ServiceErrorKind::vendor);
            EXPECT_EQ(e.code(), code);
            EXPECT_NE(e.detail().find(f.message), std::string::npos);
        }
    }
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 7);  // none repeated
}

TEST_F(NetAkoolSandbox, CreateIsNotRepeatedAfter502ButReadsAre) {
    Client c(options(api_key()));
    sandbox::Fault f;
    f.path_prefix = "/api/open/v3/talkingavatar/create";
    f.http_status = 502;
    server->add_fault(f);
    try {
        c.create_talking_avatar(valid_request());
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::network);
        EXPECT_EQ(e.code(), 502);
    }
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 1);

    f.path_prefix = "/api/open/v3/avatar/list";
    f.count = 2;
    f.http_status = 503;
    server->add_fault(f);
    EXPECT_EQ(c.list_avatars({}).size(), 4u);
    EXPECT_EQ(requests("/api/open/v3/avatar/list"), 3);
}

TEST_F(NetAkoolSandbox, A501IsAVendorErrorAskedOnce) {
    Client c(options(api_key()));
    sandbox::Fault f;
    f.path_prefix = "/api/open/v3/avatar/list";
    f.http_status = 501;
    f.count = -1;
    server->add_fault(f);
    try {
        c.list_avatars({});
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::vendor);
        EXPECT_EQ(e.code(), 501);
    }
    EXPECT_EQ(requests("/api/open/v3/avatar/list"), 1);
}

TEST_F(NetAkoolSandbox, CreateIsRepeatedAfter429WithRetryAfter) {
    Client c(options(api_key()));
    sandbox::Fault f;
    f.path_prefix = "/api/open/v3/talkingavatar/create";
    f.http_status = 429;
    f.retry_after_seconds = 0;
    server->add_fault(f);
    EXPECT_EQ(c.create_talking_avatar(valid_request()).video_status, 1);
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 2);
}

TEST_F(NetAkoolSandbox, InvalidRequestIsRejectedBeforeSending) {
    Client c(options(api_key()));
    auto r = valid_request();
    r.height = 1080;
    EXPECT_THROW(c.create_talking_avatar(r), Error);
    EXPECT_EQ(requests("/api/open/v3/talkingavatar/create"), 0);
}

TEST_F(NetAkoolSandbox, FailedRenderEndsInStatus4) {
    Client c(options(api_key()));
    sandbox::Fault f;
    f.path_prefix = "/api/open/v3/talkingavatar/create";
    f.fail_render = true;
    server->add_fault(f);
    auto created = c.create_talking_avatar(valid_request());
    WaitOptions w;
    w.timeout = std::chrono::seconds(60);
    w.initial_interval = std::chrono::milliseconds(100);
    JobStatus done = wait_for_job([&] { return to_job_status(c.video_info(created.id)); }, w);
    EXPECT_EQ(done.state, JobState::failed);
    EXPECT_EQ(done.vendor_status, "4");
}

TEST_F(NetAkoolSandbox, WaitTimesOut) {
    Client c(options(api_key()));
    auto created = c.create_talking_avatar(valid_request());
    WaitOptions w;
    w.timeout = std::chrono::milliseconds(50);
    w.initial_interval = std::chrono::milliseconds(20);
    try {
        wait_for_job([&] { return to_job_status(c.video_info(created.id)); }, w);
        FAIL();
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::timeout);
    }
}

// A reply nested 500k deep parses, but the client keeps the video's JSON (a copy; dumped later
// by the catalog and --json), which recursed once per level: SIGSEGV. Now it is a bad response.
TEST(NetAkoolReplies, ADeeplyNestedReplyIsABadResponseNotACrash) {
    avpost::test::LocalServer local;
    std::string nested;
    for (int i = 0; i < 500000; ++i) nested += R"({"a":)";
    nested += "1" + std::string(500000, '}');
    local.server.Get("/api/open/v3/content/video/infobymodelid", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"code":1000,"msg":"OK","data":{"_id":"m1","video_status":3,"extra":)" + nested + "}}",
                        "application/json");
    });
    local.start();
    ClientOptions o;
    o.base_url = local.url("");
    o.credentials.api_key = "test-key";
    o.http = avpost::test::fast_http_options(1);
    Client client(o);
    try {
        client.video_info("m1");
        ADD_FAILURE() << "a reply nested 500000 deep was accepted";
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::bad_response) << e.what();
        EXPECT_NE(std::string(e.what()).find("response nests deeper than 64 levels (at data.extra.a.a...)"),
                  std::string::npos)
            << e.what();
    }
}
