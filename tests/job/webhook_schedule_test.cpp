// The deliverer's retry schedule (pipeline/webhook_delivery.hpp): Standard Webhooks' default, at
// least 24 h of attempts, jitter only ever adding, a test's own schedule, the end of it.
#include <gtest/gtest.h>

#include <numeric>

#include "avpost/core/error.hpp"
#include "avpost/pipeline/webhook_delivery.hpp"

using namespace avpost;
using std::chrono::seconds;

TEST(WebhookSchedule, TheDefaultIsStandardWebhooksAndSpansADay) {
    const auto schedule = pipeline::default_webhook_retry_schedule();
    EXPECT_EQ(schedule, (std::vector<seconds>{seconds(0), seconds(5), seconds(300), seconds(1800), seconds(7200),
                                              seconds(18000), seconds(36000), seconds(36000)}));
    const seconds total = std::accumulate(schedule.begin(), schedule.end(), seconds(0));
    EXPECT_GE(total, seconds(24 * 3600));
}

TEST(WebhookSchedule, EachFailedAttemptWaitsItsEntryPlusAtMostTenPercentThenTheEventIsDead) {
    const auto schedule = pipeline::default_webhook_retry_schedule();
    const std::int64_t now = 2000000000;
    for (int i = 0; i < 200; ++i) {
        const auto after_first = pipeline::next_webhook_attempt(schedule, 1, now, 0.1);
        ASSERT_TRUE(after_first.has_value());
        EXPECT_GE(*after_first, now + 5);
        EXPECT_LE(*after_first, now + 5);  // 10 % of 5 s is under a second
        const auto after_fourth = pipeline::next_webhook_attempt(schedule, 4, now, 0.1);
        EXPECT_GE(*after_fourth, now + 7200);
        EXPECT_LE(*after_fourth, now + 7920);
    }
    EXPECT_EQ(pipeline::next_webhook_attempt(schedule, 7, now, 0), now + 36000);
    EXPECT_FALSE(pipeline::next_webhook_attempt(schedule, 8, now, 0).has_value()) << "8 attempts, then dead";
}

TEST(WebhookSchedule, ATestScheduleIsSecondsSeparatedByCommas) {
    EXPECT_EQ(pipeline::parse_webhook_retry_schedule("0,1,1,2"),
              (std::vector<seconds>{seconds(0), seconds(1), seconds(1), seconds(2)}));
    EXPECT_EQ(pipeline::parse_webhook_retry_schedule("0"), (std::vector<seconds>{seconds(0)}));
    for (const char* bad : {"", "1,,2", "a", "-1", "1,", "1.5"}) EXPECT_THROW(pipeline::parse_webhook_retry_schedule(bad), Error) << bad;
}

TEST(WebhookSchedule, ADeliveryNeedsASecretAndALeaseLongerThanItsTimeout) {
    pipeline::WebhookDeliveryOptions o;
    o.catalog = "/nonexistent/catalog.db";
    o.secret = "not a secret";
    EXPECT_THROW(pipeline::WebhookDelivery{o}, Error);
    o.secret = "whsec_dGVzdCBzZWNyZXQgZm9yIGF2cG9zdCB3ZWJob29rcw==";
    o.lease = seconds(10);
    o.request_timeout = std::chrono::milliseconds(15000);
    EXPECT_THROW(pipeline::WebhookDelivery{o}, Error);
    o.lease = seconds(60);
    pipeline::WebhookDelivery delivery(o);
    EXPECT_FALSE(delivery.owner().empty());
    delivery.start();
    delivery.stop();  // returns promptly, the catalog unreachable or not
}
