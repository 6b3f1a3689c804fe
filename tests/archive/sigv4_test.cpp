// SigV4: the AWS documented example, agreement with botocore (an independent signer), and the
// requests the S3 store really sends, captured byte for byte by a fake S3 on 127.0.0.1: every
// x-amz-content-sha256 is the body's real hash, query strings are canonical, and botocore,
// given the captured request and body, computes the same Authorization.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "archive_test_support.hpp"
#include "avpost/archive/s3_store.hpp"
#include "avpost/archive/sigv4.hpp"
#include "avpost/core/error.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const SigV4Credentials fake_credentials{"AKIDFAKEFAKEFAKE", "fake/secret+key/for/tests/only", ""};

// Runs tests/archive/botocore_sign.py over `requests`; returns botocore's Authorization values.
std::vector<std::string> botocore_sign(const nlohmann::json& requests) {
    auto dir = make_temp_dir("botocore");
    write_file(dir / "in.json", requests.dump());
    CommandResult r = run("/usr/bin/python3 " + shell_quote(std::string(AVPOST_ARCHIVE_TEST_DIR) + "/botocore_sign.py") +
                          " < " + shell_quote((dir / "in.json").string()));
    EXPECT_EQ(r.exit_code, 0) << "botocore signer failed (is python3-botocore installed? scripts/setup.sh adds it): "
                              << r.err;
    std::vector<std::string> out;
    if (r.exit_code == 0) out = nlohmann::json::parse(r.out).get<std::vector<std::string>>();
    return out;
}

struct Captured {
    std::string method;
    std::string target;  // path and query exactly as sent
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string header(const std::string& name) const {
        for (const auto& [k, v] : headers) {
            std::string lk = k;
            for (char& c : lk) c = char(std::tolower(static_cast<unsigned char>(c)));
            if (lk == name) return v;
        }
        return {};
    }
    std::string path() const { return target.substr(0, target.find('?')); }
    std::string query() const {
        auto q = target.find('?');
        return q == std::string::npos ? std::string() : target.substr(q + 1);
    }
};

// A minimal S3 on raw sockets (one request per connection) that records every request exactly
// as it arrived: enough of PUT/HEAD/GET/DELETE and multipart upload for S3Store.
class CapturingS3 {
public:
    int fail_part = 0;      // answer 500 to this part number...
    int fail_times = 1000;  // ...this many times

    CapturingS3() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        ::listen(fd_, 16);
        thread_ = std::thread([this] { serve(); });
    }
    ~CapturingS3() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<Captured> requests() {
        std::lock_guard lock(mutex_);
        return captured_;
    }

