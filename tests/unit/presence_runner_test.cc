// The processor's presence step inside the monitor cycle, against an in-memory presence store:
// presence runs after processing, under the processor's epoch, publishes what is unpublished, and
// a lost lease ends the role like a fenced processing transaction does.

#include "blemon/presence_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "blemon/errors.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon::testing {
namespace {

// Keeps the port's promises in memory: every interval up to `up_to` is processed (one device in
// the hall), commits refuse an interval already stored, `fenced` makes commits throw LeaseLost.
class FakePresenceStore final : public PresenceStore {
 public:
  std::vector<WatchEntry> WatchList() override { return watch; }
  bool AddWatch(const WatchEntry& entry) override {
    watch.push_back(entry);
    return true;
  }
  bool RemoveWatch(const std::string&) override { return false; }
  PresenceState LoadPresenceState() override { return state; }
  std::vector<UtcTime> PresenceDueIntervals(std::optional<UtcTime> after, UtcTime up_to) override {
    asked_up_to.push_back(up_to);
    std::vector<UtcTime> due;
    for (UtcTime t = after ? *after + Seconds{300} : up_to; t <= up_to; t += Seconds{300}) {
      due.push_back(t);
    }
    return due;
  }
  std::vector<PresenceSighting> IntervalSightings(UtcTime) override {
    return {{.mac = "AA:BB:CC:DD:EE:01",
             .identity = std::nullopt,
             .room = "Hall",
             .device_class = "phone"}};
  }
  bool CommitPresence(const PresenceStep& step, MonitorId, std::int64_t epoch) override {
    if (fenced) throw LeaseLost("another monitor holds the lease");
    epochs.insert(epoch);
    if (state.through && *state.through >= *step.state.through) return false;
    state = step.state;
    for (const auto& e : step.events) events.push_back({e, false});
    return true;
  }
  std::vector<PresenceEvent> UnpublishedEvents(int) override {
    std::vector<PresenceEvent> result;
    for (const auto& [e, published] : events) {
      if (!published) result.push_back(e);
    }
    return result;
  }
  void MarkPublished(std::span<const std::string> ids) override {
    for (auto& [e, published] : events) {
      if (std::ranges::find(ids, e.event_id) != ids.end()) published = true;
    }
  }
  std::optional<PresenceSnapshot> LatestSnapshot() override {
    if (!state.through) return std::nullopt;
    return SnapshotOf(state, {});
  }
  std::vector<PresenceEvent> Events(UtcTime, UtcTime) override { return {}; }
  std::vector<OccupancyRow> Occupancy(UtcTime, UtcTime) override { return {}; }

  std::vector<WatchEntry> watch;
  PresenceState state;
  std::vector<std::pair<PresenceEvent, bool>> events;
  std::vector<UtcTime> asked_up_to;
  std::set<std::int64_t> epochs;
  bool fenced = false;
};

class RecordingPublisher final : public Publisher {
 public:
  void Publish(const PresenceSnapshot&, std::span<const PresenceEvent> events) override {
    for (const auto& e : events) published.push_back(e.event_id);
  }
  std::vector<std::string> published;
};

class APresenceStep : public AMonitorCycle {
 protected:
  APresenceStep() {
    presence_store_.watch = {
        {.name = "phone", .kind = WatchTargetKind::kMac, .target = "AA:BB:CC:DD:EE:01"}};
  }
  FakePresenceStore presence_store_;
  RecordingPublisher publisher_;
  PresenceRunner runner_{PresenceSettings{}, Seconds{300}, {presence_store_, &publisher_, log_}};
};

TEST_F(APresenceStep, RunsAfterProcessingAndPublishesWhatItStored) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  cycle.AttachPresence(&runner_);
  for (int i = 0; i < 3; ++i) RunOnce();
  ASSERT_FALSE(presence_store_.asked_up_to.empty());
  // Never ahead of processing: presence asks only up to an interval already processed.
  for (UtcTime up_to : presence_store_.asked_up_to) {
    EXPECT_THAT(Offsets(store_.process_order()), ::testing::Contains(Offset(up_to)));
  }
  ASSERT_EQ(presence_store_.events.size(), 1u);  // the phone arrived in the hall
  EXPECT_EQ(publisher_.published,
            std::vector<std::string>{presence_store_.events[0].first.event_id});
  EXPECT_TRUE(presence_store_.events[0].second) << "marked published";
  EXPECT_EQ(presence_store_.epochs.size(), 1u);
}

TEST_F(APresenceStep, StepsDownWhenThePresenceCommitFindsTheLeaseLost) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  cycle.AttachPresence(&runner_);
  presence_store_.fenced = true;
  for (int i = 0; i < 2 && cycle.is_processor(); ++i) RunOnce();
  EXPECT_FALSE(cycle.is_processor());
  EXPECT_TRUE(publisher_.published.empty());
}

TEST_F(APresenceStep, DoesNotRunOnAMonitorThatOnlyScans) {
  Started(MakeConfig(/*process=*/false)).AttachPresence(&runner_);
  for (int i = 0; i < 2; ++i) RunOnce();
  EXPECT_TRUE(presence_store_.asked_up_to.empty());
}

}  // namespace
}  // namespace blemon::testing
