// The HTTP job API end to end: a real `avpost serve` on loopback with the sandbox as the vendor,
// driven by an independent client (tests/fleet/api_client.mjs: Node's fetch, answers checked
// against docs/openapi.json by openapi-backend). The client first works the queue alone (tokens,
// refusals, 422 field errors, Idempotency-Key, cancel, retry, batches), then a second `serve
// --work 2` runs the jobs (and delivers their completion webhooks, signed, to a receiver here) and
// the client follows them to their archived files and downloads them.
#include <signal.h>

#include <mutex>
#include <regex>
#include <thread>

#include "../archive/sync_test_support.hpp"
#include "quick_job.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

const std::string read_token = "fake-api-read-token-for-tests";
const std::string submit_token = "fake-api-submit-token-for-tests";

// A quick sandbox job whose files all lie under the job root: a relative background and archive.
json api_job(const std::string& name, const std::string& variant) {
    json job = quick_job(name, variant, "archive", "");
    job["composite"]["background"] = "background.png";
    job["archive"].erase("store");
    return job;
}

}  // namespace

TEST(JobApi, AnIndependentClientDrivesTheApiAndEveryAnswerMatchesTheOpenApiDocument) {
    if (std::string(NODE_EXECUTABLE).empty() || !fs::exists(fs::path(AVPOST_NPM_DIR) / "node_modules/openapi-backend"))
        FAIL() << "node or openapi-backend missing: scripts/setup.sh installs them into build/npm";
    auto sandbox = start_sandbox_for_cli(quick_sandbox());
    const fs::path dir = make_temp_dir("job-api");
    fs::copy_file(fs::path(AVPOST_TEST_MEDIA_DIR) / "background.png", dir / "background.png");
    {
        std::ofstream tokens(dir / "tokens");
        tokens << "# the API test's tokens\n" << read_token << " read\n\n" << submit_token << " submit\n";
    }
    const fs::path archive_root = dir / "archive";
    // The first job's completion webhook goes here (signature checks: webhook_e2e_test).
    TinyServer receiver;
    std::mutex received_mutex;
    std::vector<json> received;
    receiver.server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(received_mutex);
        json event = json::parse(req.body, nullptr, false);
        event["signed"] = req.get_header_value("webhook-signature").starts_with("v1,");
        event["webhook_id"] = req.get_header_value("webhook-id");
        received.push_back(event);
        res.status = 204;
    });
    receiver.start();
    std::ofstream(dir / "webhook.secret") << "whsec_dGVzdCBzZWNyZXQgZm9yIGF2cG9zdCB3ZWJob29rcw==\n";
    Background serve({"serve", "--port", "0", "--archive", archive_root.string(), "--token-file",
                      (dir / "tokens").string(), "--job-root", dir.string(), "--allow-private-webhooks"},
                     dir, "serve");
    const int port = port_from(serve, R"(job api: http://127\.0\.0\.1:(\d+)/api/v1/)");
    ASSERT_GT(port, 0);

    json valid = api_job("api-one", "1");
    valid["notify"] = {{"url", receiver.url("/hook?token=receiver-secret")}, {"events", {"job.succeeded"}}};
    json invalid = api_job("api bad name", "9");
    invalid["composite"]["size"] = "huge";
    invalid["notify"] = {{"url", "ftp://127.0.0.1/hook"}};
    invalid["deliver"]["presets"] = {"web", "betamax"};
    json env_reference = api_job("api-env", "8");
    env_reference["source"]["a2v"]["audio_url"] = "${A2V_AUDIO_URL:-http://127.0.0.1:9/voice.wav}";
    json outside_root = api_job("api-outside", "7");
    outside_root["composite"]["background"] = (fs::path(AVPOST_TEST_MEDIA_DIR) / "background.png").string();
    json batch_template = api_job("api-batch-{{id}}", "{{id}}");
    const fs::path start_worker_file = dir / "start-worker";
    const json config = {
        {"base", "http://127.0.0.1:" + std::to_string(port)},
        {"submit_token", submit_token},
        {"read_token", read_token},
        {"openapi", (fs::path(AVPOST_SOURCE_DIR) / "docs/openapi.json").string()},
        {"npm", AVPOST_NPM_DIR},
        {"jobs",
         {{"valid", valid},
          {"other", api_job("api-two", "2")},
          {"invalid", invalid},
          {"env_reference", env_reference},
          {"outside_root", outside_root}}},
        {"invalid_paths", {"name", "composite.size", "deliver.presets[1]", "notify.url"}},
        {"batch",
         {{"template", batch_template},
          {"rows", json::array({{{"id", "b1"}}, {{"id", "b2"}}})},
          {"bad_rows", json::array({{{"id", "b1"}}, {{"other", "x"}}, {{"id", "b3"}}})},
          {"bad_row_numbers", {2}}}},
        {"start_worker_file", start_worker_file.string()},
        {"run_seconds", 120}};
    std::ofstream(dir / "config.json") << config.dump(2);

    const std::string client = shell_quote(NODE_EXECUTABLE) + " " +
                               shell_quote((fs::path(AVPOST_SOURCE_DIR) / "tests/fleet/api_client.mjs").string()) +
                               " " + shell_quote((dir / "config.json").string());
    CommandResult result;
    std::thread node([&] { result = run(client); });
    // The queue-only part done, the jobs run in a second serve of the same archive (--work).
    std::unique_ptr<Background> worker;
    const bool asked = eventually([&] { return fs::exists(start_worker_file); }, std::chrono::seconds(60));
    if (asked)
        worker = std::make_unique<Background>(
            std::vector<std::string>{"serve", "--port", "0", "--archive", archive_root.string(), "--job-root",
                                     dir.string(), "--work", "2", "--webhook-secret-file",
                                     (dir / "webhook.secret").string(), "--allow-private-webhooks"},
            dir, "worker");
    node.join();
    EXPECT_TRUE(asked) << "the client never asked for a worker";
    EXPECT_EQ(result.exit_code, 0) << result.out << "\n" << result.err << "\nserve: " << read_file(serve.err)
                                   << (worker ? "\nworker: " + read_file(worker->out) + read_file(worker->err) : "");
    const json summary = json::parse(result.out.substr(0, result.out.find('\n')), nullptr, false);
    ASSERT_TRUE(summary.is_object()) << result.out;
    EXPECT_GE(summary.value("validated", 0), 40);
    EXPECT_GE(summary.value("downloaded", 0), 4);

    // The first job's webhook came, signed, once the job was done (the client saw it delivered).
    {
        std::lock_guard lock(received_mutex);
        ASSERT_GE(received.size(), 1u);
        EXPECT_EQ(received[0].value("type", ""), "job.succeeded");
        EXPECT_EQ(received[0]["data"].value("name", ""), "api-one");
        EXPECT_TRUE(received[0].value("signed", false));
        for (const json& e : received) EXPECT_EQ(e.value("webhook_id", ""), received[0].value("webhook_id", "")) << "one event, one id";
    }
    // Nothing secret in what the servers printed.
    for (const std::string& text : {read_file(serve.out), read_file(serve.err)}) {
        EXPECT_EQ(text.find(read_token), std::string::npos);
        EXPECT_EQ(text.find(submit_token), std::string::npos);
        EXPECT_EQ(text.find("receiver-secret"), std::string::npos);
    }
    if (worker) {
        worker->kill(SIGTERM);
        EXPECT_EQ(worker->wait(), 0) << read_file(worker->err);
    }
    serve.kill(SIGTERM);
    serve.wait();
    sandbox->stop();
}