private:
    void serve() {
        while (!stop_) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            handle(c);
            ::close(c);
        }
    }

    void handle(int c) {
        std::string data;
        char buf[65536];
        std::size_t header_end;
        while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) return;
            data.append(buf, std::size_t(n));
        }
        Captured req;
        std::string head = data.substr(0, header_end);
        std::size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
        req.method = request_line.substr(0, sp1);
        req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t pos = line_end + 2;
        while (pos < head.size()) {
            std::size_t e = head.find("\r\n", pos);
            if (e == std::string::npos) e = head.size();
            std::string line = head.substr(pos, e - pos);
            auto colon = line.find(':');
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            req.headers.emplace_back(line.substr(0, colon), value);
            pos = e + 2;
        }
        std::size_t length = std::stoul(req.header("content-length").empty() ? "0" : req.header("content-length"));
        req.body = data.substr(header_end + 4);
        while (req.body.size() < length) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            req.body.append(buf, std::size_t(n));
        }
        {
            std::lock_guard lock(mutex_);
            captured_.push_back(req);
        }
        respond(c, req);
    }

    void send_response(int c, int status, const std::string& extra_headers, const std::string& body,
                       bool head = false, std::size_t length = std::string::npos) {
        std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nConnection: close\r\nContent-Length: " +
                        std::to_string(length == std::string::npos ? body.size() : length) + "\r\n" +
                        extra_headers + "\r\n" + (head ? "" : body);
        ::send(c, r.data(), r.size(), MSG_NOSIGNAL);
    }

    void respond(int c, const Captured& req) {
        std::string key = req.path(), q = req.query();
        if (req.method == "HEAD" || req.method == "GET") {
            auto it = objects_.find(key);
            if (it == objects_.end()) return send_response(c, 404, "", "<Error><Code>NoSuchKey</Code></Error>", req.method == "HEAD");
            return send_response(c, 200, "x-amz-meta-sha256: " + it->second.second + "\r\n", it->second.first,
                                 req.method == "HEAD", it->second.first.size());
        }
        if (req.method == "PUT" && q.empty()) {
            objects_[key] = {req.body, req.header("x-amz-meta-sha256")};
            return send_response(c, 200, "ETag: \"whole\"\r\n", "");
        }
        if (req.method == "POST" && q == "uploads=") {
            uploads_[key] = {"", req.header("x-amz-meta-sha256")};
            return send_response(c, 200, "", "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>");
        }
        if (req.method == "PUT" && q.starts_with("partNumber=")) {
            int part = std::stoi(q.substr(11));
            if (part == fail_part && fail_times-- > 0) return send_response(c, 500, "", "<Error><Code>InternalError</Code><Message>injected</Message></Error>");
            uploads_[key].first += req.body;  // parts arrive in order in this client
            return send_response(c, 200, "ETag: \"part-" + std::to_string(part) + "\"\r\n", "");
        }
        if (req.method == "POST" && q.starts_with("uploadId=")) {
            objects_[key] = uploads_[key];
            uploads_.erase(key);
            return send_response(c, 200, "", "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>");
        }
        if (req.method == "DELETE" && q.starts_with("uploadId=")) {
            uploads_.erase(key);
            return send_response(c, 204, "", "");
        }
        send_response(c, 400, "", "<Error><Code>BadRequest</Code></Error>");
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Captured> captured_;
    std::map<std::string, std::pair<std::string, std::string>> objects_, uploads_;
};

// Re-signs a captured request with botocore from the same signed headers and body.
nlohmann::json botocore_request(const Captured& c, const std::string& endpoint, const fs::path& body_file) {
    nlohmann::json headers = nlohmann::json::object();
    std::string auth = c.header("authorization");
    std::string signed_list = auth.substr(auth.find("SignedHeaders=") + 14);
    signed_list = signed_list.substr(0, signed_list.find(','));
    std::size_t start = 0;
    while (start <= signed_list.size()) {
        std::size_t end = signed_list.find(';', start);
        if (end == std::string::npos) end = signed_list.size();
        std::string name = signed_list.substr(start, end - start);
        if (name != "host" && name != "x-amz-date" && name != "x-amz-content-sha256" && name != "x-amz-security-token")
            headers[name] = c.header(name);
        start = end + 1;
    }
    write_file(body_file, c.body);
    return {{"method", c.method},       {"url", endpoint + c.target},     {"headers", headers},
            {"body_file", body_file.string()}, {"access_key", fake_credentials.access_key},
            {"secret_key", fake_credentials.secret_key}, {"region", "us-east-1"},
            {"amz_date", c.header("x-amz-date")}};
}

S3Config fake_config(const std::string& endpoint) {
    S3Config c;
    c.endpoint = endpoint;
    c.credentials = fake_credentials;
    c.bucket = "media-bucket";
    c.prefix = "team/renders";
    c.part_size = c.multipart_threshold = 40000;
    c.retry_delay = std::chrono::milliseconds(5);
    return c;
}

}  // namespace

