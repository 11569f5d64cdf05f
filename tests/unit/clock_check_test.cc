// The monitor's own clock is checked against the database's before readings are stamped, and a
// batch stamped by a wrong clock, or one the store refuses, never holds back the spool.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "blemon/monitor_cycle.h"
#include "support/fakes.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using testing::AMonitorCycle;
using testing::At;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IntervalsOf;
using testing::kMidnight;
using testing::MakeConfig;
using testing::MakeReading;
using ::testing::Optional;

constexpr Seconds kTenYears{315'360'000};  // a multiple of the 300 s interval

class AClockCheck : public AMonitorCycle {};

TEST_F(AClockCheck, RefusesToStampReadingsWhenItsClockIsOffFromTheDatabases) {
  MonitorCycle& cycle = Started(MakeConfig());
  store_.clock_ahead_of_monitor = Seconds{3600};
  const CycleReport report = RunOnce();
  EXPECT_EQ(spool_.appended(), 0);
  EXPECT_TRUE(store_.staged().empty());
  EXPECT_TRUE(report.scan_failed);
  EXPECT_THAT(report.scan_error, Optional(HasSubstr("3600 s behind the database's")));
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "max_clock_skew_seconds = 60"));
  EXPECT_EQ(store_.scan_health(*cycle.monitor_id()).scans_failed, 1);
}

TEST_F(AClockCheck, StampsReadingsWhileTheClocksAgreeWithinTheBound) {
  Config config = MakeConfig();
  config.monitor.max_clock_skew = Seconds{30};
  Started(config);
  store_.clock_ahead_of_monitor = Seconds{-30};
  const CycleReport report = RunOnce();
  EXPECT_FALSE(report.scan_failed);
  EXPECT_EQ(store_.staged().size(), 1u);
}

TEST_F(AClockCheck, RefusesAClockThatWasNeverSetEvenWithoutTheDatabase) {
  store_.down = true;
  clock_.JumpWallClock(-Seconds{kMidnight});  // a Pi without a real-time clock, booted in 1970
  Started(MakeConfig());
  const CycleReport report = RunOnce();
  EXPECT_EQ(spool_.appended(), 0);
  EXPECT_TRUE(report.scan_failed);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "before 2025"));
}

TEST_F(AClockCheck, DropsASpooledBatchStampedByAnUnsetClockInsteadOfBlockingTheSpool) {
  spool_.Append(At(0), At(3), {MakeReading(7, -40)});  // left by a run with a 1970 clock
  Started(MakeConfig());
  const CycleReport report = RunOnce();
  EXPECT_EQ(report.batches_unstorable, 0) << "dropped already at the start-up send";
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(300));
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "can never be stored"));
}

TEST_F(AClockCheck, StepsOverABatchTheStoreRefusesAndDropsItOnceALaterOneIsStored) {
  store_.down = true;
  Started(MakeConfig());
  RunOnce();
  ASSERT_EQ(spool_.Pending(), 1);
  store_.down = false;
  store_.refused_batches = {spool_.batches().front().batch_seq};
  const CycleReport report = RunOnce();
  EXPECT_THAT(IntervalsOf(store_.staged()), ElementsAre(600));
  EXPECT_EQ(report.batches_unstorable, 1);
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "refused it but took a later batch"));
}

TEST_F(AClockCheck, KeepsEveryBatchWhenTheStoreRefusesThemAll) {
  store_.down = true;
  Started(MakeConfig());
  RunOnce();
  RunOnce();
  store_.down = false;
  store_.faults.refused_calls = {"stage"};
  const CycleReport report = RunOnce();
  EXPECT_EQ(report.batches_unstorable, 0);
  EXPECT_EQ(spool_.Pending(), 3);
}

TEST_F(AClockCheck, AsProcessorWithAWrongClockProcessesTheFleetsIntervalsByTheDatabasesClock) {
  // The store's clock is right; this monitor's is ten years behind.
  store_.clock_ahead_of_monitor = kTenYears;
  clock_.JumpWallClock(-kTenYears);
  Started(MakeConfig(/*process=*/true));
  store_.AddForeignRows(At(kMidnight), 3);  // the rest of the fleet's current rows
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.processor);
  EXPECT_THAT(store_.process_order(), Contains(At(kMidnight)));
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Processing by the database's clock"));
}

}  // namespace
}  // namespace blemon
