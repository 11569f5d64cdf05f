#include "blemon/monitor_cycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "blemon/errors.h"
#include "support/fakes.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::AnyNumber;
using testing::At;
using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeScanner;
using testing::FakeSpool;
using testing::FakeStore;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsEmpty;
using ::testing::Optional;
using testing::RecordingLogger;
using ::testing::Return;
using ::testing::StrictMock;

using testing::AMonitorCycle;
using testing::IntervalsOf;
using testing::kMidnight;
using testing::MakeConfig;
using testing::MakeReading;
using testing::Offset;
using testing::Offsets;
using testing::Position;
using testing::ScheduleOf;

// --- start ------------------------------------------------------------------------------------

TEST_F(AMonitorCycle, RegistersWithItsNameLocationAndDescription) {
  MonitorCycle& cycle = Started(MakeConfig());
  ASSERT_EQ(store_.registered().size(), 1u);
  EXPECT_EQ(store_.registered()[0].name, "pi-hall");
  EXPECT_EQ(store_.registered()[0].location, "Hall");
  EXPECT_EQ(store_.registered()[0].description, "By the front door");
  EXPECT_EQ(cycle.monitor_id(), 1);
}

TEST_F(AMonitorCycle, RecordsItsIntervalAsTheFleetsWhenTheFleetHasNone) {
  Started(MakeConfig());
  EXPECT_EQ(store_.fleet_interval(), Seconds{300});
}

TEST_F(AMonitorCycle, RefusesToStartWhenTheFleetIntervalDiffers) {
  store_.SetFleetInterval(Seconds{600});
  MonitorCycle& cycle = Make(MakeConfig());
  try {
    cycle.Start();
    FAIL() << "started with a 300 s interval in a 600 s fleet";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("300"));
    EXPECT_THAT(e.what(), HasSubstr("600"));
  }
  EXPECT_THAT(scanner_.calls(), IsEmpty());
}

TEST_F(AMonitorCycle, RefusesOnceTheStoreIsBackWhenTheFleetIntervalDiffers) {
  // Interpretation: the check is made at the first registration, which may happen in a cycle
  // when the store was down at start; Refused then propagates from that cycle.
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  RunOnce();
  store_.down = false;
  store_.SetFleetInterval(Seconds{600});
  EXPECT_THROW(cycle.RunOnce(stop_.get_token()), Refused);
}

TEST_F(AMonitorCycle, DoesNotClaimTheLeaseWhenNotConfiguredToProcess) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/false));
  EXPECT_EQ(store_.claims(), 0);
  EXPECT_FALSE(cycle.is_processor());
}

TEST_F(AMonitorCycle, BecomesProcessorWhenTheLeaseIsFree) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  EXPECT_TRUE(cycle.is_processor());
  EXPECT_EQ(store_.lease_holder(), cycle.monitor_id());
}

TEST_F(AMonitorCycle, RefusesToProcessWhileAnotherMonitorHoldsTheLease) {
  store_.GiveLeaseTo("pi-kitchen", Seconds{600});
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true, /*standby=*/false));
  EXPECT_EQ(cycle.Start(), StartOutcome::kProcessorHeldElsewhere);
  EXPECT_EQ(cycle.holder(), "pi-kitchen");
  EXPECT_FALSE(cycle.is_processor());
}

TEST_F(AMonitorCycle, StartsInStandbyWhileAnotherMonitorHoldsTheLease) {
  store_.GiveLeaseTo("pi-kitchen", Seconds{600});
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true, /*standby=*/true));
  EXPECT_EQ(cycle.Start(), StartOutcome::kReady);
  EXPECT_FALSE(cycle.is_processor());
}

TEST_F(AMonitorCycle, StartsWhileTheStoreIsDown) {
  store_.down = true;
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true));
  EXPECT_EQ(cycle.Start(), StartOutcome::kReady);
  EXPECT_EQ(cycle.monitor_id(), std::nullopt);
  EXPECT_FALSE(cycle.is_processor());
}

// --- the cadence ------------------------------------------------------------------------------

TEST_F(AMonitorCycle, ScansAtTheNextAlignedIntervalStart) {
  Started(MakeConfig());
  const CycleReport report = RunOnce();
  ASSERT_EQ(scanner_.calls().size(), 1u);
  EXPECT_EQ(scanner_.calls()[0].started, At(kMidnight + 300));
  EXPECT_EQ(scanner_.calls()[0].window, Seconds{10});
  EXPECT_THAT(report.interval_start, Optional(At(kMidnight + 300)));
}

