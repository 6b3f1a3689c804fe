#include "avpost/filters/deliveries.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "avpost/core/error.hpp"
#include "avpost/filters/registry.hpp"

namespace avpost::filters {

// Runs one sink's writes on its own thread. Each frame is a fork-join: every worker encodes the
// same frame at once and the compose thread waits for all of them before it touches the frame
// again, so the frames are shared without a copy or a reference. A synchronous encoder (libvpx
// encodes inside avcodec_send_frame) then no longer holds up the others.
class Deliveries::Worker {
public:
    explicit Worker(DeliverySink& sink) : sink_(sink), thread_([this] { run(); }) {}
    ~Worker() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }

    void post(const DeliveryFrame& frame) {
        {
            std::lock_guard lock(mutex_);
            frame_ = frame;
            ++posted_;
        }
        wake_.notify_all();
    }

    // Waits for the posted frame; returns the error it raised, if any.
    std::exception_ptr wait() {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return finished_ == posted_; });
        return std::exchange(error_, nullptr);
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return stop_ || finished_ != posted_; });
            if (stop_) return;
            const DeliveryFrame frame = frame_;
            lock.unlock();
            std::exception_ptr error;
            try {
                sink_.write(frame);
            } catch (...) {
                error = std::current_exception();
            }
            lock.lock();
            error_ = error;
            finished_ = posted_;
            done_.notify_all();
        }
    }

    DeliverySink& sink_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    DeliveryFrame frame_;
    std::uint64_t posted_ = 0, finished_ = 0;
    std::exception_ptr error_;
    bool stop_ = false;
    std::thread thread_;  // last: starts once everything above exists
};

Deliveries::Deliveries(DeliveryOptions options, SinkContext context)
    : options_(std::move(options)), context_(context) {
    if (options_.presets.empty()) throw_usage("no delivery preset given");
    if (options_.directory.empty()) throw_usage("no delivery directory given");
    if (!options_.captions.empty()) {
        cues_ = lay_out_captions(read_captions(options_.captions).cues);
        // Burned text is not repeated in a soft track (players showing it would double it).
        if (options_.burn_captions) burner_ = std::make_unique<CaptionBurner>(cues_, context_.canvas, context_.matrix);
        else context_.captions = &cues_;
    }
    if (options_.loudness != LoudnessTarget::off) {
        context_.measure_loudness = true;
        std::optional<media::LoudnessReading> input;
        if (!context_.programme_audio.empty()) {
            // A programme's mix is measured as it will be made: its parts faded and mixed.
            if (context_.audio && context_.audio_frames) {
                const auto& parts = context_.programme_audio;
                const auto& music = context_.programme_music;
                const double seconds = context_.programme_seconds;
                loudness_ = refine_loudness_plan(
                    plan_loudness(options_.loudness, measure_programme_audio(parts, seconds, music)),
                    [&](const LoudnessPlan& plan) { return measure_programme_audio(parts, seconds, music, &plan); });
                if (loudness_->applies())
                    programme_stage_.emplace(*loudness_, context_.audio_frames->channels, context_.audio_frames->sample_rate);
            }
        } else if (context_.audio) {
            input = media::measure_file_loudness(context_.audio_file, context_.audio->index);
        }
        if (input) {
            loudness_ = refine_loudness_plan(plan_loudness(options_.loudness, *input), context_.audio_file,
                                             context_.audio->index);
            if (loudness_->applies()) {
                audio_path_ = std::make_unique<AudioPath>(context_.audio, *loudness_, [this](const AVFrame* frame) {
                    for (auto& sink : sinks_) sink->push_audio_frame(frame);
                });
                context_.audio_frames = SinkContext::AudioFrames{audio_path_->channels(), audio_path_->sample_rate()};
            }
        }
    }
    // Only now, so that a bad caption file leaves nothing behind.
    std::error_code error;
    std::filesystem::create_directories(options_.directory, error);
    if (error)
        throw OutputError(ErrorDomain::system, "create '" + options_.directory.string() + "'", error.value(),
                          error.message());
    // Sinks keep references to options_ and context_, which live as long as this object. The
    // ladder is made last: it may cut its top rung from another sink's encode.
    EncodedOutput* top_rung = nullptr;
    for (Preset preset : options_.presets) {
        sinks_.push_back(sink_info(preset).after_others ? nullptr : make_delivery_sink(preset, options_, context_));
        if (sinks_.back() && sinks_.back()->hls_top_rung()) top_rung = sinks_.back()->hls_top_rung();
    }
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (!sinks_[i]) sinks_[i] = make_delivery_sink(options_.presets[i], options_, context_, top_rung);
}

Deliveries::~Deliveries() { workers_.clear(); }  // joined before the sinks go

bool Deliveries::needs_layer() const {
    return std::any_of(options_.presets.begin(), options_.presets.end(), preset_has_alpha);
}

void Deliveries::begin() {
    for (auto& sink : sinks_) sink->begin();
    if (sinks_.size() > 1)
        for (auto& sink : sinks_) workers_.push_back(std::make_unique<Worker>(*sink));
}

void Deliveries::write(const DeliveryFrame& given) {
    DeliveryFrame frame = given;
    if (burner_) frame.picture = burner_->burn(given.picture, given.seconds - context_.start_seconds);
    if (workers_.empty()) {
        for (auto& sink : sinks_) sink->write(frame);
        return;
    }
    for (auto& worker : workers_) worker->post(frame);
    std::exception_ptr first;
    for (auto& worker : workers_)
        if (std::exception_ptr error = worker->wait(); error && !first) first = error;
    if (first) std::rethrow_exception(first);
}

void Deliveries::push_audio(const AVPacket* packet) {
    if (audio_path_) {
        audio_path_->push(packet);
        return;
    }
    for (auto& sink : sinks_) sink->push_audio(packet);
}

void Deliveries::push_audio_frame(const AVFrame* frame) {
    const AVFrame* processed = programme_stage_ ? programme_stage_->process(frame) : frame;
    if (processed)
        for (auto& sink : sinks_) sink->push_audio_frame(processed);
}

std::vector<DeliveredFile> Deliveries::finish(double duration_seconds) {
    workers_.clear();
    if (audio_path_) audio_path_->finish();  // its last frames reach the sinks first
    if (programme_stage_)
        if (const AVFrame* tail = programme_stage_->flush())
            for (auto& sink : sinks_) sink->push_audio_frame(tail);
    // The ladder last: an encode it shares flushes its final packets into it when finishing.
    std::vector<DeliveredFile> files(sinks_.size());
    for (bool after_others : {false, true})
        for (std::size_t i = 0; i < sinks_.size(); ++i)
            if (sink_info(options_.presets[i]).after_others == after_others) files[i] = sinks_[i]->finish(duration_seconds);
    return files;
}

}  // namespace avpost::filters
