#include "avpost/filters/audio_shift.hpp"

#include "avpost/core/error.hpp"

namespace avpost::filters {

AudioShift::AudioShift(AVRational audio_time_base, std::function<void(AVPacket*)> deliver)
    : audio_time_base_(audio_time_base), deliver_(std::move(deliver)) {}

void AudioShift::take(AVPacket* packet) {
    if (started_) {
        deliver_shifted(packet);
        return;
    }
    media::PacketPtr kept(av_packet_clone(packet));  // a new reference to the same data
    if (!kept) throw Error(ErrorDomain::av, "av_packet_clone (audio)", AVERROR(ENOMEM), "out of memory");
    kept_.push_back(std::move(kept));
}

void AudioShift::start(std::int64_t first_video_pts, AVRational video_time_base) {
    started_ = true;
    shift_ = av_rescale_q(first_video_pts, video_time_base, audio_time_base_);
    for (auto& packet : kept_) deliver_shifted(packet.get());
    kept_.clear();
}

void AudioShift::deliver_shifted(AVPacket* packet) {
    if (packet->pts != AV_NOPTS_VALUE) packet->pts -= shift_;
    if (packet->dts != AV_NOPTS_VALUE) packet->dts -= shift_;
    deliver_(packet);
}

}  // namespace avpost::filters