TEST_F(AMonitorCycle, SleepsOnTheSteadyClockUntilTheScan) {
  Started(MakeConfig());
  const SteadyTime before = clock_.SteadyNow();
  RunOnce();
  EXPECT_THAT(clock_.sleeps(), ::testing::Contains(before + Seconds{200}));
  EXPECT_EQ(scanner_.calls().at(0).started, At(kMidnight + 300));
}

TEST_F(AMonitorCycle, ScansAtTheOffsetIntoTheInterval) {
  Config config = MakeConfig();
  config.monitor.scan_offset = Seconds{30};
  Started(config);
  const CycleReport report = RunOnce();
  ASSERT_EQ(scanner_.calls().size(), 1u);
  EXPECT_EQ(scanner_.calls()[0].started, At(kMidnight + 330));
  EXPECT_THAT(report.interval_start, Optional(At(kMidnight + 300)));
}

TEST_F(AMonitorCycle, ScansForTheConfiguredDuration) {
  Config config = MakeConfig();
  config.monitor.scan_duration = Seconds{25};
  Started(config);
  RunOnce();
  ASSERT_EQ(scanner_.calls().size(), 1u);
  EXPECT_EQ(scanner_.calls()[0].window, Seconds{25});
}

TEST_F(AMonitorCycle, ScansEachIntervalOnceInOrder) {
  Started(MakeConfig());
  std::vector<UtcTime> scanned;
  for (int i = 0; i < 4; ++i) scanned.push_back(RunOnce().interval_start.value_or(UtcTime{}));
  EXPECT_THAT(Offsets(scanned), ElementsAre(300, 600, 900, 1200));
}

TEST_F(AMonitorCycle, DoesNotScanAnIntervalTwiceWhenTheWallClockStepsBack) {
  Started(MakeConfig());
  RunOnce();                           // scans kMidnight+300, now +310
  clock_.JumpWallClock(Seconds{-30});  // NTP steps the clock back to +280
  const CycleReport report = RunOnce();
  EXPECT_THAT(report.interval_start, Optional(At(kMidnight + 600)));
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(300, 600));
}

TEST_F(AMonitorCycle, DoesNotScanWhenStoppedWhileWaiting) {
  Started(MakeConfig());
  stop_.request_stop();
  const CycleReport report = RunOnce();
  EXPECT_EQ(report.interval_start, std::nullopt);
  EXPECT_THAT(scanner_.calls(), IsEmpty());
  EXPECT_THAT(store_.staged(), IsEmpty());
}

TEST_F(AMonitorCycle, RunsCyclesUntilStopped) {
  MonitorCycle& cycle = Started(MakeConfig());
  scanner_.OnScan([&](int n) {
    if (n == 3) stop_.request_stop();
  });
  cycle.Run(stop_.get_token());
  EXPECT_EQ(scanner_.calls().size(), 3u);
}

// --- scan, spool, send ------------------------------------------------------------------------

TEST_F(AMonitorCycle, StagesEachScanWithItsMonitorAndInterval) {
  MonitorCycle& cycle = Started(MakeConfig());
  const CycleReport report = RunOnce();
  ASSERT_EQ(store_.staged().size(), 1u);
  const Batch& batch = store_.staged()[0];
  EXPECT_EQ(batch.monitor_id, cycle.monitor_id());
  EXPECT_EQ(batch.interval_start, At(kMidnight + 300));
  EXPECT_GE(batch.scan_time, At(kMidnight + 300));
  EXPECT_LE(batch.scan_time, At(kMidnight + 310));
  EXPECT_THAT(batch.readings, ElementsAre(MakeReading(1, -60), MakeReading(2, -75)));
  EXPECT_EQ(report.readings, 2);
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_EQ(report.spool_pending, 0);
  EXPECT_TRUE(report.store_reachable);
  EXPECT_EQ(report.scan_error, std::nullopt);
}

