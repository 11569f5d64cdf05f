// A store that cannot be opened when the monitor starts is retried like one lost later.

#include "blemon/reopening_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "blemon/errors.h"
#include "support/fakes.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using testing::AMonitorCycle;
using testing::FakeStore;
using testing::IntervalsOf;
using testing::MakeConfig;

// The whole Store port over the fake's scan and processor sides (reads are not used here).
class FakeFullStore final : public Store {
 public:
  explicit FakeFullStore(FakeStore& fake) : fake_(fake) {}
  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    return fake_.RegisterMonitor(info);
  }
  Seconds FleetInterval(Seconds configured) override { return fake_.FleetInterval(configured); }
  void Heartbeat(MonitorId monitor, bool active) override { fake_.Heartbeat(monitor, active); }
  UtcTime StoreNow() override { return fake_.StoreNow(); }
  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    fake_.RecordScanHealth(monitor, update);
  }
  bool StageBatch(const Batch& batch) override { return fake_.StageBatch(batch); }
  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    return fake_.ClaimLease(monitor, ttl);
  }
  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    fake_.ReleaseLease(monitor, epoch);
  }
  LeaseStatus Lease() override { return fake_.Lease(); }
  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    return fake_.PendingIntervals(latest_due);
  }
  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    return fake_.ProcessInterval(interval_start, monitor, epoch);
  }
  std::vector<StoredSighting> Sightings(UtcTime, UtcTime) override { return {}; }
  std::optional<std::optional<std::string>> DeviceName(const MacAddress&) override {
    return std::nullopt;
  }
  std::vector<Batch> StagedBatches(UtcTime) override { return {}; }
  void ConfigureRooms(const RoomSettings& settings) override { rooms = settings; }

  std::optional<RoomSettings> rooms;

 private:
  FakeStore& fake_;
};

class AReopeningStore : public AMonitorCycle {
 protected:
  // Opening fails with Unavailable (a file locked by another process) until `locked` is false.
  ReopeningStore::Opener Opener() {
    return [this]() -> std::unique_ptr<Store> {
      ++opens_;
      if (locked_) throw Unavailable("database is locked");
      return std::make_unique<FakeFullStore>(store_);
    };
  }
  MonitorCycle& MakeOver(Store& store, const Config& config) {
    cycle_ = std::make_unique<MonitorCycle>(
        config, testing::ScheduleOf(config),
        MonitorCycle::Ports{scanner_, store, nullptr, spool_, clock_, log_});
    return *cycle_;
  }

  bool locked_ = true;
  int opens_ = 0;
};

TEST_F(AReopeningStore, GivesTheRoomSettingsToAStoreItOpensLater) {
  FakeFullStore* opened = nullptr;
  ReopeningStore store([&]() -> std::unique_ptr<Store> {
    auto inner = std::make_unique<FakeFullStore>(store_);
    opened = inner.get();
    return inner;
  });
  RoomSettings settings;
  settings.rules.switch_intervals = 5;
  store.ConfigureRooms(settings);
  EXPECT_EQ(opened, nullptr) << "configuring opens nothing";
  store.StoreNow();
  ASSERT_NE(opened, nullptr);
  ASSERT_TRUE(opened->rooms);
  EXPECT_EQ(opened->rooms->rules.switch_intervals, 5);
  settings.rules.switch_intervals = 3;
  store.ConfigureRooms(settings);
  EXPECT_EQ(opened->rooms->rules.switch_intervals, 3);
}

TEST_F(AReopeningStore, OpensOnFirstUseOnly) {
  locked_ = false;
  ReopeningStore store(Opener());
  EXPECT_EQ(opens_, 0);
  store.RegisterMonitor({"pi-hall", "", ""});
  store.Heartbeat(1, true);
  EXPECT_EQ(opens_, 1);
  EXPECT_TRUE(store.is_open());
}

TEST_F(AReopeningStore, TriesToOpenAgainAfterAFailedOpening) {
  ReopeningStore store(Opener());
  EXPECT_THROW(store.RegisterMonitor({"pi-hall", "", ""}), Unavailable);
  EXPECT_FALSE(store.is_open());
  locked_ = false;
  EXPECT_EQ(store.RegisterMonitor({"pi-hall", "", ""}), 1);
  EXPECT_EQ(opens_, 2);
}

TEST_F(AReopeningStore, LetsAMonitorStartScanAndSendOnceTheStoreOpens) {
  ReopeningStore store(Opener());
  MonitorCycle& cycle = MakeOver(store, MakeConfig());
  EXPECT_EQ(cycle.Start(), StartOutcome::kReady);
  const CycleReport locked = RunOnce();
  EXPECT_FALSE(locked.store_reachable);
  EXPECT_EQ(spool_.Pending(), 1);
  locked_ = false;
  const CycleReport opened = RunOnce();
  EXPECT_TRUE(opened.store_reachable);
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_THAT(IntervalsOf(store_.staged()), ::testing::ElementsAre(300, 600));
}

}  // namespace
}  // namespace blemon
