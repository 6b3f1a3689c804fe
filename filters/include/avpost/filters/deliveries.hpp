#pragma once
// The fan-out: every composited frame goes to each requested preset's sink, so one decode and
// one composite feed all outputs. Audio packets fan out the same way (from the decoding thread).
#include <memory>
#include <vector>

#include "avpost/filters/delivery_sink.hpp"

namespace avpost::filters {

class Deliveries {
public:
    // Creates the directory and every sink (all under temporary names).
    Deliveries(DeliveryOptions options, SinkContext context);
    ~Deliveries();

    bool needs_layer() const;  // some preset carries alpha
    void begin();
    void write(const DeliveryFrame& frame);
    void push_audio(const AVPacket* packet);
    // Finishes, checks and commits each output in turn.
    std::vector<DeliveredFile> finish(double duration_seconds);

private:
    DeliveryOptions options_;
    SinkContext context_;
    std::vector<std::unique_ptr<DeliverySink>> sinks_;
};

}  // namespace avpost::filters