TEST_F(AMonitorCycle, CommitsAScanToTheSpoolBeforeSendingItAndForgetsItAfter) {
  std::vector<std::string> journal;
  spool_.set_journal(&journal);
  store_.set_journal(&journal);
  Started(MakeConfig());
  RunOnce();
  ASSERT_EQ(store_.staged().size(), 1u);
  const std::string seq = std::to_string(store_.staged()[0].batch_seq);
  const long append = Position(journal, "append " + seq);
  const long stage = Position(journal, "stage " + seq);
  const long remove = Position(journal, "remove " + seq);
  ASSERT_NE(append, -1);
  ASSERT_NE(stage, -1);
  ASSERT_NE(remove, -1);
  EXPECT_LT(append, stage);
  EXPECT_LT(stage, remove);
  EXPECT_EQ(spool_.Pending(), 0);
}

TEST_F(AMonitorCycle, KeepsTheReadingsOfAScanThatEndedWithAnError) {
  Started(MakeConfig());
  ScanResult partial;
  partial.readings = {MakeReading(9, -50)};
  partial.error = "adapter hci0 disappeared";
  scanner_.QueueResult(partial);
  const CycleReport report = RunOnce();
  EXPECT_THAT(report.scan_error, Optional(std::string("adapter hci0 disappeared")));
  EXPECT_EQ(report.readings, 1);
  ASSERT_EQ(store_.staged().size(), 1u);
  EXPECT_THAT(store_.staged()[0].readings, ElementsAre(MakeReading(9, -50)));
}

// --- privacy mode -----------------------------------------------------------------------------

constexpr char kFleetSecret[] = "a fleet secret of 32 bytes......";

std::vector<MacAddress> AddressesOf(const std::vector<Reading>& readings) {
  std::vector<MacAddress> addresses;
  for (const Reading& reading : readings) addresses.push_back(reading.mac);
  return addresses;
}

TEST_F(AMonitorCycle, InPrivacyModeSpoolsAndSendsOnlyPseudonymsOfUnwatchedDevices) {
  Pseudonymiser pseudonymiser(kFleetSecret);
  const MacAddress watched = MakeReading(1, -60).mac;
  const MacAddress unwatched = MakeReading(2, -75).mac;
  store_.down = true;  // the scan stays in the spool, where we look at it
  MonitorCycle& cycle = Started(MakeConfig());
  cycle.AttachPrivacy(&pseudonymiser,
                      [&] { return WatchedDevices{.addresses = {watched}, .identity_keys = {}}; });
  RunOnce();
  ASSERT_EQ(spool_.batches().size(), 1u);
  const std::vector<MacAddress> spooled = AddressesOf(spool_.batches()[0].readings);
  const UtcTime scan_time = spool_.batches()[0].scan_time;
  EXPECT_THAT(spooled, ::testing::UnorderedElementsAre(
                           watched, pseudonymiser.Pseudonym(unwatched, scan_time)));
  store_.down = false;
  RunOnce();
  for (const Batch& batch : store_.staged()) {
    EXPECT_THAT(AddressesOf(batch.readings), ::testing::Not(::testing::Contains(unwatched)));
  }
}

TEST_F(AMonitorCycle, InPrivacyModeHashesEverythingUntilAWatchListLoadedAndKeepsTheLastOne) {
  Pseudonymiser pseudonymiser(kFleetSecret);
  const MacAddress first = MakeReading(1, -60).mac;
  const MacAddress second = MakeReading(2, -75).mac;
  store_.down = true;
  int calls = 0;
  MonitorCycle& cycle = Started(MakeConfig());
  cycle.AttachPrivacy(&pseudonymiser, [&] {
    // Away, then a list naming `first`, then away again.
    if (++calls != 2) throw Unavailable("database away");
    return WatchedDevices{.addresses = {first}, .identity_keys = {}};
  });
  RunOnce();
  RunOnce();
  RunOnce();
  ASSERT_EQ(spool_.batches().size(), 3u);
  EXPECT_THAT(AddressesOf(spool_.batches()[0].readings),
              ::testing::AllOf(::testing::Not(::testing::Contains(first)),
                               ::testing::Not(::testing::Contains(second))));
  EXPECT_THAT(AddressesOf(spool_.batches()[1].readings), ::testing::Contains(first));
  EXPECT_THAT(AddressesOf(spool_.batches()[2].readings), ::testing::Contains(first));
  EXPECT_THAT(AddressesOf(spool_.batches()[2].readings),
              ::testing::Not(::testing::Contains(second)));
}

