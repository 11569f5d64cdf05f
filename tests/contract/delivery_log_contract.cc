// The alert delivery log contract (blemon/alerts.h, DeliveryLog): kept in the central store,
// keyed by (event id, channel), written once and run on every store. Two connections stand for
// two processors, the one that died and its standby.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_contract.h"

namespace blemon::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

AlertMessage Alert(const std::string& id) {
  return {.event_id = id,
          .json = "{\"event_id\": \"" + id + "\"}",
          .summary = "s " + id,
          .text = "t " + id};
}

DeliveryRecord Try(const std::string& id, std::string channel, int attempt,
                   DeliveryRecord::Outcome outcome, UtcTime at, std::string by) {
  return {.at = at,
          .channel = std::move(channel),
          .target = "https://hooks.lan/blemon",
          .event_id = id,
          .attempt = attempt,
          .outcome = outcome,
          .detail = outcome == DeliveryRecord::Outcome::kDelivered ? "" : "HTTP 500",
          .sent_by = std::move(by)};
}

std::vector<std::string> IdsOf(const std::vector<AlertMessage>& alerts) {
  std::vector<std::string> ids;
  for (const auto& a : alerts) ids.push_back(a.event_id);
  return ids;
}

}  // namespace

TEST_P(AStore, DeliveryLogOwesEachAlertOncePerChannelInOrder) {
  const auto log = harness_->OpenDeliveryLog();
  log->Owe("webhook", std::vector{Alert("e1"), Alert("e2")});
  log->Owe("webhook", std::vector{Alert("e1")});  // a rerun after a crash
  log->Owe("email", std::vector{Alert("e2")});
  EXPECT_THAT(IdsOf(log->Owed("webhook", 10)), ElementsAre("e1", "e2"));
  EXPECT_THAT(IdsOf(log->Owed("webhook", 1)), ElementsAre("e1"));
  EXPECT_THAT(IdsOf(log->Owed("email", 10)), ElementsAre("e2"));
  const auto owed = log->Owed("email", 10).at(0);
  EXPECT_EQ(owed.json, Alert("e2").json);
  EXPECT_EQ(owed.summary, "s e2");
  EXPECT_EQ(owed.text, "t e2");
  EXPECT_EQ(log->StateOf("e1", "webhook"), (DeliveryState{.attempts = 0, .finished = false}));
  EXPECT_EQ(log->StateOf("e1", "email"), DeliveryState{}) << "never owed on that channel";
}

TEST_P(AStore, DeliveryLogTellsAStandbyWhatTheDeadProcessorTriedAndDelivered) {
  const auto dead = harness_->OpenDeliveryLog();
  const auto standby = harness_->OpenDeliveryLog();
  dead->Owe("webhook", std::vector{Alert("e1"), Alert("e2")});
  dead->Record(Try("e1", "webhook", 1, DeliveryRecord::Outcome::kDelivered, T0(), "pi-a"));
  dead->Record(Try("e2", "webhook", 1, DeliveryRecord::Outcome::kRetrying, T0() + 1s, "pi-a"));

  EXPECT_EQ(standby->StateOf("e1", "webhook"), (DeliveryState{.attempts = 1, .finished = true}));
  EXPECT_EQ(standby->StateOf("e2", "webhook"), (DeliveryState{.attempts = 1, .finished = false}));
  EXPECT_THAT(IdsOf(standby->Owed("webhook", 10)), ElementsAre("e2"));
  standby->Record(Try("e2", "webhook", 2, DeliveryRecord::Outcome::kGivenUp, T0() + 2s, "pi-b"));
  EXPECT_THAT(standby->Owed("webhook", 10), IsEmpty());
  EXPECT_EQ(dead->StateOf("e2", "webhook"), (DeliveryState{.attempts = 2, .finished = true}));
  // A late try of the dead processor changes neither the outcome nor lowers the count.
  dead->Record(Try("e2", "webhook", 1, DeliveryRecord::Outcome::kRetrying, T0() + 3s, "pi-a"));
  EXPECT_EQ(standby->StateOf("e2", "webhook"), (DeliveryState{.attempts = 2, .finished = true}));
  dead->Owe("webhook", std::vector{Alert("e2")});
  EXPECT_THAT(standby->Owed("webhook", 10), IsEmpty()) << "owing again never reopens it";

  const auto recent = harness_->OpenDeliveryLog()->Recent(3);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[1].event_id, "e2");
  EXPECT_EQ(recent[1].attempt, 2);
  EXPECT_EQ(recent[1].outcome, DeliveryRecord::Outcome::kGivenUp);
  EXPECT_EQ(recent[1].sent_by, "pi-b");
  EXPECT_EQ(recent[1].at, T0() + 2s);
  EXPECT_EQ(recent[1].target, "https://hooks.lan/blemon");
  EXPECT_EQ(recent[1].detail, "HTTP 500");
  EXPECT_EQ(recent[2].sent_by, "pi-a");
  EXPECT_EQ(recent[2].outcome, DeliveryRecord::Outcome::kRetrying);
}

TEST_P(AStore, DeliveryLogForgetsTriesAfterNinetyDays) {
  const auto log = harness_->OpenDeliveryLog();
  log->Owe("webhook", std::vector{Alert("old"), Alert("new")});
  log->Record(Try("old", "webhook", 1, DeliveryRecord::Outcome::kDelivered, T0(), "pi-a"));
  log->Record(
      Try("new", "webhook", 1, DeliveryRecord::Outcome::kDelivered, T0() + 24h * 91, "pi-a"));
  const auto recent = log->Recent(10);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].event_id, "new");
  EXPECT_EQ(log->StateOf("old", "webhook"), DeliveryState{});
}

}  // namespace blemon::testing
