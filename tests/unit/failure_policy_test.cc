// The monitor cycle's failure policy (the table in blemon/monitor_cycle.h and docs/monitor.md):
// one test per row, each failing one port call through the fakes' fault switches.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "blemon/errors.h"
#include "blemon/monitor_cycle.h"
#include "support/fakes.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using testing::AMonitorCycle;
using testing::At;
using ::testing::Contains;
using ::testing::HasSubstr;
using testing::IntervalsOf;
using testing::kMidnight;
using testing::MakeConfig;
using testing::MakeReading;

class AFailurePolicy : public AMonitorCycle {
 protected:
  // The log has no line at `level` or above containing `fragment`.
  void ExpectNoLog(LogLevel level, const std::string& fragment) {
    EXPECT_FALSE(log_.Contains(level, fragment)) << "unexpected log line with: " << fragment;
  }
  bool HeartbeatDone() const { return !store_.heartbeats().empty(); }
};

// --- scan ----------------------------------------------------------------------------------------

TEST_F(AFailurePolicy, ScanErrorIsLoggedAndTheReadingsHeardAreStored) {
  Started(MakeConfig());
  ScanResult partial;
  partial.readings = {MakeReading(9, -50)};
  partial.error = "bluetoothd restarted";
  scanner_.QueueResult(partial);
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "bluetoothd restarted"));
  EXPECT_EQ(report.batches_sent, 1);
}

// --- spool append --------------------------------------------------------------------------------

TEST_F(AFailurePolicy, SpoolAppendFailureSendsTheScanStraightToTheStore) {
  // A full disk: the scan the database could take is not lost.
  Started(MakeConfig());
  spool_.faults.unavailable_calls = {"append"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Could not write the scan to the spool"));
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "straight, without the spool"));
  ExpectNoLog(LogLevel::kWarning, "Database unavailable");
  EXPECT_THAT(IntervalsOf(store_.staged()), ::testing::ElementsAre(300));
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_TRUE(report.store_reachable);
  EXPECT_TRUE(HeartbeatDone());
}

TEST_F(AFailurePolicy, SpoolAppendFailureWithTheStoreDownLosesTheScanAndSaysSo) {
  Started(MakeConfig());
  spool_.faults.refused_calls = {"append"};
  store_.down = true;
  RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "lost, 2 readings"));
}

TEST_F(AFailurePolicy, ScansSentWithoutTheSpoolGetIncreasingBatchNumbers) {
  Started(MakeConfig());
  spool_.faults.down = true;  // no spool at all, as when the state directory cannot be written
  RunOnce();
  RunOnce();
  ASSERT_EQ(store_.staged().size(), 2u);
  EXPECT_LT(store_.staged()[0].batch_seq, store_.staged()[1].batch_seq);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Could not read the spool"));
}

// --- register / fleet interval -------------------------------------------------------------------

TEST_F(AFailurePolicy, RegistrationUnavailableAtStartKeepsSpooling) {
  store_.faults.unavailable_calls = {"register"};
  MonitorCycle& cycle = Started(MakeConfig());
  const CycleReport report = RunOnce();
  EXPECT_EQ(cycle.monitor_id(), std::nullopt);
  EXPECT_FALSE(report.store_reachable);
  EXPECT_EQ(spool_.Pending(), 1);
}

TEST_F(AFailurePolicy, RegistrationRefusedAtStartEndsTheMonitor) {
  store_.faults.refused_calls = {"register"};
  MonitorCycle& cycle = Make(MakeConfig());
  EXPECT_THROW(cycle.Start(), Refused);
}

TEST_F(AFailurePolicy, RegistrationRefusedInACycleEndsTheMonitor) {
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  RunOnce();
  store_.down = false;
  store_.faults.refused_calls = {"register"};
  EXPECT_THROW(cycle.RunOnce(stop_.get_token()), Refused);
}

// --- clock check (the rest of the clock's rows: clock_check_test.cc) -----------------------------

TEST_F(AFailurePolicy, ClockCheckUnavailableKeepsTheLastDifferenceMeasured) {
  Started(MakeConfig());
  store_.clock_ahead_of_monitor = Seconds{3600};
  EXPECT_TRUE(RunOnce().scan_failed);
  store_.faults.unavailable_calls = {"store_now"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.scan_failed) << "the clock is still known to be an hour off";
  EXPECT_EQ(spool_.appended(), 0);
}

