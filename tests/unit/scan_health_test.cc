// Failed and silent scans: the monitor cycle counts scans that did not really listen and tells the
// store (ScanHealthUpdate); ScanStateOf reads the fleet's reports back as ok, failing or silent.

#include "blemon/scan_health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fakes.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using testing::AMonitorCycle;
using testing::At;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kMidnight;
using testing::MakeConfig;
using ::testing::Optional;

ScanResult Failed(std::string error) {
  ScanResult result;
  result.error = std::move(error);
  return result;
}

class AScanHealth : public AMonitorCycle {};

TEST_F(AScanHealth, CountsAScanThatDidNotListenAsFailedAndSaysSoLoudly) {
  MonitorCycle& cycle = Started(MakeConfig());
  scanner_.QueueResult(Failed("StartDiscovery on hci0: another discovery is in progress"));
  const CycleReport report = RunOnce();
  EXPECT_TRUE(report.scan_failed);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "Scan FAILED"));
  EXPECT_FALSE(log_.Contains(LogLevel::kInfo, "Scan complete. Found 0 devices"));
  const auto row = store_.scan_health(*cycle.monitor_id());
  EXPECT_EQ(row.scans_failed, 1);
  EXPECT_THAT(row.last_error, Optional(HasSubstr("in progress")));
  EXPECT_THAT(row.last_error_at, Optional(At(kMidnight + 300)));
}

TEST_F(AScanHealth, DoesNotCountAScanCutShortByAStop) {
  MonitorCycle& cycle = Started(MakeConfig());
  scanner_.OnScan([&](int) { stop_.request_stop(); });
  scanner_.QueueResult(Failed("stopped"));
  const CycleReport report = cycle.RunImmediately(stop_.get_token());
  EXPECT_FALSE(report.scan_failed);
  EXPECT_EQ(store_.scan_health(*cycle.monitor_id()).scans_failed, 0);
}

TEST_F(AScanHealth, RecordsTheLastGoodScanAndTheEmptyScansInARow) {
  MonitorCycle& cycle = Started(MakeConfig());
  scanner_.QueueResult(ScanResult{});
  scanner_.QueueResult(ScanResult{});
  RunOnce();
  RunOnce();
  auto row = store_.scan_health(*cycle.monitor_id());
  EXPECT_EQ(row.empty_scans_in_row, 2);
  EXPECT_THAT(row.last_ok_at, Optional(At(kMidnight + 600)));
  RunOnce();  // hears the default devices again
  EXPECT_EQ(store_.scan_health(*cycle.monitor_id()).empty_scans_in_row, 0);
}

TEST_F(AScanHealth, TellsTheStoreAboutFailuresItMissedWhileDown) {
  store_.down = true;
  MonitorCycle& cycle = Started(MakeConfig());
  scanner_.QueueResult(Failed("no adapter"));
  scanner_.QueueResult(Failed("no adapter"));
  RunOnce();
  RunOnce();
  store_.down = false;
  RunOnce();
  const auto row = store_.scan_health(*cycle.monitor_id());
  EXPECT_EQ(row.scans_failed, 2);
  EXPECT_THAT(row.last_error, Optional(std::string("no adapter")));
  EXPECT_THAT(row.last_ok_at, Optional(At(kMidnight + 900)));
  RunOnce();
  EXPECT_EQ(store_.scan_health(*cycle.monitor_id()).scans_failed, 2);  // counted once
}

TEST_F(AScanHealth, CutsALongErrorOnACharacterBoundary) {
  MonitorCycle& cycle = Started(MakeConfig());
  std::string error(kMaxScanErrorBytes - 1, 'x');
  error += "\xC3\xA9\xC3\xA9";  // é é: the cut falls inside the first
  scanner_.QueueResult(Failed(error));
  RunOnce();
  const auto row = store_.scan_health(*cycle.monitor_id());
  ASSERT_TRUE(row.last_error.has_value());
  EXPECT_EQ(row.last_error->size(), kMaxScanErrorBytes - 1);
}

// --- the fleet's view
// -----------------------------------------------------------------------------

constexpr Seconds kInterval{300};

