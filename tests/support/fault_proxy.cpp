#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <utility>
#include <vector>

namespace avpost::test {
namespace {

using Clock = std::chrono::steady_clock;

// An owned file descriptor, closed when it goes; abort() closes a socket with an RST.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    // SO_LINGER 0: the close sends an RST, not a FIN.
    void abort() {
        if (fd_ >= 0) {
            linger l{1, 0};
            ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        close();
    }

private:
    int fd_ = -1;
};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("fault proxy: " + what + ": " + std::strerror(errno));
}

// The proxy's thread cannot throw to the test: a broken poll loop ends the test binary loudly.
[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "fault proxy: %s: %s\n", what, std::strerror(errno));
    std::abort();
}

void no_delay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small messages (PostgreSQL) go at once
}

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t max_queued = 256 * 1024;  // per direction: the source is not read beyond this

struct Chunk {
    Clock::time_point due;
    std::string bytes;
    std::size_t sent = 0;
};

// One direction of a connection: what was read from its source, each chunk waiting for its due time.
struct Flow {
    std::deque<Chunk> queue;
    std::size_t queued = 0;
    Clock::time_point last_due{};
    bool source_ended = false;  // the source sent its FIN
    bool sink_shut = false;     // that FIN passed on to the sink

    bool front_due(Clock::time_point now) const { return !queue.empty() && queue.front().due <= now; }
    bool finished() const { return source_ended && queue.empty(); }
};

struct Connection {
    enum class State { connecting, open, silent };
    Fd client, target;
    State state = State::connecting;
    Flow up, down;  // client -> target, target -> client
    std::int64_t carried = 0;
    std::int64_t reset_after = -1;  // resetting(): reset once `carried` reaches it; -1: never
    bool done = false;
};

}  // namespace

struct FaultProxy::Loop {
    FaultProxy& proxy;
    Fd listener;
    Fd wake;
    sockaddr_storage target{};
    socklen_t target_length = 0;
    Settings settings;  // as last applied
    Counters counters;  // published to the proxy after each round
    std::vector<std::unique_ptr<Connection>> connections;

    explicit Loop(FaultProxy& p) : proxy(p) {}

    void run() {
        std::vector<pollfd> fds;
        for (;;) {
            const auto now = Clock::now();
            int timeout = -1;
            fds.clear();
            fds.push_back({wake.get(), POLLIN, 0});
            fds.push_back({listener.get(), POLLIN, 0});
            for (const auto& c : connections) {
                fds.push_back(interest(*c, c->client, now, timeout));
                fds.push_back(interest(*c, c->target, now, timeout));
            }
            if (::poll(fds.data(), fds.size(), timeout) < 0) {
                if (errno == EINTR) continue;
                die("poll");
            }
            if (fds[0].revents && !apply()) return;
            const std::size_t polled = connections.size();
            for (std::size_t i = 0; i < polled; ++i)
                handle(*connections[i], fds[2 + 2 * i].revents, fds[3 + 2 * i].revents);
            if (fds[1].revents) accept_all();
            for (const auto& c : connections) pump(*c);
            std::erase_if(connections, [](const auto& c) { return c->done; });
            publish();
        }
    }

    // What to poll a connection's socket for: -1 (nothing) when it has nothing to read or write,
    // so a socket whose work is over does not wake the loop with POLLHUP.
    pollfd interest(const Connection& c, const Fd& fd, Clock::time_point now, int& timeout) const {
        pollfd p{-1, 0, 0};
        if (!fd || c.done) return p;
        const bool is_client = &fd == &c.client;
        if (c.state == Connection::State::silent) {
            p.events = POLLIN;  // read to discard
        } else if (!is_client && c.state == Connection::State::connecting) {
            p.events = POLLOUT;  // the connect's outcome
        } else {
            const Flow& in = is_client ? c.up : c.down;    // read from this socket
            const Flow& out = is_client ? c.down : c.up;   // written to it
            if (!in.source_ended && in.queued < max_queued) p.events |= POLLIN;
            if (is_client || c.state == Connection::State::open) {
                if (out.front_due(now)) p.events |= POLLOUT;
                else if (!out.queue.empty()) wake_at(out.queue.front().due, now, timeout);
            }
        }
        if (p.events) p.fd = fd.get();
        return p;
    }