TEST_F(AMonitorCycle, HeartbeatsActiveEveryCycle) {
  MonitorCycle& cycle = Started(MakeConfig());
  const auto before = store_.heartbeats().size();
  RunOnce();
  RunOnce();
  ASSERT_EQ(store_.heartbeats().size(), before + 2);
  EXPECT_EQ(store_.heartbeats().back(), std::make_pair(*cycle.monitor_id(), true));
}

TEST_F(AMonitorCycle, ScansIntoItsSpoolWhileTheStoreIsDown) {
  store_.down = true;
  Started(MakeConfig());
  const CycleReport first = RunOnce();
  const CycleReport second = RunOnce();
  EXPECT_EQ(scanner_.calls().size(), 2u);
  EXPECT_FALSE(second.store_reachable);
  EXPECT_EQ(first.readings, 2);
  EXPECT_EQ(second.batches_sent, 0);
  EXPECT_EQ(second.spool_pending, 2);
  EXPECT_EQ(spool_.Pending(), 2);
}

TEST_F(AMonitorCycle, RegistersOnceTheStoreComesBack) {
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  RunOnce();
  store_.down = false;
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.store_reachable);
  EXPECT_EQ(cycle.monitor_id(), 1);
  EXPECT_EQ(store_.registered().size(), 1u);
}

TEST_F(AMonitorCycle, SendsSpooledScansOldestFirstWhenTheStoreComesBack) {
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  for (int i = 0; i < 3; ++i) RunOnce();
  store_.down = false;
  const CycleReport report = RunOnce();
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(300, 600, 900, 1200));
  for (const auto& batch : store_.staged()) EXPECT_EQ(batch.monitor_id, cycle.monitor_id());
  EXPECT_TRUE(
      std::is_sorted(store_.staged().begin(), store_.staged().end(),
                     [](const Batch& a, const Batch& b) { return a.batch_seq < b.batch_seq; }));
  EXPECT_EQ(report.batches_sent, 4);
  EXPECT_EQ(report.spool_pending, 0);
  EXPECT_EQ(spool_.Pending(), 0);
}

TEST_F(AMonitorCycle, KeepsWhatItCouldNotSendWhenTheStoreFailsMidway) {
  store_.down = true;
  Started(MakeConfig());
  for (int i = 0; i < 3; ++i) RunOnce();
  store_.down = false;
  store_.stage_failures_after = 1;  // the link drops after the first batch
  const CycleReport midway = RunOnce();
  EXPECT_EQ(midway.batches_sent, 1);
  EXPECT_EQ(midway.spool_pending, 3);
  EXPECT_FALSE(midway.store_reachable);
  store_.down = false;
  store_.stage_failures_after = -1;
  const CycleReport after = RunOnce();
  EXPECT_EQ(after.batches_sent, 4);
  EXPECT_EQ(after.spool_pending, 0);
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(300, 600, 900, 1200, 1500));
}

TEST_F(AMonitorCycle, ForgetsABatchTheStoreAlreadyHadWhenItsAcknowledgementWasLost) {
  Started(MakeConfig());
  store_.lose_next_stage_ack = true;
  RunOnce();  // committed by the store, but the monitor never heard so
  EXPECT_EQ(spool_.Pending(), 1);
  RunOnce();  // resends: the store says "seen before", the spool lets it go
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(300, 600));
  EXPECT_THAT(store_.events(), ::testing::Contains(HasSubstr(" again")));
}

TEST_F(AMonitorCycle, BoundsItsSpoolWithTheConfiguredLimitsAndCountsWhatItDrops) {
  Config config = MakeConfig();
  config.spool.max_batches = 2;
  config.spool.max_age = Seconds{3600 * 1000};
  store_.down = true;
  Started(config);
  int dropped = 0;
  for (int i = 0; i < 5; ++i) dropped += RunOnce().spool_dropped;
  ASSERT_FALSE(spool_.trims().empty());
  EXPECT_EQ(spool_.trims().back().max_batches, 2);
  EXPECT_EQ(spool_.trims().back().max_age, Seconds{3600 * 1000});
  EXPECT_EQ(dropped, spool_.appended() - spool_.Pending());
  EXPECT_GE(dropped, 2);
  // The newest scans are the ones kept.
  ASSERT_FALSE(spool_.batches().empty());
  EXPECT_EQ(spool_.batches().back().interval_start, At(kMidnight + 1500));
}