TEST(ArchiveSigV4, MatchesTheAwsDocumentedGetObjectExample) {
    // From the Amazon S3 API reference, "Signature Calculations for the Authorization Header".
    SigV4Request r;
    r.method = "GET";
    r.host = "examplebucket.s3.amazonaws.com";
    r.path = "/test.txt";
    r.headers = {{"Range", "bytes=0-9"}};
    r.payload_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    SigV4Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
    SignedRequest s = sigv4_sign(r, creds, "us-east-1", "s3", 1369353600);  // 2013-05-24T00:00:00Z
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(ArchiveSigV4, CanonicalQueryIsSortedEncodedAndValuelessParamsGetAnEqualsSign) {
    SigV4Request r;
    r.method = "PUT";
    r.host = "127.0.0.1:9000";
    r.path = "/b/k";
    r.query = {{"uploadId", "a b/c+d"}, {"partNumber", "2"}};
    r.payload_sha256 = sha256_hex("x");
    EXPECT_EQ(sigv4_sign(r, fake_credentials, "us-east-1", "s3", 1).canonical_query,
              "partNumber=2&uploadId=a%20b%2Fc%2Bd");
    r.query = {{"uploads", ""}};
    EXPECT_EQ(sigv4_sign(r, fake_credentials, "us-east-1", "s3", 1).canonical_query, "uploads=");
    EXPECT_EQ(sigv4_uri_encode("a b/ü~.mp4", false), "a%20b/%C3%BC~.mp4");
    EXPECT_THROW(sigv4_sign(r, SigV4Credentials{}, "us-east-1", "s3", 1), Error);
}

TEST(ArchiveSigV4, AgreesWithBotocore) {
    auto dir = make_temp_dir("sigv4");
    struct Case {
        std::string method, path;
        HeaderList query, headers;
        std::string body;
        std::string token;
        std::string region;
    };
    std::vector<Case> cases = {
        {"PUT", "/bucket/akool/2026-11/JOB/avatar.mp4", {}, {{"x-amz-meta-sha256", std::string(64, 'c')}},
         "video bytes", "", "us-east-1"},
        {"POST", "/bucket/k.mp4", {{"uploads", ""}}, {}, "", "", "eu-central-1"},
        {"PUT", "/bucket/k.mp4", {{"uploadId", "VXBsb2FkIElE-x_y"}, {"partNumber", "12"}}, {}, "part", "", "us-east-1"},
        {"GET", "/bucket/" + sigv4_uri_encode("odd name (1)/ü+%.mp4", false), {}, {{"range", "bytes=0-9"}}, "",
         "FAKE-SESSION-TOKEN", "us-west-2"},
        {"HEAD", "/bucket/x", {}, {}, "", "", "us-east-1"},
    };
    nlohmann::json requests = nlohmann::json::array();
    std::vector<std::string> ours;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        SigV4Credentials creds = fake_credentials;
        creds.session_token = c.token;
        SigV4Request r{c.method, "127.0.0.1:4568", c.path, c.query, c.headers, sha256_hex(c.body)};
        SignedRequest s = sigv4_sign(r, creds, c.region, "s3", 1794312000 + std::int64_t(i) * 3671);
        ours.push_back(s.authorization);
        // botocore gets the query in the order given, unencoded where it can be, and the body.
        std::string url = "http://127.0.0.1:4568" + c.path;
        for (std::size_t q = 0; q < c.query.size(); ++q)
            url += (q == 0 ? "?" : "&") + c.query[q].first + (c.query[q].second.empty() ? "" : "=" + c.query[q].second);
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& [k, v] : c.headers) headers[k] = v;
        auto body_file = dir / ("body" + std::to_string(i));
        write_file(body_file, c.body);
        requests.push_back({{"method", c.method}, {"url", url}, {"headers", headers}, {"body_file", body_file.string()},
                            {"access_key", creds.access_key}, {"secret_key", creds.secret_key}, {"token", c.token},
                            {"region", c.region}, {"amz_date", amz_date(1794312000 + std::int64_t(i) * 3671)}});
    }
    std::vector<std::string> theirs = botocore_sign(requests);
    ASSERT_EQ(theirs.size(), ours.size());
    for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], theirs[i]) << "case " << i;
}

