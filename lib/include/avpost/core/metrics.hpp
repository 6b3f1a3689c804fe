#pragma once
// Process metrics for `/metrics` (avpost serve, avpost worker --metrics-listen) in the Prometheus
// text exposition format 0.0.4. Counters, gauges and histograms with labels come from prometheus-cpp
// (Debian's prometheus-cpp-dev, its core library only: no HTTP server of its own; ours is
// cpp-httplib). One registry per process: the code doing the work records into it (the HTTP client,
// the worker), and what is read at scrape time (the catalog's counts, archive/catalog_metrics.hpp)
// is a Collectable rendered beside it.
//
// Names follow Prometheus conventions: avpost_ prefix, base units (_seconds, _bytes), _total on
// counters; labels take bounded values only (a state, a stage, a vendor, an HTTP status, an
// outcome), never a URL, a token or a job's name.
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace avpost::metrics {

// The Content-Type of the text format.
inline constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

// The process's registry. Families are made once (function-local statics at the recording site)
// and their labelled children kept: Family::Add locks and hashes, Counter::Increment is atomic.
prometheus::Registry& registry();

// The text format of `collectables` (each's families in order; none may repeat a name).
std::string render(const std::vector<const prometheus::Collectable*>& collectables);
// The process registry followed by `extra` (scrape-time collectors).
std::string render_process(const std::vector<const prometheus::Collectable*>& extra = {});

// Bucket upper bounds (seconds) for durations from milliseconds to an hour (a stage, a job's wait).
const prometheus::Histogram::BucketBoundaries& duration_buckets();
// Bucket upper bounds (seconds) for a database round trip: half a millisecond to 10 s.
const prometheus::Histogram::BucketBoundaries& latency_buckets();

// A gauge family made at scrape time: `name` with one sample per label set.
struct GaugeSample {
    std::vector<prometheus::ClientMetric::Label> labels;
    double value = 0;
};
prometheus::MetricFamily gauge_family(std::string name, std::string help, const std::vector<GaugeSample>& samples);

}  // namespace avpost::metrics