TEST_F(AMonitorCycle, LogsWhatTheSpoolDropped) {
  Config config = MakeConfig();
  config.spool.max_batches = 1;
  store_.down = true;
  Started(config);
  const auto lines_before = log_.lines().size();
  int dropped = 0;
  for (int i = 0; i < 3; ++i) dropped += RunOnce().spool_dropped;
  ASSERT_GE(dropped, 1);
  bool warned = false;
  for (auto i = lines_before; i < log_.lines().size(); ++i) {
    auto [level, text] = log_.lines()[i];
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (level >= LogLevel::kWarning && text.find("drop") != std::string::npos) warned = true;
  }
  EXPECT_TRUE(warned) << "dropping scans must be logged as a warning mentioning 'drop'";
}

// --- processing -------------------------------------------------------------------------------

TEST_F(AMonitorCycle, ProcessesAnIntervalOnlyAfterTheProcessorWait) {
  // Whether the cycle waits for the interval it just scanned or leaves it to the next cycle is
  // its choice; processing before the scan window ended `processor_wait` ago is not.
  for (long long wait : {0, 60, 200}) {
    SCOPED_TRACE(::testing::Message() << "processor_wait " << wait);
    Config config = MakeConfig(/*process=*/true);
    config.monitor.processor_wait = Seconds{wait};
    FakeClock clock(At(kMidnight + 100));
    FakeScanner scanner(clock);
    scanner.Hear({MakeReading(1, -60)});
    FakeStore store(clock);
    FakeSpool spool;
    MonitorCycle cycle(config, ScheduleOf(config),
                       MonitorCycle::Ports{scanner, store, &store, spool, clock, log_});
    ASSERT_EQ(cycle.Start(), StartOutcome::kReady);
    int processed = 0;
    for (int i = 0; i < 3; ++i) processed += cycle.RunOnce(stop_.get_token()).intervals_processed;
    ASSERT_FALSE(store.processed_at().empty());
    for (const auto& [interval, at] : store.processed_at()) {
      EXPECT_GE(Offset(at), Offset(interval) + 10 + wait) << "interval +" << Offset(interval);
    }
    // Nothing is left behind: the first two scanned intervals are processed by now.
    EXPECT_THAT(Offsets(store.process_order()), ::testing::IsSupersetOf({300, 600}));
    EXPECT_EQ(processed, static_cast<int>(store.process_order().size()));
  }
}

TEST_F(AMonitorCycle, ProcessesIntervalsMissedWhileItWasDownOldestFirst) {
  store_.AddForeignRows(At(kMidnight - 600), 3);
  store_.AddForeignRows(At(kMidnight - 1200), 2);
  store_.AddForeignRows(At(kMidnight), 1);
  store_.AddForeignRows(At(kMidnight - 86400), 4);  // yesterday, replayed from a spool
  Started(MakeConfig(/*process=*/true));
  const CycleReport report = RunOnce();
  const std::vector<long long> order = Offsets(store_.process_order());
  ASSERT_GE(order.size(), 4u);
  EXPECT_THAT(std::vector<long long>(order.begin(), order.begin() + 4),
              ElementsAre(-86400, -1200, -600, 0));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(report.intervals_processed, static_cast<int>(order.size()));
}

TEST_F(AMonitorCycle, ClaimsTheLeaseAndProcessesOnceTheStoreComesBack) {
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  const CycleReport while_down = RunOnce();
  EXPECT_FALSE(while_down.processor);
  EXPECT_EQ(while_down.intervals_processed, 0);
  store_.down = false;
  RunOnce();
  const CycleReport back = RunOnce();
  EXPECT_TRUE(back.processor);
  EXPECT_TRUE(cycle.is_processor());
  // The scan made while the store was down is staged late and still processed.
  EXPECT_THAT(Offsets(store_.process_order()), ::testing::Contains(300));
}

TEST_F(AMonitorCycle, DoesNotProcessWhenNotConfiguredTo) {
  store_.AddForeignRows(At(kMidnight), 3);
  Started(MakeConfig(/*process=*/false));
  const CycleReport report = RunOnce();
  RunOnce();
  EXPECT_EQ(report.intervals_processed, 0);
  EXPECT_FALSE(report.processor);
  EXPECT_THAT(Offsets(store_.process_order()), IsEmpty());
  EXPECT_EQ(store_.claims(), 0);
}