TEST(ArchiveSigV4, TheS3StoreSendsRealBodyHashesCanonicalQueriesAndBotocoreSignatures) {
    auto dir = make_temp_dir("capture");
    CapturingS3 server;
    S3Store store(fake_config(server.endpoint()));
    auto small = dir / "small.bin", big = dir / "big.bin";
    write_file(small, pattern_bytes(1000, 21));
    write_file(big, pattern_bytes(100000, 22));  // three parts of at most 40000 bytes
    FileDigest ds = sha256_file(small), db = sha256_file(big);
    EXPECT_EQ(store.put(small, "akool/2026-11/J/small.bin", ds.sha256, ds.size).sha256, ds.sha256);
    ObjectInfo info = store.put(big, "akool/2026-11/J/big file.mp4", db.sha256, db.size);
    EXPECT_EQ(info.size, db.size);
    EXPECT_EQ(info.sha256, db.sha256);
    EXPECT_EQ(store.rehash("akool/2026-11/J/big file.mp4").sha256, db.sha256);

    std::vector<Captured> reqs = server.requests();
    std::vector<std::string> sequence;
    for (const Captured& c : reqs) sequence.push_back(c.method + " " + c.query());
    std::vector<std::string> expected = {"HEAD ",  "PUT ",  "HEAD ",
                                         "HEAD ",  "POST uploads=",
                                         "PUT partNumber=1&uploadId=up-1", "PUT partNumber=2&uploadId=up-1",
                                         "PUT partNumber=3&uploadId=up-1", "POST uploadId=up-1",
                                         "HEAD ",  "GET "};
    EXPECT_EQ(sequence, expected);

    nlohmann::json requests = nlohmann::json::array();
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        const Captured& c = reqs[i];
        EXPECT_EQ(c.header("x-amz-content-sha256"), sha256_hex(c.body)) << c.method << " " << c.target;
        EXPECT_TRUE(c.target.starts_with("/media-bucket/team/renders/akool/2026-11/J/")) << c.target;
        for (const auto& [k, v] : c.headers) EXPECT_EQ(v.find(fake_credentials.secret_key), std::string::npos) << k;
        requests.push_back(botocore_request(c, server.endpoint(), dir / ("body" + std::to_string(i))));
    }
    EXPECT_EQ(reqs[1].header("x-amz-meta-sha256"), ds.sha256);
    EXPECT_EQ(reqs[4].header("x-amz-meta-sha256"), db.sha256);
    EXPECT_EQ(reqs[3].target, "/media-bucket/team/renders/akool/2026-11/J/big%20file.mp4");
    std::vector<std::string> theirs = botocore_sign(requests);
    ASSERT_EQ(theirs.size(), reqs.size());
    for (std::size_t i = 0; i < reqs.size(); ++i)
        EXPECT_EQ(reqs[i].header("authorization"), theirs[i]) << reqs[i].method << " " << reqs[i].target;
}

TEST(ArchiveSigV4, AFailedPartAbortsTheMultipartUpload) {
    auto dir = make_temp_dir("capture");
    CapturingS3 server;
    server.fail_part = 2;
    S3Store store(fake_config(server.endpoint()));
    auto big = dir / "big.bin";
    write_file(big, pattern_bytes(100000, 23));
    FileDigest d = sha256_file(big);
    try {
        store.put(big, "k/big.bin", d.sha256, d.size);
        FAIL() << "upload succeeded although part 2 failed";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::http);
        EXPECT_EQ(e.code(), 500);
        EXPECT_NE(std::string(e.what()).find("InternalError"), std::string::npos) << e.what();
    }
    std::vector<Captured> reqs = server.requests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_EQ(reqs.back().method, "DELETE");
    EXPECT_EQ(reqs.back().query(), "uploadId=up-1");
    EXPECT_FALSE(store.stat("k/big.bin").has_value());
}

TEST(ArchiveSigV4, ATransientServerErrorIsRetriedAndTheUploadCompletes) {
    auto dir = make_temp_dir("capture");
    CapturingS3 server;
    server.fail_part = 2;
    server.fail_times = 1;
    S3Store store(fake_config(server.endpoint()));
    auto big = dir / "big.bin";
    write_file(big, pattern_bytes(100000, 24));
    FileDigest d = sha256_file(big);
    EXPECT_EQ(store.put(big, "k/big.bin", d.sha256, d.size).sha256, d.sha256);
    int part2 = 0;
    for (const Captured& c : server.requests())
        if (c.method == "PUT" && c.query().starts_with("partNumber=2&")) ++part2;
    EXPECT_EQ(part2, 2);
    EXPECT_EQ(store.rehash("k/big.bin").sha256, d.sha256);
}
