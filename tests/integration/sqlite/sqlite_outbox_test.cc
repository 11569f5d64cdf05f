#include "blemon/sqlite/sqlite_outbox.h"

#include <gtest/gtest.h>

#include <chrono>

#include "sqlite_test_support.h"

namespace blemon::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::HostileStrings;
using testing::TempDir;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'000));

OutgoingMessage Event(const std::string& id) {
  return {.topic = "blemon/events", .payload = "{\"event_id\":\"" + id + "\"}", .event_id = id};
}
OutgoingMessage State(const std::string& topic, const std::string& value) {
  return {.topic = topic, .payload = value, .retain = true, .event_id = ""};
}

std::vector<std::string> Payloads(const std::vector<QueuedMessage>& queued) {
  std::vector<std::string> out;
  for (const auto& q : queued) out.push_back(q.message.payload);
  return out;
}

class ASqliteOutbox : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("outbox.db");
};

TEST_F(ASqliteOutbox, HandsMessagesBackInQueueingOrderWithEveryField) {
  auto outbox = OpenOutbox(path_);
  EXPECT_EQ(outbox->Enqueue({State("blemon/a", "x"), Event("e1")}, kT0), 2);
  EXPECT_EQ(outbox->Enqueue({State("blemon/a", "y")}, kT0), 1);
  const auto queued = outbox->Oldest(10);
  ASSERT_EQ(queued.size(), 3u);
  EXPECT_EQ(Payloads(queued), (std::vector<std::string>{"x", "{\"event_id\":\"e1\"}", "y"}));
  EXPECT_LT(queued[0].seq, queued[1].seq);
  EXPECT_LT(queued[1].seq, queued[2].seq);
  EXPECT_TRUE(queued[0].message.retain);
  EXPECT_FALSE(queued[1].message.retain);
  EXPECT_EQ(queued[1].message.event_id, "e1");
  EXPECT_EQ(queued[0].message.event_id, "");
  EXPECT_EQ(outbox->Oldest(1).size(), 1u);
}

TEST_F(ASqliteOutbox, NeverQueuesAnEventTwiceWhetherWaitingOrSent) {
  auto outbox = OpenOutbox(path_);
  outbox->Enqueue({Event("e1"), Event("e2")}, kT0);
  EXPECT_EQ(outbox->Enqueue({Event("e1"), Event("e3")}, kT0), 1);  // e1 still waiting
  outbox->MarkSent(outbox->Oldest(10).back().seq, kT0);
  EXPECT_EQ(outbox->Pending(), 0);
  EXPECT_EQ(outbox->Enqueue({Event("e2")}, kT0 + 10s), 0);  // e2 already sent
  // State repeats: each is queued, the latest value wins at the broker.
  EXPECT_EQ(outbox->Enqueue({State("t", "1"), State("t", "1")}, kT0), 2);
}

TEST_F(ASqliteOutbox, KeepsWaitingMessagesAcrossAReopen) {
  OpenOutbox(path_)->Enqueue({Event("e1"), Event("e2"), Event("e3")}, kT0);
  {
    auto outbox = OpenOutbox(path_);
    outbox->MarkSent(outbox->Oldest(1).front().seq, kT0);
  }
  auto reopened = OpenOutbox(path_);
  EXPECT_EQ(reopened->Pending(), 2);
  EXPECT_EQ(reopened->Oldest(10).front().message.event_id, "e2");
}

TEST_F(ASqliteOutbox, ForgetsOnlySentMessagesOlderThanTheKeepTime) {
  auto outbox = OpenOutbox(path_);
  outbox->Enqueue({Event("e1"), Event("e2"), Event("e3")}, kT0);
  const auto queued = outbox->Oldest(10);
  outbox->MarkSent(queued[0].seq, kT0);
  outbox->MarkSent(queued[1].seq, kT0 + 100s);
  EXPECT_EQ(outbox->Forget(50s, kT0 + 120s), 1);
  EXPECT_EQ(outbox->Pending(), 1);
  // A forgotten event may be queued again; a remembered one may not.
  EXPECT_EQ(outbox->Enqueue({Event("e1"), Event("e2")}, kT0 + 120s), 1);
}

TEST_F(ASqliteOutbox, StoresHostileTextUnchanged) {
  auto outbox = OpenOutbox(path_);
  std::vector<OutgoingMessage> messages;
  for (const auto& text : HostileStrings()) messages.push_back(State(text, text));
  outbox->Enqueue(messages, kT0);
  const auto queued = outbox->Oldest(100);
  ASSERT_EQ(queued.size(), messages.size());
  for (std::size_t i = 0; i < queued.size(); ++i) {
    EXPECT_EQ(queued[i].message.topic, messages[i].topic);
    EXPECT_EQ(queued[i].message.payload, messages[i].payload);
  }
}

}  // namespace
}  // namespace blemon::sqlite