    static void wake_at(Clock::time_point due, Clock::time_point now, int& timeout) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(due - now).count();
        const int wait = int(std::max<std::int64_t>(ms, 1));
        if (timeout < 0 || wait < timeout) timeout = wait;
    }

    // The test's thread changed the settings: apply them; false when the proxy stops.
    bool apply() {
        std::uint64_t ignored = 0;
        if (::read(wake.get(), &ignored, sizeof ignored) < 0 && errno != EAGAIN) die("read eventfd");
        Settings wanted;
        std::int64_t requested = 0;
        {
            std::lock_guard lock(proxy.mutex_);
            if (proxy.stopping_) return false;
            wanted = proxy.settings_;
            requested = proxy.requested_;
        }
        if (wanted.reset_all_requests != settings.reset_all_requests)
            for (const auto& c : connections)
                if (!c->done) reset(*c);
        if (wanted.mode == Mode::blackhole)
            for (const auto& c : connections)
                if (!c->done) silence(*c);
        settings = wanted;
        publish();
        {
            std::lock_guard lock(proxy.mutex_);
            proxy.applied_ = requested;
        }
        proxy.applied_cv_.notify_all();
        return true;
    }

    void publish() {
        counters.open = 0;
        for (const auto& c : connections) counters.open += !c->done;
        std::lock_guard lock(proxy.mutex_);
        proxy.counters_ = counters;
    }

    void accept_all() {
        for (;;) {
            Fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!client) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE || errno == ENFILE) return;
                die("accept");
            }
            ++counters.accepted;
            no_delay(client.get());
            auto c = std::make_unique<Connection>();
            switch (settings.mode) {
                case Mode::drop:
                    ++counters.dropped;
                    continue;  // `client` closes here
                case Mode::blackhole:
                    c->client = std::move(client);
                    c->state = Connection::State::silent;
                    ++counters.blackholed;
                    connections.push_back(std::move(c));
                    continue;
                case Mode::resetting:
                    if (settings.reset_after <= 0) {
                        client.abort();
                        ++counters.reset;
                        continue;
                    }
                    c->reset_after = settings.reset_after;
                    break;
                case Mode::pass: break;
            }
            c->client = std::move(client);
            Fd target(::socket(this->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            if (!target) die("socket");
            no_delay(target.get());
            if (::connect(target.get(), reinterpret_cast<const sockaddr*>(&this->target), target_length) == 0) {
                c->state = Connection::State::open;
                ++counters.forwarded;
            } else if (errno != EINPROGRESS) {
                c->client.abort();
                ++counters.target_refused;
                continue;
            }
            c->target = std::move(target);
            connections.push_back(std::move(c));
        }
    }

    void handle(Connection& c, short client_events, short target_events) {
        if (c.done) return;  // reset by apply() in this round
        if (c.state == Connection::State::silent) {
            if (client_events && !discard(c.client)) end(c, counters.closed);
            if (target_events && !discard(c.target)) c.target.close();  // the client keeps hanging
            return;
        }
        if (c.state == Connection::State::connecting && target_events) {
            int error = 0;
            socklen_t length = sizeof error;
            if (::getsockopt(c.target.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
                c.client.abort();
                c.target.close();
                c.done = true;
                ++counters.target_refused;
                return;
            }
            c.state = Connection::State::open;
            ++counters.forwarded;
            target_events = 0;
        }
        if (client_events & (POLLIN | POLLHUP | POLLERR)) read(c, c.client, c.up);
        if (!c.done && c.state == Connection::State::open && (target_events & (POLLIN | POLLHUP | POLLERR)))
            read(c, c.target, c.down);
    }

    // Reads and throws away what a silenced socket sends; false at its end.
    bool discard(Fd& fd) {
        char buffer[chunk_size];
        for (;;) {
            ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
            if (n > 0) {
                counters.bytes_discarded += n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
    }

    void read(Connection& c, Fd& from, Flow& flow) {
        if (flow.source_ended) return;
        char buffer[chunk_size];
        ssize_t n = ::recv(from.get(), buffer, sizeof buffer, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            // Reset by one side: reset the other too, as a dropped connection would be.
            c.client.abort();
            c.target.abort();
            end(c, counters.closed);
            return;
        }
        if (n == 0) {
            flow.source_ended = true;
            return;
        }
        c.carried += n;
        if (c.reset_after >= 0 && c.carried >= c.reset_after) {
            reset(c);
            return;
        }
        const auto due = std::max(Clock::now() + settings.latency, flow.last_due);
        flow.last_due = due;
        flow.queue.push_back({due, std::string(buffer, std::size_t(n))});
        flow.queued += std::size_t(n);
    }

    // Writes what is due in both directions, passes each FIN on once its flow is empty, and ends
    // the connection when both directions have ended.
    void pump(Connection& c) {
        if (c.done || c.state != Connection::State::open) return;
        const auto now = Clock::now();
        if (!write(c, c.target, c.up, now, counters.bytes_to_target)) return;
        if (!write(c, c.client, c.down, now, counters.bytes_to_client)) return;
        if (c.up.sink_shut && c.down.sink_shut) end(c, counters.closed);
    }

    // False when the connection broke.
    bool write(Connection& c, Fd& to, Flow& flow, Clock::time_point now, std::int64_t& counted) {
        while (flow.front_due(now)) {
            Chunk& chunk = flow.queue.front();
            ssize_t n = ::send(to.get(), chunk.bytes.data() + chunk.sent, chunk.bytes.size() - chunk.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
                if (errno == EINTR) continue;
                c.client.abort();
                c.target.abort();
                end(c, counters.closed);
                return false;
            }
            chunk.sent += std::size_t(n);
            flow.queued -= std::size_t(n);
            counted += n;
            if (chunk.sent == chunk.bytes.size()) flow.queue.pop_front();
        }
        if (flow.finished() && !flow.sink_shut) {
            ::shutdown(to.get(), SHUT_WR);
            flow.sink_shut = true;
        }
        return true;
    }

    void reset(Connection& c) {
        c.client.abort();
        c.target.abort();
        end(c, counters.reset);
    }

    void silence(Connection& c) {
        if (c.state == Connection::State::silent) return;
        if (c.state == Connection::State::connecting) c.target.abort();  // never reaches the target
        counters.bytes_discarded += std::int64_t(c.up.queued + c.down.queued);
        c.up = Flow{};
        c.down = Flow{};
        c.state = Connection::State::silent;
        ++counters.blackholed;
    }

    static void end(Connection& c, std::int64_t& counter) {
        c.client.close();
        c.target.close();
        c.done = true;
        ++counter;
    }
};

FaultProxy::FaultProxy(const std::string& target_host, int target_port) : loop_(std::make_unique<Loop>(*this)) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(target_port);
    if (int rc = ::getaddrinfo(target_host.c_str(), service.c_str(), &hints, &found); rc != 0 || !found)
        throw std::runtime_error("fault proxy: cannot resolve " + target_host + ": " + ::gai_strerror(rc));
    std::memcpy(&loop_->target, found->ai_addr, found->ai_addrlen);
    loop_->target_length = found->ai_addrlen;
    ::freeaddrinfo(found);

    loop_->listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!loop_->listener) fail("socket");
    int one = 1;
    ::setsockopt(loop_->listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(loop_->listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
    if (::listen(loop_->listener.get(), SOMAXCONN) != 0) fail("listen");
    if (::getsockname(loop_->listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
    port_ = ntohs(address.sin_port);
    loop_->wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!loop_->wake) fail("eventfd");
    thread_ = std::thread([this] { loop_->run(); });
}

FaultProxy::~FaultProxy() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    const std::uint64_t one = 1;
    if (::write(loop_->wake.get(), &one, sizeof one) < 0) std::perror("fault proxy: wake");
    thread_.join();
    loop_.reset();  // closes every socket
}

template <class Change>
void FaultProxy::change(Change c) {
    std::unique_lock lock(mutex_);
    c(settings_);
    const std::int64_t mine = ++requested_;
    const std::uint64_t one = 1;
    if (::write(loop_->wake.get(), &one, sizeof one) < 0) fail("wake");
    applied_cv_.wait(lock, [&] { return applied_ >= mine; });
}

void FaultProxy::pass() {
    change([](Settings& s) {
        s.mode = Mode::pass;
        s.latency = std::chrono::milliseconds(0);
    });
}

void FaultProxy::latency(std::chrono::milliseconds delay) {
    change([delay](Settings& s) { s.latency = delay; });
}

void FaultProxy::drop() {
    change([](Settings& s) { s.mode = Mode::drop; });
}

void FaultProxy::reset_all() {
    change([](Settings& s) { ++s.reset_all_requests; });
}

void FaultProxy::resetting(std::int64_t after_bytes) {
    change([after_bytes](Settings& s) {
        s.mode = Mode::resetting;
        s.reset_after = after_bytes;
        ++s.reset_all_requests;
    });
}

void FaultProxy::blackhole() {
    change([](Settings& s) { s.mode = Mode::blackhole; });
}

FaultProxy::Counters FaultProxy::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

}  // namespace avpost::test
