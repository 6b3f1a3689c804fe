#pragma once
// The default catalog: one SQLite file (WAL) in the archive root. The schema is versioned with
// PRAGMA user_version and upgraded by an ordered list of migrations (catalog_migrations()), each
// applied in its own transaction. Claims take the write lock with BEGIN IMMEDIATE.
#include <filesystem>
#include <memory>

#include "avpost/archive/catalog.hpp"

struct sqlite3;

namespace avpost::archive {

// Removes the temporaries of catalogs whose creation a dead process left unfinished
// ("catalog.db.new-PID-N*" beside `catalog_file`). Returns how many files went.
int remove_abandoned_catalog_temporaries(const std::filesystem::path& catalog_file);

class SqliteCatalog final : public Catalog {
public:
    // Opens or creates the catalog file and brings its schema up to date. A new catalog is built
    // complete under a temporary name ("catalog.db.new-PID-N") and linked into place, so a failure
    // (a full disk) never leaves an empty or half-made catalog behind.
    explicit SqliteCatalog(const std::filesystem::path& file, CatalogOptions options = {});
    ~SqliteCatalog() override;
    SqliteCatalog(const SqliteCatalog&) = delete;
    SqliteCatalog& operator=(const SqliteCatalog&) = delete;

    static int latest_schema_version();

    int schema_version() override;
    std::string describe() const override;
    std::unique_ptr<Catalog> open_another() const override;

    std::int64_t upsert_job(const JobRecord& job) override;
    std::optional<JobRecord> find_job(std::string_view vendor, std::string_view vendor_job_id) override;
    JobRecord job(std::int64_t id) override;
    std::vector<JobRecord> jobs_without_assets(std::string_view vendor) override;
    std::int64_t add_asset(std::int64_t job_id, std::string_view kind, std::string_view name,
                           std::string_view source_url) override;
    AssetRecord asset(std::int64_t id) override;
    std::optional<AssetRecord> claim_next(std::string_view owner, std::chrono::seconds lease,
                                          std::int64_t now = 0) override;
    bool claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now = 0) override;
    bool claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, const JobLease& fence,
               std::int64_t now = 0) override;
    std::optional<AssetRecord> claim_next_for(std::string_view owner, std::chrono::seconds lease,
                                              const ClaimFilter& filter, std::int64_t now = 0) override;
    bool renew_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease,
                     std::int64_t now = 0) override;
    void mark_expired(std::int64_t asset_id, std::string_view owner, std::string_view error) override;
    void mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts) override;
    void mark_stored(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts,
                     const JobLease& fence) override;
    void release(std::int64_t asset_id, std::string_view owner, std::string_view error, bool retryable) override;
    void release_with_backoff(std::int64_t asset_id, std::string_view owner, std::string_view error,
                              const RetryBackoff& backoff, std::int64_t now = 0) override;
    void mark_verified(std::int64_t asset_id, std::int64_t now = 0) override;
    void mark_verify_failed(std::int64_t asset_id, std::string_view error) override;
    std::vector<ListRow> list(const ListQuery& query = {}) override;
    std::vector<ListRow> verify_candidates(std::optional<int> sample) override;
    std::optional<AssetRecord> find_asset(std::int64_t job_id, std::string_view name) override;
    void requeue_failed(std::int64_t asset_id) override;
    bool requeue_expired(std::int64_t asset_id, std::string_view reason) override;
    std::optional<StageRecord> find_stage(std::string_view job_key, std::string_view stage) override;
    std::vector<StageRecord> stages_named(std::string_view stage) override;
    void record_stage(const StageRecord& record) override;
    void forget_stage(std::string_view job_key, std::string_view stage) override;
    bool record_stage(const StageRecord& record, const JobLease& lease) override;
    bool forget_stage(std::string_view job_key, std::string_view stage, const JobLease& lease) override;
    SubmitResult submit_job(std::string_view name, const nlohmann::json& spec, int max_attempts = default_job_attempts,
                            std::int64_t now = 0) override;
    std::optional<QueuedJob> claim_job(std::string_view worker, std::chrono::seconds lease, std::int64_t now = 0) override;
    bool heartbeat_job(const JobLease& lease, std::chrono::seconds duration, std::int64_t now = 0) override;
    bool set_job_stage(const JobLease& lease, std::string_view stage) override;
    bool complete_job(const JobLease& lease, std::int64_t now = 0) override;
    bool fail_job(const JobLease& lease, std::string_view error, bool transient, std::int64_t now = 0) override;
    bool release_job(const JobLease& lease, std::int64_t now = 0) override;
    bool cancel_job(std::int64_t id, std::int64_t now = 0) override;
    bool retry_job(std::int64_t id, std::int64_t now = 0) override;
    QueuedJob queued_job(std::int64_t id) override;
    std::vector<QueuedJob> queued_jobs() override;
    QueuePage queued_jobs_page(std::optional<QueueState> state, std::int64_t offset, int limit) override;
    BatchSubmitResult submit_batch(std::string_view name, const nlohmann::json& notify, const std::vector<BatchJob>& jobs,
                                   int max_attempts = default_job_attempts, std::int64_t now = 0) override;
    BatchRecord batch(std::int64_t id) override;
    std::optional<ApiAnswer> api_answer(std::string_view scope, std::string_view key) override;
    ApiAnswer remember_api_answer(std::string_view scope, std::string_view key, const ApiAnswer& answer,
                                  std::int64_t now = 0) override;
    std::optional<WebhookEvent> claim_webhook_event(std::string_view owner, std::chrono::seconds lease,
                                                    std::int64_t now = 0) override;
    bool record_webhook_attempt(const WebhookEvent& claimed, const WebhookAttemptResult& result,
                                std::int64_t now = 0) override;
    std::vector<WebhookEvent> webhook_events(const WebhookQuery& query = {}) override;
    bool queue_has_work() override;
    CatalogStats stats(std::int64_t now = 0) override;

    // The raw connection, for SQLite-specific checks in tests (PRAGMAs, locks); the archive code
    // never uses it.
    sqlite3* handle() { return db_; }

private:
    void take_claim(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, std::int64_t now);
    // `fence`: null, or the queued job's lease, checked in the same write transaction.
    bool claim_fenced(std::int64_t asset_id, std::string_view owner, std::chrono::seconds lease, const JobLease* fence,
                      std::int64_t now);
    void store_fenced(std::int64_t asset_id, std::string_view owner, const StoredFacts& facts, const JobLease* fence);
    void migrate(const CatalogOptions& options);
    // submit_job's work inside the caller's write transaction.
    SubmitResult submit_in_transaction(std::string_view name, const nlohmann::json& spec, int max_attempts,
                                       std::int64_t now);

    std::filesystem::path file_;
    CatalogOptions options_;
    sqlite3* db_ = nullptr;
};

}  // namespace avpost::archive
