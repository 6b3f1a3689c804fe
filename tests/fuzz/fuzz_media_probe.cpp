// Fuzz target: a media file, written from the input, opened the two ways avpost reads media:
// probe_media_file (the check of every delivered output) and VideoSource (every compose input:
// open, decode a few frames, the integrity check). A bad file must be an avpost::Error;
// anything else escaping, a crash or undefined behaviour is a finding. libav* itself is not
// instrumented: the coverage that guides the fuzzer is our own code's.
#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/media_probe.hpp"
#include "avpost/media/video_source.hpp"
#include "fuzz_support.hpp"

namespace {

// Enough frames to pass the first keyframe and a few decoded after it, few enough to stay fast.
constexpr int frames_decoded = 6;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace avpost;
    fuzz::quiet_logs();
    static fuzz::ScratchFile scratch("media");
    const auto& file = scratch.write(data, size);
    try {
        media::probe_media_file(file);
    } catch (const Error&) {
    }
    try {
        media::VideoSource source(file.string(), "avatar");
        media::FramePtr frame = media::make_frame();
        for (int i = 0; i < frames_decoded && source.next(frame.get()); ++i) (void)source.seconds_of(frame.get());
        source.check_integrity();
    } catch (const Error&) {
    }
    return 0;
}
