#pragma once
// The HTTP job API of `avpost serve` (docs/api.md, docs/openapi.json), under /api/v1/:
//
//   POST /api/v1/jobs              a job document -> 201 {id, ...} (200: the same job, unchanged)
//   POST /api/v1/batches           {template, rows, notify?} -> 201 {id, jobs: [...]}
//   GET  /api/v1/jobs?state=&page=&per_page=   newest first
//   GET  /api/v1/jobs/ID           state, stages, outputs with the gallery's download URLs
//   POST /api/v1/jobs/ID/cancel, /retry
//   GET  /api/v1/batches/ID
//   GET  /api/v1/openapi.json      the OpenAPI 3.1 document (no token needed)
//
// Jobs are checked as `avpost submit` checks a job file and queued into the catalog's queue,
// where workers (`avpost worker`, `serve --work N`) run them. Every failure is an RFC 9457
// problem (application/problem+json); job problems are listed field by field (422), with the
// paths the CLI names. Bearer tokens (AccessTokens): read scope for GET, submit scope for POST;
// without tokens only loopback clients naming a loopback Host (with both scopes). A POST with an
// Idempotency-Key gets the first answer again for the same body, 409 for another one.
//
// What a client sends is confined: environment references ("${NAME}") are refused (the server's
// environment holds its vendor secrets), and every local file a job reads or writes must lie
// under the job root. Answers carry no secret, vendor link, store URI or job document.
#include <httplib.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "avpost/archive/access_tokens.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/pipeline/job_runner.hpp"

namespace avpost::pipeline {

struct JobApiOptions {
    std::string catalog;  // the queue's catalog: a SQLite path or a postgresql:// URI
    archive::CatalogOptions catalog_options;
    archive::AccessTokens tokens;  // none: loopback clients only
    // Relative paths in submitted jobs resolve here, and every local file a job names must lie
    // under it. Absolute.
    std::filesystem::path job_root;
    // The checks a submitted job passes (output root, archive default), as `avpost submit`'s.
    RunOptions checks;
    bool allow_private_webhooks = false;  // notify URLs on loopback/private networks
    int max_attempts = archive::default_job_attempts;
    std::size_t max_body_bytes = 1 << 20;
    int max_batch_rows = 10000;
};

class JobApi {
public:
    explicit JobApi(JobApiOptions options);
    ~JobApi();
    JobApi(const JobApi&) = delete;
    JobApi& operator=(const JobApi&) = delete;

    // The routes under /api/v1/ and problem details for their errors (404, 405, 413). Install
    // before any catch-all route of the same method.
    void install(httplib::Server& server);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// The OpenAPI 3.1 document (docs/openapi.json, built into avpost).
std::string_view openapi_document();

}  // namespace avpost::pipeline
