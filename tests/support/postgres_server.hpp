#pragma once
// A real, throwaway PostgreSQL 15 for tests: initdb + pg_ctl (Debian's postgresql-15) in a
// temporary directory, listening on a unix socket in that directory only (no TCP unless asked
// for: PostgresEnvironment::listen_on_tcp(), for the chaos test's fault proxy). At most one
// server per test binary (PostgresEnvironment, a GoogleTest environment, starts it on first use),
// a fresh database per test (fresh_database()).
//
// initdb and postgres refuse to run as root, so as root (CI) they run as the `postgres` user
// through runuser, and the directory is handed to that user. A guardian process started with the
// server stops it and removes the directory when the test binary ends in any way (a failed
// assertion, an abort, SIGKILL): it waits for the end of a pipe only this process holds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#ifndef AVPOST_PG_BINDIR
#define AVPOST_PG_BINDIR "/usr/lib/postgresql/15/bin"
#endif

namespace avpost::test {

class PostgresServer {
public:
    // `tcp`: also listen on 127.0.0.1, on a port free a moment before (tcp_uri()).
    explicit PostgresServer(bool tcp = false) {
        const std::string bin = AVPOST_PG_BINDIR;
        if (!std::filesystem::exists(bin + "/initdb") || !std::filesystem::exists(bin + "/pg_ctl"))
            throw std::runtime_error("PostgreSQL 15 is not installed (" + bin +
                                     "/initdb); run scripts/setup.sh (Debian packages postgresql, libpq-dev)");
        char pattern[] = "/tmp/avpost-pg-XXXXXX";
        if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp for the test PostgreSQL failed");
        dir_ = pattern;
        std::string as_user;
        if (::geteuid() == 0) {
            const passwd* pw = ::getpwnam("postgres");
            if (!pw) throw std::runtime_error("running as root but there is no `postgres` user to run PostgreSQL as");
            if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error("cannot hand " + dir_ + " to the postgres user");
            as_user = "runuser -u postgres -- ";
        }
        const std::string data = dir_ + "/data";
        stop_command_ = as_user + bin + "/pg_ctl -D " + data + " -m immediate -w stop >/dev/null 2>&1";
        start_guardian();
        run_or_throw(as_user + bin + "/initdb -D " + data + " -A trust -U postgres -E UTF8 --locale=C --no-sync >" +
                         dir_ + "/initdb.log 2>&1",
                     "initdb", dir_ + "/initdb.log");
        // No TCP (listen_addresses empty) unless asked for; the socket in our directory; durability
        // is not tested.
        std::string listen = "listen_addresses=''";
        if (tcp) {
            tcp_port_ = free_port();
            listen = "listen_addresses='127.0.0.1' -p " + std::to_string(tcp_port_);
        }
        start_command_ = as_user + bin + "/pg_ctl -D " + data + " -l " + dir_ + "/server.log -w -t 60 -o \"-c " +
                         listen + " -k " + dir_ + " -c fsync=off -c full_page_writes=off " +
                         "-c synchronous_commit=off -c max_connections=100\" start >/dev/null 2>&1";
        run_or_throw(start_command_, "pg_ctl start", dir_ + "/server.log");
    }

    // Stops the server (every connection cut; "fast": committed work kept, which an immediate
    // stop would not promise with fsync and synchronous_commit off) and starts it again on the
    // same socket: clients must reconnect.
    void restart() const {
        std::string fast_stop = stop_command_;
        fast_stop.replace(fast_stop.find("-m immediate"), 12, "-m fast");
        run_or_throw(fast_stop, "pg_ctl stop", dir_ + "/server.log");
        run_or_throw(start_command_, "pg_ctl start", dir_ + "/server.log");
    }

    ~PostgresServer() {
        // Closing the pipe wakes the guardian, which stops the server and removes the directory.
        if (guardian_write_ >= 0) ::close(guardian_write_);
        if (guardian_ > 0) ::waitpid(guardian_, nullptr, 0);
    }
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    const std::string& socket_dir() const { return dir_; }

