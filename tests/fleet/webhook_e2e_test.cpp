// Completion webhooks end to end: real `avpost worker` processes on a SQLite queue, the in-process
// sandbox as the vendor, and a receiver in Node (webhook_receiver.mjs) that verifies every request
// with an independent Standard Webhooks implementation, the npm `standardwebhooks` package.
// The receiver is down for a while, then up: every event arrives, verified, none lost, and the
// attempts it refused carried the ids that later arrived. Then the delivering worker is killed
// (SIGKILL) while the receiver holds an attempt unanswered: another worker delivers the event
// with the same webhook-id. A forged request is refused by the receiver, so its verification can
// fail. An event whose receiver never answers ends dead, shown by `avpost jobs`.
#include <signal.h>

#include <fstream>
#include <map>
#include <set>

#include "../archive/sync_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "quick_job.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

constexpr const char* secret_line = "whsec_dGVzdCBzZWNyZXQgZm9yIGF2cG9zdCB3ZWJob29rcw==";
constexpr const char* receiver_token = "receiver-token-5150";

// The Node receiver as a child process (killed when the test ends).
struct Receiver {
    pid_t pid = -1;
    fs::path dir;
    int port = 0;

    Receiver(const fs::path& work, const fs::path& secret_file) : dir(work / "receiver") {
        fs::create_directories(dir);
        pid = avpost::test::spawn_logged({NODE_EXECUTABLE, AVPOST_WEBHOOK_RECEIVER, AVPOST_STANDARDWEBHOOKS_JS, secret_file.string(),
                            dir.string()},
                           (dir / "node.out").string(), (dir / "node.err").string());
        eventually([&] { return !read_file(dir / "port").empty(); });
        const std::string text = read_file(dir / "port");
        port = text.empty() ? 0 : std::stoi(text);
    }
    ~Receiver() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook?token=" + receiver_token; }
    void set(const std::string& flag, bool on) const {
        if (on) std::ofstream(dir / flag) << "1";
        else fs::remove(dir / flag);
    }
    std::vector<json> attempts() const { return json_lines(read_file(dir / "attempts.jsonl")); }
    std::vector<json> verified() const { return json_lines(read_file(dir / "verified.jsonl")); }
    std::string logs() const { return read_file(dir / "attempts.jsonl") + read_file(dir / "node.err"); }
};

std::vector<std::string> worker_args(const std::string& queue, const fs::path& dir, const fs::path& secret,
                                     const std::string& name, const std::string& schedule) {
    return {"worker", "--catalog", queue, "--poll-seconds", "0.1", "--json", "--name", name, "--output-root",
            (dir / "work").string(), "--webhook-secret-file", secret.string(), "--allow-private-webhooks",
            "--webhook-retry-schedule", schedule, "--webhook-timeout-seconds", "3"};
}

json job_with_notify(const std::string& name, const fs::path& archive_root, const json& notify) {
    json job = quick_job(name, name, archive_root, "");
    job["archive"].erase("store");
    if (!notify.is_null()) job["notify"] = notify;
    return job;
}

std::string write_job(const fs::path& dir, const json& job) {
    const fs::path p = dir / (job["name"].get<std::string>() + ".json");
    std::ofstream(p) << job.dump(2);
    return p.string();
}

struct Fixture {
    sandbox::SandboxOptions sandbox_options = quick_sandbox();
    std::unique_ptr<sandbox::SandboxServer> server = start_sandbox_for_cli(sandbox_options);
    fs::path dir = make_temp_dir("webhooks");
    std::string queue = (dir / "queue.db").string();
    fs::path archive_root = dir / "archive";
    fs::path secret = dir / "webhook.secret";
    Fixture() { std::ofstream(secret) << secret_line << "\n"; }
    ~Fixture() { server->stop(); }
    std::unique_ptr<archive::Catalog> catalog() const { return archive::open_catalog(queue); }
};

}  // namespace

