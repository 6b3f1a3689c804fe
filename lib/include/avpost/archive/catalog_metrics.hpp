#pragma once
// The catalog's gauges for /metrics, read from the catalog when scraped (Catalog::stats): jobs by
// state, queue depth and the oldest due job's wait, archive backlog and the soonest link expiry
// among unarchived assets, bytes stored. Every process showing them (serve, each worker) shows the
// same numbers, the catalog's: aggregate them with max(), not sum().
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/metrics.hpp"

namespace avpost::archive {

// The families of `stats` at `now` (Unix seconds); a pure function, for tests.
std::vector<prometheus::MetricFamily> catalog_metric_families(const CatalogStats& stats, std::int64_t now);

class CatalogMetrics final : public prometheus::Collectable {
public:
    // `location`: as open_catalog's. The connection is opened at the first scrape, kept, and opened
    // again after a failure (avpost_catalog_up 0 for that scrape).
    explicit CatalogMetrics(std::string location);
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::string location_;
    mutable std::mutex mutex_;  // scrapes may come at once; a Catalog is one connection
    mutable std::unique_ptr<Catalog> catalog_;
};

}  // namespace avpost::archive
