#include "avpost/filters/deliveries.hpp"

#include <algorithm>
#include <filesystem>

#include "avpost/core/error.hpp"

namespace avpost::filters {

Deliveries::Deliveries(DeliveryOptions options, SinkContext context)
    : options_(std::move(options)), context_(context) {
    if (options_.presets.empty()) throw_usage("no delivery preset given");
    if (options_.directory.empty()) throw_usage("no delivery directory given");
    std::error_code error;
    std::filesystem::create_directories(options_.directory, error);
    if (error)
        throw OutputError(ErrorDomain::system, "create '" + options_.directory.string() + "'", error.value(),
                          error.message());
    // Sinks keep references to options_ and context_, which live as long as this object.
    for (Preset preset : options_.presets) sinks_.push_back(make_delivery_sink(preset, options_, context_));
}

Deliveries::~Deliveries() = default;

bool Deliveries::needs_layer() const {
    return std::any_of(options_.presets.begin(), options_.presets.end(), preset_has_alpha);
}

void Deliveries::begin() {
    for (auto& sink : sinks_) sink->begin();
}

void Deliveries::write(const DeliveryFrame& frame) {
    for (auto& sink : sinks_) sink->write(frame);
}

void Deliveries::push_audio(const AVPacket* packet) {
    for (auto& sink : sinks_) sink->push_audio(packet);
}

std::vector<DeliveredFile> Deliveries::finish(double duration_seconds) {
    std::vector<DeliveredFile> files;
    for (auto& sink : sinks_) files.push_back(sink->finish(duration_seconds));
    return files;
}

}  // namespace avpost::filters