TEST(WebhooksEndToEnd, EveryEventArrivesVerifiedAfterAnOutageAndAfterItsDelivererWasKilled) {
    Fixture f;
    Receiver receiver(f.dir, f.secret);
    ASSERT_GT(receiver.port, 0) << receiver.logs();
    receiver.set("down", true);
    const json notify = {{"url", receiver.url()}};

    // A private target is refused unless the submitter allows it; the refusal never shows the token.
    const std::string single = write_job(f.dir, job_with_notify("hookclip1", f.archive_root, notify));
    CommandResult refused = run(shell_quote(AVPOST_BINARY) + " submit --catalog " + shell_quote(f.queue) + " " + shell_quote(single));
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("notify.url"), std::string::npos) << refused.err;
    EXPECT_EQ((refused.out + refused.err).find(receiver_token), std::string::npos) << refused.err;
    CommandResult submitted = run(shell_quote(AVPOST_BINARY) + " submit --allow-private-webhooks --catalog " +
                                  shell_quote(f.queue) + " " + shell_quote(single));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.err;

    // A batch of two, each job with its own notify, the batch with batch.finished only.
    std::vector<archive::BatchJob> rows;
    for (const char* name : {"hookrow1", "hookrow2"}) {
        json job = job_with_notify(name, f.archive_root, notify);
        const std::string file = write_job(f.dir, job);
        rows.push_back({name, {{"file", file}, {"job", job}, {"notify", notify}}});
    }
    const archive::BatchSubmitResult batch =
        f.catalog()->submit_batch("hookbatch", {{"url", receiver.url()}, {"events", {"batch.finished"}}}, rows);

    Background worker_a(worker_args(f.queue, f.dir, f.secret, "worker-a", "0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"), f.dir,
                        "worker-a");
    // All three jobs done, and every one of the four events tried at least twice while down.
    const bool tried = eventually(
        [&] {
            auto events = f.catalog()->webhook_events();
            return events.size() == 4 && std::all_of(events.begin(), events.end(), [](const archive::WebhookEvent& e) {
                       return e.failed_attempts >= 2;
                   });
        },
        std::chrono::seconds(90));
    ASSERT_TRUE(tried) << read_file(worker_a.out) << read_file(worker_a.err) << receiver.logs();
    EXPECT_TRUE(receiver.verified().empty()) << "nothing got through while the receiver was down";
    receiver.set("down", false);

    const bool delivered = eventually(
        [&] {
            auto events = f.catalog()->webhook_events();
            return std::all_of(events.begin(), events.end(),
                               [](const archive::WebhookEvent& e) { return e.state == archive::WebhookState::delivered; });
        },
        std::chrono::seconds(30));
    ASSERT_TRUE(delivered) << read_file(worker_a.out) << read_file(worker_a.err) << receiver.logs();

    std::map<std::string, archive::WebhookEvent> outbox;
    for (archive::WebhookEvent& e : f.catalog()->webhook_events()) outbox[e.event_id] = e;
    std::multiset<std::string> verified_ids;
    std::map<std::string, int> types;
    for (const json& v : receiver.verified()) {
        verified_ids.insert(v["id"].get<std::string>());
        ++types[v["type"].get<std::string>()];
        EXPECT_EQ(v["user_agent"], "avpost");
        EXPECT_EQ(v["content_type"], "application/json");
        EXPECT_EQ(v["url"], std::string("/hook?token=") + receiver_token) << "the URL's query is delivered";
        const std::string id = v["id"].get<std::string>();
        ASSERT_TRUE(outbox.count(id)) << "an id the outbox does not know: " << id;
        if (v["type"] == "job.succeeded") {
            // Never before the files were archived and verified: the job's archive stage (store,
            // then read back against its hash) finished before the event was written.
            auto archived = f.catalog()->find_stage(v["data"]["name"].get<std::string>(), "archive");
            ASSERT_TRUE(archived.has_value()) << v.dump();
            EXPECT_LE(archived->finished_at, outbox[id].created_at);
            EXPECT_EQ(v["data"]["state"], "done");
        }
        if (v["type"] == "batch.finished") {
            EXPECT_EQ(v["data"]["batch_id"], batch.batch_id);
            EXPECT_EQ(v["data"]["counts"]["done"], 2);
        }
    }
    EXPECT_EQ(verified_ids.size(), 4u) << "each event verified once";
    EXPECT_EQ(std::set<std::string>(verified_ids.begin(), verified_ids.end()).size(), 4u);
    EXPECT_EQ(types["job.succeeded"], 3);
    EXPECT_EQ(types["batch.finished"], 1);
    int refused_while_down = 0;
    for (const json& a : receiver.attempts()) {
        EXPECT_NE(a["outcome"], "rejected") << "a signature the npm library refused: " << a.dump();
        if (a["outcome"] == "down") {
            ++refused_while_down;
            EXPECT_EQ(verified_ids.count(a["id"].get<std::string>()), 1u) << "a retry carries the same id: " << a.dump();
        }
    }
    EXPECT_GE(refused_while_down, 8);

    // `avpost jobs` shows each job's webhook; --json lists them without the receiver's token.
    CommandResult listed = run(shell_quote(AVPOST_BINARY) + " jobs --json --catalog " + shell_quote(f.queue));
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(listed.out.find(receiver_token), std::string::npos) << listed.out;
    json jobs = json::parse(listed.out);
    ASSERT_EQ(jobs["jobs"].size(), 3u);
    for (const json& j : jobs["jobs"]) {
        ASSERT_EQ(j["webhooks"].size(), 1u) << j.dump();
        EXPECT_EQ(j["webhooks"][0]["state"], "delivered");
        EXPECT_EQ(j["webhooks"][0]["url"], "http://127.0.0.1:" + std::to_string(receiver.port) + "/hook");
    }
    EXPECT_TRUE(jobs["dead_webhooks"].empty());

    // The deliverer killed mid-attempt: the receiver holds the first attempt of the next event
    // unanswered; worker A is killed; worker B sends it again once A's lease lapsed, same id.
    receiver.set("hang", true);
    const std::string last = write_job(f.dir, job_with_notify("hookclip2", f.archive_root, notify));
    ASSERT_EQ(run(shell_quote(AVPOST_BINARY) + " submit --allow-private-webhooks --catalog " + shell_quote(f.queue) + " " +
                  shell_quote(last))
                  .exit_code,
              0);
    std::string hung_id;
    ASSERT_TRUE(eventually(
        [&] {
            for (const json& a : receiver.attempts())
                if (a["outcome"] == "hung") hung_id = a["id"].get<std::string>();
            return !hung_id.empty();
        },
        std::chrono::seconds(60)))
        << read_file(worker_a.out) << receiver.logs();
    worker_a.kill(SIGKILL);
    EXPECT_EQ(worker_a.wait(), -SIGKILL);
    receiver.set("hang", false);
    Background worker_b(worker_args(f.queue, f.dir, f.secret, "worker-b", "0,1,1,1,1"), f.dir, "worker-b");
    // The receiver logs before it answers: wait for worker B to have recorded the delivery too.
    const bool redelivered = eventually(
        [&] {
            for (const json& v : receiver.verified())
                if (v["id"] == hung_id)
                    return read_file(worker_b.out).find("\"webhook_id\":\"" + hung_id + "\"") != std::string::npos;
            return false;
        },
        std::chrono::seconds(30));
    ASSERT_TRUE(redelivered) << read_file(worker_b.out) << read_file(worker_b.err) << receiver.logs();
    std::vector<archive::WebhookEvent> last_events = f.catalog()->webhook_events();
    auto again = std::find_if(last_events.begin(), last_events.end(),
                              [&](const archive::WebhookEvent& e) { return e.event_id == hung_id; });
    ASSERT_NE(again, last_events.end());
    EXPECT_EQ(again->state, archive::WebhookState::delivered);
    EXPECT_EQ(again->attempts, 2) << "the killed attempt and worker B's";
    EXPECT_NE(read_file(worker_b.out).find("\"outcome\":\"delivered\""), std::string::npos) << "worker B delivered it";

    // The receiver's verification can fail: a forged signature and a missing one are refused.
    httplib::Client client("127.0.0.1", receiver.port);
    auto forged = client.Post("/hook", {{"webhook-id", hung_id},
                                        {"webhook-timestamp", std::to_string(archive::unix_now())},
                                        {"webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
                              R"({"type":"job.succeeded"})", "application/json");
    ASSERT_TRUE(forged);
    EXPECT_EQ(forged->status, 400);
    auto unsigned_request = client.Post("/hook", R"({"type":"job.succeeded"})", "application/json");
    ASSERT_TRUE(unsigned_request);
    EXPECT_EQ(unsigned_request->status, 400);
    EXPECT_EQ(receiver.attempts().back()["outcome"], "rejected");

    worker_b.kill(SIGTERM);
    EXPECT_EQ(worker_b.wait(), 130) << read_file(worker_b.err);
    for (const fs::path& log : {worker_b.out, worker_b.err})
        EXPECT_EQ(read_file(log).find(receiver_token), std::string::npos) << "the worker printed the receiver's token";
    EXPECT_EQ(read_file(f.dir / "worker-b.err").find(secret_line + 6), std::string::npos);
    if (!HasFailure()) remove_with_siblings(f.dir);
}

// A receiver that never answers: after the (short) schedule the event is dead, and `avpost jobs`
// says so, in its table and its --json.
TEST(WebhooksEndToEnd, AnEventNobodyReceivesEndsDeadAndIsListed) {
    Fixture f;
    const int closed_port = free_loopback_port();  // nothing listens there: connection refused
    const json notify = {{"url", "http://127.0.0.1:" + std::to_string(closed_port) + "/gone?token=" + receiver_token},
                         {"events", {"job.succeeded"}}};
    const std::string file = write_job(f.dir, job_with_notify("hookdead", f.archive_root, notify));
    ASSERT_EQ(run(shell_quote(AVPOST_BINARY) + " submit --allow-private-webhooks --catalog " + shell_quote(f.queue) + " " +
                  shell_quote(file))
                  .exit_code,
              0);
    Background worker(worker_args(f.queue, f.dir, f.secret, "worker", "0,1"), f.dir, "worker");
    ASSERT_TRUE(eventually(
        [&] {
            auto dead = f.catalog()->webhook_events(archive::WebhookQuery{{}, {}, archive::WebhookState::dead});
            return dead.size() == 1;
        },
        std::chrono::seconds(60)))
        << read_file(worker.out) << read_file(worker.err);
    CommandResult table = run(shell_quote(AVPOST_BINARY) + " jobs --catalog " + shell_quote(f.queue));
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("dead 2"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("1 webhook dead"), std::string::npos) << table.out;
    EXPECT_EQ(table.out.find(receiver_token), std::string::npos) << table.out;
    CommandResult listed = run(shell_quote(AVPOST_BINARY) + " jobs --json --catalog " + shell_quote(f.queue));
    json dead = json::parse(listed.out)["dead_webhooks"];
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0]["type"], "job.succeeded");
    EXPECT_EQ(dead[0]["attempts"], 2);
    EXPECT_FALSE(dead[0]["last_error"].is_null());
    EXPECT_EQ(listed.out.find(receiver_token), std::string::npos);
    EXPECT_NE(read_file(worker.out).find("\"outcome\":\"dead\""), std::string::npos) << read_file(worker.out);
    worker.kill(SIGTERM);
    worker.wait();
    if (!HasFailure()) remove_with_siblings(f.dir);
}
