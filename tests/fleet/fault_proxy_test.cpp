// The chaos test's TCP fault proxy (tests/support/fault_proxy.hpp) in front of a tiny echo
// server: each fault's effect seen by a client and by the server. Waits poll a condition with a
// deadline; the only timed assertion is a lower bound (latency).
#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using avpost::test::FaultProxy;
using namespace std::chrono_literals;

namespace {

template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

// A socket that closes itself.
struct Socket {
    int fd = -1;
    explicit Socket(int f = -1) : fd(f) {}
    Socket(Socket&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    Socket& operator=(Socket&& o) noexcept {
        std::swap(fd, o.fd);
        return *this;
    }
    ~Socket() {
        if (fd >= 0) ::close(fd);
    }
};

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(std::uint16_t(port));
    return a;
}

// A blocking client socket connected to 127.0.0.1:port; reads give up after 10 s, so a broken
// proxy fails the test instead of hanging it.
Socket connect_to(int port) {
    Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval limit{10, 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in a = loopback(port);
    EXPECT_EQ(::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
    return s;
}

void send_all(const Socket& s, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(s.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        ASSERT_GT(n, 0) << std::strerror(errno);
        sent += std::size_t(n);
    }
}

// Up to `n` bytes, fewer at the end of the stream or on an error (then `error` is errno).
std::string receive(const Socket& s, std::size_t n, int* error = nullptr) {
    std::string got;
    char buffer[65536];
    while (got.size() < n) {
        ssize_t r = ::recv(s.fd, buffer, std::min(sizeof buffer, n - got.size()), 0);
        if (r <= 0) {
            if (error) *error = r < 0 ? errno : 0;
            break;
        }
        got.append(buffer, std::size_t(r));
    }
    return got;
}

// What the next read says: bytes (>0), the end of the stream (0) or -errno.
int next_read(const Socket& s) {
    char c;
    ssize_t r = ::recv(s.fd, &c, 1, 0);
    return r < 0 ? -errno : int(r);
}

bool readable_now(const Socket& s) {
    pollfd p{s.fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

std::string round_trip(const Socket& s, const std::string& text) {
    send_all(s, text);
    return receive(s, text.size());
}

// Echoes every connection back, one thread each; counts connections, bytes and resets seen.
class EchoServer {
public:
    EchoServer() {
        listener_ = Socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in a = loopback(0);
        socklen_t length = sizeof a;
        if (::bind(listener_.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_.fd, 64) != 0 ||
            ::getsockname(listener_.fd, reinterpret_cast<sockaddr*>(&a), &length) != 0)
            throw std::runtime_error("echo server: cannot listen");
        port_ = ntohs(a.sin_port);
        acceptor_ = std::thread([this] { serve(); });
    }
    ~EchoServer() {
        ::shutdown(listener_.fd, SHUT_RDWR);  // wakes accept()
        acceptor_.join();
        std::lock_guard lock(mutex_);
        for (const Socket& s : connections_) ::shutdown(s.fd, SHUT_RDWR);  // wakes each recv()
        for (std::thread& t : threads_) t.join();
    }

    int port() const { return port_; }
    int accepted() const { return accepted_; }
    std::int64_t bytes() const { return bytes_; }
    int resets() const { return resets_; }

private:
    void serve() {
        for (;;) {
            int fd = ::accept4(listener_.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                return;  // shut down
            }
            ++accepted_;
            std::lock_guard lock(mutex_);
            connections_.emplace_back(fd);
            threads_.emplace_back([this, fd] { echo(fd); });
        }
    }
    void echo(int fd) {
        char buffer[65536];
        for (;;) {
            ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                if (n < 0 && errno == ECONNRESET) ++resets_;
                ::shutdown(fd, SHUT_WR);
                return;
            }
            bytes_ += n;
            for (ssize_t sent = 0; sent < n;) {
                ssize_t w = ::send(fd, buffer + sent, std::size_t(n - sent), MSG_NOSIGNAL);
                if (w <= 0) return;
                sent += w;
            }
        }
    }

    Socket listener_;
    int port_ = 0;
    std::atomic<int> accepted_{0}, resets_{0};
    std::atomic<std::int64_t> bytes_{0};
    std::mutex mutex_;
    std::vector<Socket> connections_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 2463534242u;
    for (char& c : s) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        c = char(x);
    }
    return s;
}

}  // namespace

TEST(FaultProxy, PassForwardsBothWaysPassesTheEndOnAndCountsConnectionsAndBytes) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket c = connect_to(proxy.port());
    EXPECT_EQ(round_trip(c, "hello"), "hello");
    // A megabyte both ways at once: more than the proxy queues, so it must hold back reading.
    const std::string big = pattern(1 << 20);
    std::thread writer([&] { send_all(c, big); });
    std::string back = receive(c, big.size());
    writer.join();
    EXPECT_TRUE(back == big) << back.size() << " bytes back";
    // The client's end reaches the server, whose end comes back.
    ::shutdown(c.fd, SHUT_WR);
    EXPECT_EQ(next_read(c), 0);
    ASSERT_TRUE(eventually([&] { return proxy.counters().closed == 1; }));
    FaultProxy::Counters n = proxy.counters();
    EXPECT_EQ(n.accepted, 1);
    EXPECT_EQ(n.forwarded, 1);
    EXPECT_EQ(n.open, 0);
    EXPECT_EQ(n.bytes_to_target, 5 + (1 << 20));
    EXPECT_EQ(n.bytes_to_client, 5 + (1 << 20));
    EXPECT_EQ(n.dropped + n.reset + n.blackholed + n.bytes_discarded + n.target_refused, 0);
}

TEST(FaultProxy, LatencyDelaysEachChunkInBothDirections) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket c = connect_to(proxy.port());
    ASSERT_EQ(round_trip(c, "warm"), "warm");
    proxy.latency(150ms);
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(round_trip(c, "slow"), "slow");
    const auto slow = std::chrono::steady_clock::now() - started;
    EXPECT_GE(slow, 300ms);  // 150 ms on the way there, 150 ms on the way back
    proxy.latency(0ms);
    started = std::chrono::steady_clock::now();
    EXPECT_EQ(round_trip(c, "fast"), "fast");
    EXPECT_LT(std::chrono::steady_clock::now() - started, slow);
}