TEST_F(AFailurePolicy, ClockCheckRefusedIsLoggedAndTheScanGoesOn) {
  Started(MakeConfig());
  store_.faults.refused_calls = {"store_now"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "refused to tell its clock"));
  EXPECT_FALSE(report.scan_failed);
  EXPECT_EQ(report.batches_sent, 1);
}

// --- spool read ----------------------------------------------------------------------------------

TEST_F(AFailurePolicy, DamagedSpoolIsNotBlamedOnTheDatabase) {
  Started(MakeConfig());
  spool_.faults.refused_calls = {"oldest"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Could not read the spool"));
  ExpectNoLog(LogLevel::kDebug, "database refused");
  EXPECT_TRUE(report.store_reachable);
  EXPECT_TRUE(HeartbeatDone());
}

TEST_F(AFailurePolicy, SpoolReadErrorDoesNotMarkTheDatabaseUnreachable) {
  Started(MakeConfig());
  spool_.faults.unavailable_calls = {"oldest"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Could not read the spool"));
  ExpectNoLog(LogLevel::kDebug, "Database unavailable");
  EXPECT_TRUE(report.store_reachable);
  EXPECT_EQ(spool_.Pending(), 1);  // waits there for the next cycle
}

// --- send batch ----------------------------------------------------------------------------------

TEST_F(AFailurePolicy, BatchUnavailableStaysInTheSpoolAndMarksTheStoreUnreachable) {
  Started(MakeConfig());
  store_.faults.unavailable_calls = {"stage"};
  const CycleReport report = RunOnce();
  EXPECT_FALSE(report.store_reachable);
  EXPECT_EQ(spool_.Pending(), 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "Database unavailable"));
}

TEST_F(AFailurePolicy, BatchRefusedStaysInTheSpoolAndIsLoggedAsTheDatabases) {
  Started(MakeConfig());
  store_.faults.refused_calls = {"stage"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.store_reachable);
  EXPECT_EQ(spool_.Pending(), 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "The database refused spooled batch"));
  EXPECT_TRUE(HeartbeatDone());
}

// --- spool remove --------------------------------------------------------------------------------

TEST_F(AFailurePolicy, SpoolRemoveFailureLeavesABatchTheStoreRecognisesWhenResent) {
  Started(MakeConfig());
  spool_.faults.unavailable_calls = {"remove"};
  const CycleReport first = RunOnce();
  EXPECT_TRUE(first.store_reachable);
  EXPECT_EQ(first.batches_sent, 0);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "could not forget"));
  spool_.faults.unavailable_calls.clear();
  RunOnce();
  EXPECT_EQ(spool_.Pending(), 0);
  EXPECT_THAT(IntervalsOf(store_.staged()), ::testing::ElementsAre(300, 600));
  EXPECT_THAT(store_.events(), Contains(HasSubstr(" again")));
}

// --- spool trim / pending ------------------------------------------------------------------------

TEST_F(AFailurePolicy, SpoolMaintenanceFailureIsLoggedAndTheCycleGoesOn) {
  Started(MakeConfig(/*process=*/true));
  spool_.faults.refused_calls = {"trim", "pending"};
  const CycleReport report = RunOnce();
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Spool maintenance failed"));
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_GE(report.intervals_processed, 1);
  EXPECT_TRUE(HeartbeatDone());
}

// --- lease claim at start ------------------------------------------------------------------------

TEST_F(AFailurePolicy, LeaseClaimUnavailableAtStartScansAndClaimsLater) {
  store_.faults.unavailable_calls = {"claim"};
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  EXPECT_FALSE(cycle.is_processor());
  store_.faults.unavailable_calls.clear();
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.processor);
}

TEST_F(AFailurePolicy, LeaseClaimRefusedAtStartEndsTheMonitor) {
  store_.faults.refused_calls = {"claim"};
  MonitorCycle& cycle = Make(MakeConfig(/*process=*/true));
  EXPECT_THROW(cycle.Start(), Refused);
}

// --- lease renew ---------------------------------------------------------------------------------