TEST_F(AMonitorCycle, ProcessesAfterStagingAndHeartbeatsLast) {
  std::vector<std::string> journal;
  store_.set_journal(&journal);
  Started(MakeConfig(/*process=*/true));
  store_.AddForeignRows(At(kMidnight), 1);
  journal.clear();
  RunOnce();
  const long stage = Position(journal, "stage " + std::to_string(store_.staged()[0].batch_seq));
  const long process = Position(journal, "process " + std::to_string(kMidnight));
  const long heartbeat = Position(journal, "heartbeat 1 active");
  ASSERT_NE(stage, -1);
  ASSERT_NE(process, -1);
  ASSERT_NE(heartbeat, -1);
  EXPECT_LT(stage, process);
  EXPECT_LT(process, heartbeat);
}

TEST_F(AMonitorCycle, RunImmediatelyScansNowAndProcessesTheIntervalItScanned) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  const CycleReport report = cycle.RunImmediately(stop_.get_token());
  ASSERT_EQ(scanner_.calls().size(), 1u);
  EXPECT_EQ(scanner_.calls()[0].started, At(kMidnight + 100));  // not aligned: right now
  EXPECT_THAT(report.interval_start, Optional(At(kMidnight)));
  EXPECT_THAT(Offsets(store_.process_order()), ElementsAre(0));
  EXPECT_EQ(report.intervals_processed, 1);
  EXPECT_EQ(report.batches_sent, 1);
}

TEST_F(AMonitorCycle, RunImmediatelyOnANonProcessorDoesNotProcess) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/false));
  const CycleReport report = cycle.RunImmediately(stop_.get_token());
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_THAT(Offsets(store_.process_order()), IsEmpty());
}

TEST_F(AMonitorCycle, InStandbyScansWithoutProcessingAndTakesOverWhenTheLeaseExpires) {
  store_.AddForeignRows(At(kMidnight - 300), 2);
  const MonitorId kitchen = store_.GiveLeaseTo("pi-kitchen", Seconds{600});
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true, /*standby=*/true));
  ASSERT_EQ(cycle.Start(), StartOutcome::kReady);

  const CycleReport first = RunOnce();  // at +310 the kitchen's lease (to +700) is live
  EXPECT_FALSE(first.processor);
  EXPECT_EQ(first.batches_sent, 1);
  EXPECT_THAT(Offsets(store_.process_order()), IsEmpty());
  EXPECT_EQ(store_.lease_holder(), kitchen);

  // The kitchen monitor dies: no renewals. Within a few cycles the lease lapses and we take it.
  bool took_over = false;
  for (int i = 0; i < 4 && !took_over; ++i) took_over = RunOnce().processor;
  EXPECT_TRUE(took_over);
  EXPECT_TRUE(cycle.is_processor());
  EXPECT_EQ(store_.lease_holder(), cycle.monitor_id());
  EXPECT_THAT(Offsets(store_.process_order()), ::testing::Contains(-300));
}

TEST_F(AMonitorCycle, StepsDownWhenFencingRejectsItsProcessing) {
  store_.AddForeignRows(At(kMidnight - 600), 1);
  store_.AddForeignRows(At(kMidnight - 300), 1);
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  store_.fence_next_processing = 1;
  CycleReport report;
  EXPECT_NO_THROW(report = RunOnce());
  EXPECT_FALSE(report.processor);
  EXPECT_FALSE(cycle.is_processor());
  // It did not carry on with the next interval under an epoch the store has rejected.
  EXPECT_EQ(std::count(store_.events().begin(), store_.events().end(), "process fenced"), 1);
  EXPECT_THAT(Offsets(store_.process_order()), IsEmpty());
}

TEST_F(AMonitorCycle, ProcessesAgainAfterWinningTheLeaseBackFromFencing) {
  store_.AddForeignRows(At(kMidnight - 300), 1);
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  store_.fence_next_processing = 1;
  RunOnce();
  ASSERT_FALSE(cycle.is_processor());
  const CycleReport report = RunOnce();  // claims again (nobody else wants it) and processes
  EXPECT_TRUE(report.processor);
  EXPECT_THAT(Offsets(store_.process_order()), ::testing::Contains(-300));
}