TEST(FaultProxy, DropClosesNewConnectionsAtOnceAndSparesOpenOnes) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket open = connect_to(proxy.port());
    ASSERT_EQ(round_trip(open, "one"), "one");
    proxy.drop();
    Socket refused = connect_to(proxy.port());
    const int said = next_read(refused);
    EXPECT_TRUE(said == 0 || said == -ECONNRESET) << said;
    EXPECT_TRUE(eventually([&] { return proxy.counters().dropped == 1; }));
    EXPECT_EQ(echo.accepted(), 1);  // never reached the server
    EXPECT_EQ(round_trip(open, "two"), "two");
    proxy.pass();
    Socket later = connect_to(proxy.port());
    EXPECT_EQ(round_trip(later, "three"), "three");
    EXPECT_EQ(echo.accepted(), 2);
}

TEST(FaultProxy, ResetAllSendsAnRstToBothSidesOfEveryOpenConnection) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket a = connect_to(proxy.port()), b = connect_to(proxy.port());
    ASSERT_EQ(round_trip(a, "a"), "a");
    ASSERT_EQ(round_trip(b, "b"), "b");
    proxy.reset_all();
    EXPECT_EQ(next_read(a), -ECONNRESET);
    EXPECT_EQ(next_read(b), -ECONNRESET);
    EXPECT_TRUE(eventually([&] { return echo.resets() == 2; })) << echo.resets();
    EXPECT_EQ(proxy.counters().reset, 2);
    EXPECT_EQ(proxy.counters().open, 0);
    // A one-shot: a new connection passes.
    Socket c = connect_to(proxy.port());
    EXPECT_EQ(round_trip(c, "c"), "c");
}