DashboardMonitor Heard(std::string name, long long ok_ago, std::int64_t empty_in_row) {
  DashboardMonitor m;
  m.monitor_name = std::move(name);
  m.is_active = true;
  m.last_scan_ok_at = At(kMidnight - ok_ago);
  m.empty_scans_in_row = empty_in_row;
  return m;
}

TEST(AScanState, IsFailingWhenTheLatestScanFailed) {
  DashboardMonitor m = Heard("hall", 600, 0);
  m.last_scan_error_at = At(kMidnight - 10);
  m.last_scan_error = "no D-Bus";
  EXPECT_EQ(ScanStateOf(m, {m}, At(kMidnight), kInterval), ScanState::kFailing);
}

TEST(AScanState, IsOkAgainOnceAScanListenedAfterTheFailure) {
  DashboardMonitor m = Heard("hall", 10, 0);
  m.last_scan_error_at = At(kMidnight - 600);
  EXPECT_EQ(ScanStateOf(m, {m}, At(kMidnight), kInterval), ScanState::kOk);
}

TEST(AScanState, IsSilentWhenItHearsNothingForSeveralScansWhileOthersHear) {
  const DashboardMonitor deaf = Heard("attic", 10, kSilentAfterScans);
  const DashboardMonitor hall = Heard("hall", 10, 0);
  EXPECT_EQ(ScanStateOf(deaf, {deaf, hall}, At(kMidnight), kInterval), ScanState::kSilent);
}

TEST(AScanState, IsNotSilentAfterFewerEmptyScans) {
  const DashboardMonitor quiet = Heard("attic", 10, kSilentAfterScans - 1);
  const DashboardMonitor hall = Heard("hall", 10, 0);
  EXPECT_EQ(ScanStateOf(quiet, {quiet, hall}, At(kMidnight), kInterval), ScanState::kOk);
}

TEST(AScanState, IsNotSilentWhenNobodyHearsAnything) {
  const DashboardMonitor attic = Heard("attic", 10, 5);
  const DashboardMonitor hall = Heard("hall", 10, 5);
  EXPECT_EQ(ScanStateOf(attic, {attic, hall}, At(kMidnight), kInterval), ScanState::kOk);
}

TEST(AScanState, IgnoresMonitorsThatStoppedScanning) {
  const DashboardMonitor attic = Heard("attic", 10, 5);
  const DashboardMonitor gone = Heard("hall", 3600, 0);
  EXPECT_EQ(ScanStateOf(attic, {attic, gone}, At(kMidnight), kInterval), ScanState::kOk);
}

TEST(AScanState, IsUnknownBeforeAnyScanWasReported) {
  DashboardMonitor m;
  m.monitor_name = "new";
  m.is_active = true;
  EXPECT_EQ(ScanStateOf(m, {m}, At(kMidnight), kInterval), ScanState::kUnknown);
}

TEST(ScanProblemsOfAFleet, NameTheFailingAndTheSilentMonitorsOnly) {
  DashboardSnapshot s;
  s.store_now = At(kMidnight);
  DashboardMonitor failing = Heard("kitchen", 900, 0);
  failing.last_scan_error_at = At(kMidnight - 5);
  failing.last_scan_error = "cannot connect to the D-Bus system bus";
  failing.scans_failed = 7;
  s.monitors = {failing, Heard("attic", 10, 4), Heard("hall", 10, 0)};
  const auto problems = ScanProblems(s, kInterval);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[0], HasSubstr("monitor kitchen"));
  EXPECT_THAT(problems[0], HasSubstr("7 failed scans"));
  EXPECT_THAT(problems[0], HasSubstr("D-Bus"));
  EXPECT_THAT(problems[1], HasSubstr("monitor attic: silent"));
}

TEST(ScanProblemsOfAFleet, AreNoneWhenEveryMonitorScansWell) {
  DashboardSnapshot s;
  s.store_now = At(kMidnight);
  s.monitors = {Heard("attic", 10, 0), Heard("hall", 10, 1)};
  EXPECT_THAT(ScanProblems(s, kInterval), IsEmpty());
}

}  // namespace
}  // namespace blemon
