#include "avpost/core/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace avpost::metrics {

prometheus::Registry& registry() {
    // Never destroyed: a thread still recording at exit (an HTTP handler, a download) finds it.
    static prometheus::Registry* r = new prometheus::Registry;
    return *r;
}

std::string render(const std::vector<const prometheus::Collectable*>& collectables) {
    std::vector<prometheus::MetricFamily> families;
    for (const prometheus::Collectable* c : collectables) {
        std::vector<prometheus::MetricFamily> more = c->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    return prometheus::TextSerializer().Serialize(families);
}

std::string render_process(const std::vector<const prometheus::Collectable*>& extra) {
    std::vector<const prometheus::Collectable*> all{&registry()};
    all.insert(all.end(), extra.begin(), extra.end());
    return render(all);
}

const prometheus::Histogram::BucketBoundaries& duration_buckets() {
    static const prometheus::Histogram::BucketBoundaries b{0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
    return b;
}

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
    static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    return b;
}

prometheus::MetricFamily gauge_family(std::string name, std::string help, const std::vector<GaugeSample>& samples) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = prometheus::MetricType::Gauge;
    for (const GaugeSample& s : samples) {
        prometheus::ClientMetric m;
        m.label = s.labels;
        m.gauge.value = s.value;
        f.metric.push_back(std::move(m));
    }
    return f;
}

}  // namespace avpost::metrics
