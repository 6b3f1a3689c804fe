// Composes one frame through avpost's installed API: a half-transparent avatar square over a
// dark canvas, then checks the blended samples; and asks the installed job pipeline (a worker's
// retry rule), so its library and headers are installed and link too. Exit 0 when all are right.
#include <cstdio>

#include "avpost/filters/composite.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/net/retry_rule.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/pipeline/worker.hpp"

int main() {
    using namespace avpost;
    auto canvas = media::make_video_frame(AV_PIX_FMT_YUV420P, 64, 64);
    auto avatar = media::make_video_frame(AV_PIX_FMT_YUV420P, 16, 16);
    for (int plane = 0; plane < 3; ++plane) {
        const int h = plane == 0 ? 64 : 32, ah = plane == 0 ? 16 : 8;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < canvas->linesize[plane]; ++x) canvas->data[plane][y * canvas->linesize[plane] + x] = plane == 0 ? 16 : 128;
        for (int y = 0; y < ah; ++y)
            for (int x = 0; x < avatar->linesize[plane]; ++x) avatar->data[plane][y * avatar->linesize[plane] + x] = plane == 0 ? 235 : 128;
    }
    cv::Mat alpha(16, 16, CV_8UC1, cv::Scalar(128));
    filters::Compositor compositor;
    compositor.over(canvas.get(), canvas.get(), avatar.get(), alpha, {8, 8}, false);
    const int inside = canvas->data[0][12 * canvas->linesize[0] + 12];
    const int outside = canvas->data[0][2 * canvas->linesize[0] + 2];
    const int expected = filters::blend_pixel(16, 235, 128);
    std::printf("composed one frame: luma inside %d (expected %d), outside %d (expected 16)\n", inside, expected,
                outside);
    const bool retried = net::is_transient(std::make_exception_ptr(
        net::ServiceError(net::ServiceErrorKind::network, ErrorDomain::curl, "vendor", 7, "unreachable")));
    std::printf("the pipeline retries a network failure: %s\n", retried ? "yes" : "no");
    return inside == expected && outside == 16 && retried ? 0 : 1;
}