// --- shutdown ---------------------------------------------------------------------------------

TEST_F(AMonitorCycle, OnShutdownSendsItsSpoolReleasesTheLeaseAndMarksItselfInactive) {
  std::vector<std::string> journal;
  store_.set_journal(&journal);
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  store_.stage_failures_after = 0;  // this cycle's batch stays in the spool
  RunOnce();
  ASSERT_EQ(spool_.Pending(), 1);
  store_.down = false;
  store_.stage_failures_after = -1;
  journal.clear();
  cycle.Shutdown();
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_EQ(store_.lease_holder(), std::nullopt);
  EXPECT_FALSE(cycle.is_processor());
  ASSERT_FALSE(store_.heartbeats().empty());
  EXPECT_EQ(store_.heartbeats().back(), std::make_pair(MonitorId{1}, false));
  const long stage = Position(journal, "stage " + std::to_string(store_.staged().back().batch_seq));
  const long release = Position(journal, "release 1 epoch " + std::to_string(store_.epoch()));
  const long inactive = Position(journal, "heartbeat 1 inactive");
  ASSERT_NE(stage, -1);
  ASSERT_NE(release, -1);
  ASSERT_NE(inactive, -1);
  EXPECT_LT(stage, release);
  EXPECT_LT(release, inactive);
}

TEST_F(AMonitorCycle, ShutsDownQuietlyWhenTheStoreIsDown) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  RunOnce();
  store_.down = true;
  EXPECT_NO_THROW(cycle.Shutdown());
}

TEST_F(AMonitorCycle, ShutsDownWithoutReleasingALeaseItNeverHeld) {
  const MonitorId kitchen = store_.GiveLeaseTo("pi-kitchen", Seconds{600});
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true, /*standby=*/true));
  ASSERT_EQ(cycle.Start(), StartOutcome::kReady);
  cycle.Shutdown();
  EXPECT_EQ(store_.lease_holder(), kitchen);  // the kitchen's lease is untouched
  EXPECT_EQ(store_.heartbeats().back(), std::make_pair(*cycle.monitor_id(), false));
}

// --- the same story with GoogleMock, where the order of calls is the contract -----------------

LeaseAnswer Granted(MonitorId me, std::int64_t epoch) {
  LeaseAnswer answer;
  answer.granted = true;
  answer.epoch = epoch;
  answer.holder = me;
  answer.holder_name = "pi-hall";
  answer.remaining = Seconds{600};
  return answer;
}

class AMonitorCycleInteraction : public ::testing::Test {
 protected:
  AMonitorCycleInteraction()
      : schedule_(ScheduleOf(MakeConfig(true))),
        cycle_(MakeConfig(/*process=*/true), schedule_,
               MonitorCycle::Ports{scanner_, store_, &processor_, spool_, clock_, log_}) {}

  // Start: register, agree on the interval, claim the lease; heartbeats allowed.
  void StartAsProcessor() {
    {
      InSequence registered_before_claiming;
      EXPECT_CALL(store_, RegisterMonitor(Field(&MonitorInfo::name, "pi-hall")))
          .WillOnce(Return(7));
      EXPECT_CALL(processor_, ClaimLease(7, Seconds{600})).WillOnce(Return(Granted(7, 3)));
    }
    EXPECT_CALL(store_, FleetInterval(Seconds{300})).WillOnce(Return(Seconds{300}));
    EXPECT_CALL(store_, Heartbeat(7, true)).Times(AnyNumber());
    ASSERT_EQ(cycle_.Start(), StartOutcome::kReady);
    ::testing::Mock::VerifyAndClearExpectations(&store_);
    ::testing::Mock::VerifyAndClearExpectations(&processor_);
    // Later renewals and re-checks are not the point of these tests.
    EXPECT_CALL(processor_, ClaimLease(7, _))
        .Times(AnyNumber())
        .WillRepeatedly(Return(Granted(7, 3)));
    EXPECT_CALL(store_, FleetInterval(_)).Times(AnyNumber()).WillRepeatedly(Return(Seconds{300}));
    EXPECT_CALL(store_, RecordScanHealth(7, _)).Times(AnyNumber());
    EXPECT_CALL(store_, StoreNow()).Times(AnyNumber()).WillRepeatedly([this] {
      return clock_.Utc();
    });
  }

