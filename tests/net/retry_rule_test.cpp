// The one rule for "is another attempt worth it?" (net/retry_rule.hpp), as the HTTP client, the
// S3 store, fetch, archive and the worker all apply it.
#include <gtest/gtest.h>

#include <stdexcept>

#include "avpost/core/error.hpp"
#include "avpost/net/retry_rule.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost {
namespace {

using net::ServiceError;
using net::ServiceErrorKind;

bool transient(const auto& error) { return net::is_transient(std::make_exception_ptr(error)); }

TEST(RetryRule, TransportFailuresAndServerTroubleAreTransientClientMistakesAreNot) {
    for (CURLcode c : {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
                       CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2_STREAM})
        EXPECT_TRUE(net::is_transient(c)) << curl_easy_strerror(c);
    for (CURLcode c : {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK,
                       CURLE_PEER_FAILED_VERIFICATION})
        EXPECT_FALSE(net::is_transient(c)) << curl_easy_strerror(c);
    // Only a request that never left this machine may be repeated when it creates something.
    EXPECT_TRUE(net::never_reached_server(CURLE_COULDNT_CONNECT));
    EXPECT_FALSE(net::never_reached_server(CURLE_RECV_ERROR));
    // 429 and 408 too: S3's own SlowDown is 503, but an S3-compatible store may throttle with 429.
    for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(net::is_transient_status(s)) << s;
    for (long s : {200L, 400L, 401L, 403L, 404L, 409L, 412L, 501L}) EXPECT_FALSE(net::is_transient_status(s)) << s;
}

TEST(RetryRule, ThrownFailuresAreTransientOnlyWhenALaterAttemptCanSucceed) {
    EXPECT_TRUE(transient(ServiceError(ServiceErrorKind::network, ErrorDomain::curl, "a2v", 7, "connection refused")));
    EXPECT_TRUE(transient(ServiceError(ServiceErrorKind::timeout, ErrorDomain::vendor, "wait", 0, "gave up")));
    // A later attempt asks the vendor for a fresh link.
    EXPECT_TRUE(transient(ServiceError(ServiceErrorKind::link_expired, ErrorDomain::http, "fetch", 403, "expired")));
    EXPECT_TRUE(transient(Error(ErrorDomain::postgres, "catalog", 0, "server closed the connection")));
    EXPECT_TRUE(transient(Error(ErrorDomain::http, "s3", 503, "slow down")));
    EXPECT_TRUE(transient(Error(ErrorDomain::system, "write x.mp4", 28, "No space left on device")));
    EXPECT_TRUE(transient(OutputError(ErrorDomain::av, "av_interleaved_write_frame", -28, "No space left")));
    EXPECT_TRUE(transient(std::runtime_error("something no avpost error describes")));

    EXPECT_FALSE(transient(ServiceError(ServiceErrorKind::render_failed, ErrorDomain::vendor, "a2v job", 0, "failed")));
    EXPECT_FALSE(transient(ServiceError(ServiceErrorKind::missing_credentials, ErrorDomain::usage, "a2v", 0, "none")));
    EXPECT_FALSE(transient(ServiceError(ServiceErrorKind::unknown_id, ErrorDomain::vendor, "akool", 1003, "no job")));
    // A 5xx that outlived every retry is reported as network; one the API should never send is not.
    EXPECT_FALSE(transient(ServiceError(ServiceErrorKind::bad_response, ErrorDomain::http, "a2v", 200, "not JSON")));
    EXPECT_FALSE(transient(Error(ErrorDomain::input, "avatar.mp4", 0, "not a video")));
    EXPECT_FALSE(transient(Error(ErrorDomain::av, "avcodec_send_packet", -1094995529, "Invalid data")));
    EXPECT_FALSE(transient(Error(ErrorDomain::usage, "job.json", 0, "composite.anchor: bad")));  // a bad job file
    EXPECT_FALSE(net::is_transient(std::exception_ptr()));
}

}  // namespace
}  // namespace avpost
