// The poll schedule of a render wait (net::poll_delay), checked on its values: a render is noticed
// soon after it ends (within 2 s for the sandbox's renders of a few seconds, a minute at most for A2V's
// 10-30 minutes) while the request count stays far under A2V's 30 a minute.
#include <gtest/gtest.h>

#include "avpost/net/render_job.hpp"

using namespace avpost::net;
using namespace std::chrono;

namespace {

// The times of the polls of a wait, when each poll itself takes no time.
std::vector<milliseconds> poll_times(const WaitOptions& options, milliseconds until) {
    std::vector<milliseconds> times{milliseconds(0)};
    while (times.back() < until) times.push_back(times.back() + poll_delay(times.back(), options));
    return times;
}

// How long after `finished` the first poll at or after it comes.
milliseconds lag(const std::vector<milliseconds>& times, milliseconds finished) {
    for (milliseconds t : times)
        if (t >= finished) return t - finished;
    ADD_FAILURE() << "no poll after " << finished.count() << " ms";
    return milliseconds::max();
}

}  // namespace

TEST(WaitSchedule, StartsAtTheIntervalGrowsWithTheTimeWaitedAndStopsAtTheMaximum) {
    WaitOptions o;  // the defaults: 1 s, a quarter of the time waited, 60 s
    EXPECT_EQ(poll_delay(milliseconds(0), o), seconds(1));
    EXPECT_EQ(poll_delay(seconds(3), o), seconds(1));
    EXPECT_EQ(poll_delay(seconds(8), o), seconds(2));
    EXPECT_EQ(poll_delay(seconds(40), o), seconds(10));
    EXPECT_EQ(poll_delay(minutes(4), o), seconds(60));
    EXPECT_EQ(poll_delay(minutes(25), o), seconds(60));
    o.initial_interval = seconds(15);  // a webhook is the main path: polls are the fallback
    EXPECT_EQ(poll_delay(seconds(1), o), seconds(15));
    o.initial_interval = minutes(2);   // a first interval above the maximum is kept
    EXPECT_EQ(poll_delay(minutes(30), o), minutes(2));
    milliseconds previous(0);
    for (milliseconds t(0); t < minutes(10); t += milliseconds(250)) {
        EXPECT_GE(poll_delay(t, WaitOptions{}), previous) << "the delay never shrinks, at " << t.count() << " ms";
        previous = poll_delay(t, WaitOptions{});
    }
}

TEST(WaitSchedule, ASandboxRenderIsNoticedWithinTwoSecondsAndAnA2vRenderWithinAMinute) {
    const auto times = poll_times(WaitOptions{}, hours(1));
    for (milliseconds finished(100); finished <= seconds(8); finished += milliseconds(100))
        EXPECT_LE(lag(times, finished), seconds(2)) << "a render ending at " << finished.count() << " ms";
    for (milliseconds finished = seconds(8); finished <= minutes(30); finished += seconds(7))
        EXPECT_LE(lag(times, finished), std::max<milliseconds>(seconds(2), finished / 4 + seconds(1)))
            << "a render ending at " << finished.count() << " ms";
    for (milliseconds finished = minutes(4); finished <= hours(1) - minutes(1); finished += seconds(13))
        EXPECT_LE(lag(times, finished), seconds(60));
}

TEST(WaitSchedule, AWaitStaysFarUnderA2vsThirtyRequestsAMinute) {
    const auto times = poll_times(WaitOptions{}, minutes(30));
    for (milliseconds window_start(0); window_start < minutes(29); window_start += seconds(1)) {
        int in_window = 0;
        for (milliseconds t : times) in_window += t >= window_start && t < window_start + minutes(1);
        EXPECT_LE(in_window, 20) << "polls in the minute from " << window_start.count() << " ms";
    }
    EXPECT_LE(times.size(), 50u) << "a 30-minute A2V render";
}
