#pragma once
// A TCP fault proxy for tests: listens on an ephemeral port of 127.0.0.1 and forwards each
// accepted connection to a target host:port, with faults switched at runtime from the test's
// thread. The chaos test puts one in front of PostgreSQL, the vendor sandbox and s3rver.
//
// Faults (each call returns once the proxy's thread has applied it):
// - latency(d): every chunk read from either side is forwarded d later (order kept); combines
//   with the modes below.
// - drop(): new connections are accepted and closed at once (the client reads an empty reply);
//   open ones are untouched.
// - reset_all(): every open connection is reset now (SO_LINGER 0 + close: an RST to the client
//   and to the target); the mode is unchanged.
// - resetting(after): every open connection is reset now, and each new one once it has carried
//   `after` bytes (0: at once, before anything is forwarded).
// - blackhole(): every connection, open or new, is silenced: what either side sends is read and
//   discarded, nothing is forwarded, nothing answered; new ones never reach the target. A
//   silenced connection stays silent after the blackhole ends (bytes were lost: its stream can
//   never be whole again), as when the far end forgot the connection, until its client closes
//   it or reset_all() ends it.
// - pass(): no fault for new connections, no latency (silenced connections stay silent).
//
// One thread polls every socket (non-blocking, RAII); no fault depends on a sleep. The
// destructor stops the thread and closes every connection.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace avpost::test {

class FaultProxy {
public:
    struct Counters {
        std::int64_t accepted = 0;         // connections accepted from clients
        std::int64_t forwarded = 0;        // of those, connected on to the target
        std::int64_t target_refused = 0;   // the target could not be reached (the client was reset)
        std::int64_t dropped = 0;          // closed at once by drop()
        std::int64_t reset = 0;            // reset by reset_all() or resetting()
        std::int64_t blackholed = 0;       // silenced by blackhole()
        std::int64_t closed = 0;           // ended by either side (not counting the above)
        std::int64_t bytes_to_target = 0;  // forwarded from clients to the target
        std::int64_t bytes_to_client = 0;  // forwarded from the target to clients
        std::int64_t bytes_discarded = 0;  // read and thrown away by a blackhole
        int open = 0;                      // connections open now (silenced ones included)
    };

    FaultProxy(const std::string& target_host, int target_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return port_; }
    // "127.0.0.1:PORT".
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    void pass();
    void latency(std::chrono::milliseconds delay);
    void drop();
    void reset_all();
    void resetting(std::int64_t after_bytes = 0);
    void blackhole();

    Counters counters() const;

private:
    enum class Mode { pass, drop, resetting, blackhole };
    struct Settings {
        Mode mode = Mode::pass;
        std::chrono::milliseconds latency{0};
        std::int64_t reset_after = 0;
        std::int64_t reset_all_requests = 0;  // a one-shot reset_all() each time it grows
    };
    struct Loop;  // the thread's state: the listening socket, the connections

    // Changes the settings and waits until the proxy's thread has applied them.
    template <class Change>
    void change(Change c);

    int port_ = 0;
    std::unique_ptr<Loop> loop_;
    mutable std::mutex mutex_;
    std::condition_variable applied_cv_;
    Settings settings_;
    std::int64_t requested_ = 0, applied_ = 0;  // changes asked for and applied
    bool stopping_ = false;
    Counters counters_;
    std::thread thread_;
};

}  // namespace avpost::test