TEST_F(AFailurePolicy, LeaseRenewUnavailableKeepsTheRoleUntilItExpires) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  store_.faults.unavailable_calls = {"claim"};
  const CycleReport report = RunOnce();  // renewal due? either way the lease is still live
  EXPECT_TRUE(report.processor);
  EXPECT_TRUE(cycle.is_processor());
}

TEST_F(AFailurePolicy, LeaseRenewRefusedIsLoggedAndTheMonitorScansOn) {
  store_.down = true;  // start without the store: the first claim comes as a renewal
  Started(MakeConfig(/*process=*/true));
  store_.down = false;
  store_.faults.refused_calls = {"claim"};
  const CycleReport report = RunOnce();
  EXPECT_FALSE(report.processor);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "refused the processor claim"));
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_TRUE(HeartbeatDone());
}

// --- process -------------------------------------------------------------------------------------

TEST_F(AFailurePolicy, ProcessingUnavailableIsRetriedNextCycle) {
  Started(MakeConfig(/*process=*/true));
  store_.faults.unavailable_calls = {"pending"};
  EXPECT_EQ(RunOnce().intervals_processed, 0);
  store_.faults.unavailable_calls.clear();
  EXPECT_GE(RunOnce().intervals_processed, 1);
}

TEST_F(AFailurePolicy, ProcessingRefusedLeavesTheRowsForTheNextCycle) {
  Started(MakeConfig(/*process=*/true));
  store_.faults.refused_calls = {"process"};
  const CycleReport refused = RunOnce();
  EXPECT_EQ(refused.intervals_processed, 0);
  EXPECT_TRUE(refused.processor);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "refused processing"));
  store_.faults.refused_calls.clear();
  RunOnce();
  EXPECT_THAT(store_.process_order(), Contains(At(kMidnight + 300)));
}

TEST_F(AFailurePolicy, LeaseLostWhileProcessingStepsDown) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  store_.fence_next_processing = 1;
  const CycleReport report = RunOnce();
  EXPECT_FALSE(report.processor);
  EXPECT_FALSE(cycle.is_processor());
}

// --- heartbeat -----------------------------------------------------------------------------------

TEST_F(AFailurePolicy, HeartbeatUnavailableIsOnlyNoted) {
  Started(MakeConfig());
  store_.faults.unavailable_calls = {"heartbeat"};
  const CycleReport report = RunOnce();
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kDebug, "Heartbeat not recorded"));
}

TEST_F(AFailurePolicy, HeartbeatRefusedIsLoggedAndDoesNotEndTheCycle) {
  Started(MakeConfig());
  store_.faults.refused_calls = {"heartbeat"};
  CycleReport report;
  EXPECT_NO_THROW(report = RunOnce());
  EXPECT_EQ(report.batches_sent, 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "refused the heartbeat"));
}

// --- shutdown ------------------------------------------------------------------------------------

TEST_F(AFailurePolicy, ShutdownAfterARefusedRegistrationDoesNotThrow) {
  // Started without the store; once it is back it refuses the fleet interval. main catches the
  // Refused from RunOnce, then calls Shutdown(), which used to throw it again (std::terminate).
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  RunOnce();
  store_.down = false;
  store_.SetFleetInterval(Seconds{600});
  EXPECT_THROW(cycle.RunOnce(stop_.get_token()), Refused);
  EXPECT_NO_THROW(cycle.Shutdown());
}

TEST_F(AFailurePolicy, ShutdownTriesEveryStepWhateverFails) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  RunOnce();
  spool_.faults.refused_calls = {"oldest"};
  store_.faults.refused_calls = {"release"};
  EXPECT_NO_THROW(cycle.Shutdown());
  ASSERT_FALSE(store_.heartbeats().empty());
  EXPECT_EQ(store_.heartbeats().back(), std::make_pair(*cycle.monitor_id(), false));
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "releasing the processor role"));
}

TEST_F(AFailurePolicy, ShutdownSurvivesEveryPortFailing) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  RunOnce();
  spool_.faults.down = true;
  store_.faults.refused_calls = {"register", "stage", "release", "heartbeat"};
  EXPECT_NO_THROW(cycle.Shutdown());
}

}  // namespace
}  // namespace blemon