TEST(FaultProxy, ResettingResetsEachNewConnectionOnceItHasCarriedItsBytes) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket before = connect_to(proxy.port());
    ASSERT_EQ(round_trip(before, "x"), "x");
    proxy.resetting(100);
    EXPECT_EQ(next_read(before), -ECONNRESET);  // open ones at once
    Socket c = connect_to(proxy.port());
    EXPECT_EQ(round_trip(c, "0123456789"), "0123456789");  // 20 bytes carried
    send_all(c, std::string(200, 'y'));
    int error = 0;
    std::string got = receive(c, 200, &error);
    EXPECT_LT(got.size(), 200u);
    EXPECT_EQ(error, ECONNRESET);
    // After 0 bytes: at once, before the server hears of it.
    proxy.resetting(0);
    const int accepted = echo.accepted();
    Socket d = connect_to(proxy.port());
    EXPECT_EQ(next_read(d), -ECONNRESET);
    EXPECT_EQ(echo.accepted(), accepted);
    // The client may hear of it before the proxy's counters say so.
    EXPECT_TRUE(eventually([&] { return proxy.counters().reset == 3; })) << proxy.counters().reset;
}

TEST(FaultProxy, BlackholeSilencesOpenAndNewConnectionsWhichStaySilentAfterIt) {
    EchoServer echo;
    FaultProxy proxy("127.0.0.1", echo.port());
    Socket open = connect_to(proxy.port());
    ASSERT_EQ(round_trip(open, "seen"), "seen");
    proxy.blackhole();
    send_all(open, "lost");
    // Once the proxy has thrown the bytes away they can never reach the server.
    ASSERT_TRUE(eventually([&] { return proxy.counters().bytes_discarded == 4; }));
    Socket fresh = connect_to(proxy.port());  // accepted, and left hanging
    send_all(fresh, "gone");
    ASSERT_TRUE(eventually([&] { return proxy.counters().bytes_discarded == 8; }));
    EXPECT_FALSE(readable_now(open));
    EXPECT_FALSE(readable_now(fresh));
    EXPECT_EQ(echo.accepted(), 1);
    EXPECT_EQ(echo.bytes(), 4);
    EXPECT_EQ(proxy.counters().blackholed, 2);
    EXPECT_EQ(proxy.counters().open, 2);

    proxy.pass();
    Socket after = connect_to(proxy.port());
    EXPECT_EQ(round_trip(after, "back"), "back");
    send_all(open, "still");
    ASSERT_TRUE(eventually([&] { return proxy.counters().bytes_discarded == 13; }));
    EXPECT_FALSE(readable_now(open));
    EXPECT_EQ(echo.bytes(), 8);
    // Until it is reset (or its client closes it).
    proxy.reset_all();
    EXPECT_EQ(next_read(open), -ECONNRESET);
    EXPECT_EQ(next_read(fresh), -ECONNRESET);
}

TEST(FaultProxy, ATargetThatRefusesResetsTheClient) {
    int port = 0;
    {
        EchoServer gone;  // a port that was just free and is closed again
        port = gone.port();
    }
    FaultProxy proxy("127.0.0.1", port);
    Socket c = connect_to(proxy.port());
    const int said = next_read(c);
    EXPECT_TRUE(said == 0 || said == -ECONNRESET) << said;
    EXPECT_TRUE(eventually([&] { return proxy.counters().target_refused == 1; }));
    EXPECT_EQ(proxy.counters().forwarded, 0);
}

TEST(FaultProxy, TheDestructorClosesEveryConnection) {
    EchoServer echo;
    Socket forwarded, silenced;
    {
        FaultProxy proxy("127.0.0.1", echo.port());
        forwarded = connect_to(proxy.port());
        ASSERT_EQ(round_trip(forwarded, "ok"), "ok");
        proxy.blackhole();
        silenced = connect_to(proxy.port());
        ASSERT_TRUE(eventually([&] { return proxy.counters().open == 2; }));
    }
    EXPECT_EQ(next_read(forwarded), 0);
    EXPECT_EQ(next_read(silenced), 0);
}