  FakeClock clock_{At(kMidnight + 100)};
  StrictMock<testing::MockScanner> scanner_;
  StrictMock<testing::MockScanStore> store_;
  StrictMock<testing::MockProcessorStore> processor_;
  FakeSpool spool_;
  RecordingLogger log_;
  Schedule schedule_;
  MonitorCycle cycle_;
};

TEST_F(AMonitorCycleInteraction, SleepsScansStagesProcessesAndHeartbeatsInThatOrder) {
  StartAsProcessor();
  std::optional<UtcTime> scanned_at;
  {
    InSequence cycle;
    EXPECT_CALL(scanner_, Scan(Seconds{10}, _)).WillOnce([&](Seconds window, std::stop_token) {
      scanned_at = clock_.Utc();
      clock_.Advance(window);
      ScanResult result;
      result.readings = {MakeReading(1, -60)};
      return result;
    });
    EXPECT_CALL(store_,
                StageBatch(AllOf(Field(&Batch::monitor_id, 7),
                                 Field(&Batch::interval_start, At(kMidnight + 300)),
                                 Field(&Batch::readings, ElementsAre(MakeReading(1, -60))))))
        .WillOnce(Return(true));
    // Asks for the intervals due at the moment it asks (whether it waited first is its choice).
    EXPECT_CALL(processor_, PendingIntervals(::testing::Truly([&](UtcTime latest_due) {
                  return latest_due == schedule_.LatestDueInterval(clock_.Utc()) &&
                         latest_due >= At(kMidnight);
                })))
        .WillOnce(Return(std::vector<UtcTime>{At(kMidnight - 300), At(kMidnight)}));
    EXPECT_CALL(processor_, ProcessInterval(At(kMidnight - 300), 7, 3))
        .WillOnce(Return(ProcessOutcome{4, 2, 1, 0}));
    EXPECT_CALL(processor_, ProcessInterval(At(kMidnight), 7, 3))
        .WillOnce(Return(ProcessOutcome{1, 1, 0, 0}));
    EXPECT_CALL(store_, Heartbeat(7, true));
  }
  const CycleReport report = cycle_.RunOnce(std::stop_token{});
  EXPECT_THAT(scanned_at, Optional(At(kMidnight + 300)));  // slept to the aligned start first
  EXPECT_EQ(report.intervals_processed, 2);
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_TRUE(report.processor);
  EXPECT_TRUE(report.store_reachable);
}

TEST_F(AMonitorCycleInteraction, StepsDownOnLeaseLostWithoutProcessingFurther) {
  StartAsProcessor();
  {
    InSequence cycle;
    ScanResult heard;
    heard.readings = {MakeReading(1, -60)};
    EXPECT_CALL(scanner_, Scan(_, _)).WillOnce(Return(heard));
    EXPECT_CALL(store_, StageBatch(_)).WillOnce(Return(true));
    EXPECT_CALL(processor_, PendingIntervals(_))
        .WillOnce(Return(std::vector<UtcTime>{At(kMidnight - 300), At(kMidnight)}));
    EXPECT_CALL(processor_, ProcessInterval(At(kMidnight - 300), 7, 3))
        .WillOnce([](UtcTime, MonitorId, std::int64_t) -> ProcessOutcome {
          throw LeaseLost("epoch 3 is stale; monitor 9 holds epoch 4");
        });
    EXPECT_CALL(store_, Heartbeat(7, true));
  }
  // Strict mocks: a second ProcessInterval would fail the test.
  const CycleReport report = cycle_.RunOnce(std::stop_token{});
  EXPECT_FALSE(report.processor);
  EXPECT_FALSE(cycle_.is_processor());
  EXPECT_EQ(report.intervals_processed, 0);
}

TEST_F(AMonitorCycleInteraction, OnShutdownReleasesTheLeaseUnderItsEpochThenMarksInactive) {
  StartAsProcessor();
  {
    InSequence shutdown;
    EXPECT_CALL(processor_, ReleaseLease(7, 3));
    EXPECT_CALL(store_, Heartbeat(7, false));
  }
  cycle_.Shutdown();
}

}  // namespace
}  // namespace blemon