    // A libpq URI of database `name` over the unix socket (whose name has the port in it).
    std::string uri(const std::string& name) const {
        return "postgresql:///" + name + "?host=" + dir_ + "&user=postgres" +
               (tcp_port_ ? "&port=" + std::to_string(tcp_port_) : std::string());
    }
    // With TCP: the port on 127.0.0.1, and a libpq URI of database `name` through `port`.
    int tcp_port() const { return tcp_port_; }
    static std::string tcp_uri(const std::string& name, int port) {
        return "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/" + name;
    }

    // Creates database `name` and returns its URI.
    std::string create_database(const std::string& name) const {
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri("postgres").c_str()), &PQfinish);
        if (PQstatus(conn.get()) != CONNECTION_OK)
            throw std::runtime_error(std::string("connect to the test PostgreSQL: ") + PQerrorMessage(conn.get()));
        std::string sql = "CREATE DATABASE \"" + name + "\"";
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
            throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
        return uri(name);
    }

    // Runs one SQL statement on database `name` (test set-up and inspection); returns the first
    // column of the first row, or "".
    std::string query(const std::string& name, const std::string& sql) const {
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri(name).c_str()), &PQfinish);
        if (PQstatus(conn.get()) != CONNECTION_OK)
            throw std::runtime_error(std::string("connect to the test PostgreSQL: ") + PQerrorMessage(conn.get()));
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
        auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
        if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0)
            return PQgetvalue(r.get(), 0, 0);
        return {};
    }

private:
    // A port of 127.0.0.1 the kernel says is free (another process could take it before the
    // server does, which loopback tests accept).
    static int free_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof a;
        const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0;
        if (fd >= 0) ::close(fd);
        if (!ok) throw std::runtime_error("no free TCP port for the test PostgreSQL");
        return ntohs(a.sin_port);
    }

    static void run_or_throw(const std::string& command, const std::string& what, const std::string& log) {
        int status = std::system(command.c_str());
        if (status != 0) {
            std::string tail;
            if (FILE* f = std::fopen(log.c_str(), "r")) {
                char buf[4096];
                std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
                tail.assign(buf, n);
                std::fclose(f);
            }
            throw std::runtime_error(what + " failed (status " + std::to_string(status) + "): " + tail);
        }
    }

    // A shell that blocks reading a pipe whose only writer is this process; at its end (this
    // process exited, however) it stops the server and removes the directory.
    void start_guardian() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe for the PostgreSQL guardian failed");
        const std::string script = "read _ignored; " + stop_command_ + "; rm -rf '" + dir_ + "'";
        pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork of the PostgreSQL guardian failed");
        if (pid == 0) {
            ::dup2(fds[0], 0);  // dup2 clears close-on-exec: the shell reads it
            ::setsid();         // not in the test's process group: a Ctrl-C still cleans up
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[0]);
        guardian_ = pid;
        guardian_write_ = fds[1];
    }

    std::string dir_;
    int tcp_port_ = 0;
    std::string stop_command_;
    std::string start_command_;
    pid_t guardian_ = -1;
    int guardian_write_ = -1;
};

// The test binary's one server: started by the first test that asks for it (so a binary whose
// tests all pass over PostgreSQL, e.g. under a ctest filter, starts none), stopped after the last.
class PostgresEnvironment : public ::testing::Environment {
public:
    void TearDown() override { server_.reset(); }
    static PostgresServer& server() {
        if (!server_) server_ = std::make_unique<PostgresServer>(tcp_);
        return *server_;
    }
    // The server, once started, also listens on TCP (call before the first server()).
    static void listen_on_tcp() { tcp_ = true; }

private:
    static inline std::unique_ptr<PostgresServer> server_;
    static inline bool tcp_ = false;
};

// A fresh database named after the running test: its URI.
inline std::string fresh_database() {
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "t" + std::to_string(++counter) + "_" + std::to_string(::getpid());
    if (info) {
        for (char c : std::string(info->name()).substr(0, 40))
            name += std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(static_cast<unsigned char>(c))) : '_';
    }
    return PostgresEnvironment::server().create_database(name);
}

}  // namespace avpost::test
