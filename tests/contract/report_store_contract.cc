#include "report_store_contract.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>

#include "blemon/errors.h"

namespace blemon::testing {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMac1 = "AA:BB:CC:DD:EE:01";
constexpr const char* kMac2 = "AA:BB:CC:DD:EE:02";
constexpr const char* kMac3 = "AA:BB:CC:DD:EE:03";
constexpr const char* kMac4 = "AA:BB:CC:DD:EE:04";

template <class Row>
std::vector<std::string> Macs(const std::vector<Row>& rows) {
  std::vector<std::string> macs;
  for (const auto& row : rows) macs.push_back(row.mac);
  return macs;
}

}  // namespace

// --- fixtures -----------------------------------------------------------------------------------

void ReportFixture::SetUp() { AStore::SetUp(); }

void ReportFixture::Stage(MonitorId monitor, UtcTime interval, std::vector<Reading> readings,
                          Seconds offset) {
  if (processor_ == 0) processor_ = monitor;
  ASSERT_TRUE(store_->StageBatch(
      MakeBatch(monitor, next_seq_++, interval, interval + offset, std::move(readings))));
}

void ReportFixture::Process() { ProcessAll(processor_, StoreIntervalNow() + 24h); }

UtcTime ReportFixture::StoreIntervalNow() {
  const UtcTime now = store_->Lease().store_now;
  return now - now.time_since_epoch() % kInterval;
}

ReportFilter ReportFixture::Span(UtcTime from, UtcTime to) {
  return ReportFilter{.from = from, .to = to, .monitor = std::nullopt};
}

void AReportStore::SetUp() {
  ReportFixture::SetUp();
  reports_ = harness_->OpenReports();
}

void AnAdminStore::SetUp() {
  ReportFixture::SetUp();
  admin_ = harness_->OpenAdmin();
}

// --- reports on an empty store ------------------------------------------------------------------

TEST_P(AReportStore, ReportsNothingOnAnEmptyStore) {
  const ReportFilter all = Span(T0() - 24h, T0() + 24h);
  EXPECT_THAT(reports_->Hourly(all), IsEmpty());
  EXPECT_THAT(reports_->Monitors(all), IsEmpty());
  EXPECT_THAT(reports_->Devices(all), IsEmpty());
  EXPECT_THAT(reports_->Track(kMac1, all, 10), IsEmpty());
  EXPECT_THAT(reports_->Backlog(), IsEmpty());
  EXPECT_EQ(reports_->Processing(Seconds(0)).runs, 0);
  EXPECT_EQ(reports_->LatestProcessedInterval(), std::nullopt);
  const RoomsNow rooms = reports_->LatestRooms();
  EXPECT_EQ(rooms.interval_start, std::nullopt);
  EXPECT_THAT(rooms.devices, IsEmpty());
  const DashboardSnapshot snapshot = reports_->Snapshot(5, 5);
  EXPECT_EQ(snapshot.fleet_interval, std::nullopt);
  EXPECT_THAT(snapshot.monitors, IsEmpty());
  EXPECT_EQ(snapshot.lease.holder, std::nullopt);
  EXPECT_EQ(snapshot.unprocessed_rows, 0);
  EXPECT_EQ(snapshot.oldest_unprocessed_interval, std::nullopt);
  EXPECT_THAT(snapshot.top_devices, IsEmpty());
  EXPECT_THAT(snapshot.recent, IsEmpty());
}

// --- reports over a span ------------------------------------------------------------------------

void AReportStore::SeedSightings() {
  kitchen_ = Register("kitchen", "Ground floor");
  hall_ = Register("hall", "");
  garage_ = Register("garage", "Outside");
  Stage(kitchen_, T0(), {MakeReading(kMac1, -50, "Phone"), MakeReading(kMac2, -80)});
  Stage(hall_, T0(), {MakeReading(kMac1, -58), MakeReading(kMac2, -70)});
  Stage(kitchen_, T0() + kInterval, {MakeReading(kMac1, -60)});
  Stage(hall_, T0() + 1h, {MakeReading(kMac1, -65), MakeReading(kMac3, -90)});
  Stage(kitchen_, T0() + 1h, {MakeReading(kMac4, -40)});
  Process();
  all_ = Span(T0() - 24h, T0() + 24h);
}

TEST_P(AReportStore, CountsEachMonitorsHoursInOrder) {
  SeedSightings();
  const auto rows = reports_->Hourly(all_);
  ASSERT_EQ(rows.size(), 4u);
  const auto expect = [&](const HourlyRow& row, UtcTime hour, const std::string& monitor,
                          std::int64_t devices, std::int64_t sightings, double avg, int min,
                          int max) {
    EXPECT_EQ(row.hour_start, hour) << monitor;
    EXPECT_EQ(row.monitor_name, monitor);
    EXPECT_EQ(row.unique_devices, devices) << monitor;
    EXPECT_EQ(row.total_sightings, sightings) << monitor;
    EXPECT_DOUBLE_EQ(row.avg_rssi, avg) << monitor;
    EXPECT_EQ(row.min_rssi, min) << monitor;
    EXPECT_EQ(row.max_rssi, max) << monitor;
  };
  expect(rows[0], T0(), "hall", 1, 1, -70, -70, -70);
  expect(rows[1], T0(), "kitchen", 1, 2, -55, -60, -50);
  expect(rows[2], T0() + 1h, "hall", 2, 2, -77.5, -90, -65);
  expect(rows[3], T0() + 1h, "kitchen", 1, 1, -40, -40, -40);
  EXPECT_EQ(rows[1].location, "Ground floor");
}

TEST_P(AReportStore, StartsHoursAtTheFiltersShift) {
  SeedSightings();
  ReportFilter shifted = all_;
  shifted.hour_shift = Seconds(1800);  // local clock hours of UTC+05:30
  const auto rows = reports_->Hourly(shifted);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].hour_start, T0() - 30min);
  EXPECT_EQ(rows[1].hour_start, T0() - 30min);
  EXPECT_EQ(rows[1].total_sightings, 2);
  EXPECT_EQ(rows[2].hour_start, T0() + 30min);
  EXPECT_EQ(rows[3].hour_start, T0() + 30min);
}

TEST_P(AReportStore, ReadsTheHalfOpenSpanOfIntervalStarts) {
  SeedSightings();
  const ReportFilter span = Span(T0() + kInterval, T0() + 1h);  // from included, to excluded
  const auto hourly = reports_->Hourly(span);
  ASSERT_EQ(hourly.size(), 1u);
  EXPECT_EQ(hourly[0].monitor_name, "kitchen");
  EXPECT_EQ(hourly[0].total_sightings, 1);
  EXPECT_THAT(Macs(reports_->Devices(span)), ElementsAre(kMac1));
  EXPECT_THAT(reports_->Track(kMac1, span, 10), ::testing::SizeIs(1));
}

TEST_P(AReportStore, ReadsASpanReachingFarBeyondTheData) {
  SeedSightings();
  // What "everything" looks like to a caller: the epoch to a date past 2038.
  const ReportFilter everything =
      Span(UtcTime{}, std::chrono::sys_days{std::chrono::year{2100} / 1 / 1});
  EXPECT_THAT(Macs(reports_->Devices(everything)), ElementsAre(kMac1, kMac2, kMac3, kMac4));
  EXPECT_THAT(reports_->Hourly(everything), ::testing::SizeIs(4));
  EXPECT_THAT(reports_->Track(kMac1, everything, 10), ::testing::SizeIs(3));
}

TEST_P(AReportStore, KeepsOnlyTheFiltersMonitor) {
  SeedSightings();
  ReportFilter hall = all_;
  hall.monitor = "hall";
  const auto hourly = reports_->Hourly(hall);
  ASSERT_EQ(hourly.size(), 2u);
  EXPECT_EQ(hourly[0].monitor_name, "hall");
  EXPECT_EQ(hourly[1].monitor_name, "hall");
  ASSERT_EQ(reports_->Monitors(hall).size(), 1u);
  EXPECT_THAT(Macs(reports_->Devices(hall)), ElementsAre(kMac1, kMac2, kMac3));
  EXPECT_EQ(reports_->Devices(hall)[0].sightings, 1) << "only the sighting hall won";

  ReportFilter nobody = all_;
  nobody.monitor = "nobody";
  EXPECT_THAT(reports_->Hourly(nobody), IsEmpty());
  EXPECT_THAT(reports_->Monitors(nobody), IsEmpty());
  EXPECT_THAT(reports_->Devices(nobody), IsEmpty());
  EXPECT_THAT(reports_->Track(kMac1, nobody, 10), IsEmpty());
}

TEST_P(AReportStore, SummarisesEveryMonitorByNameIdleOnesToo) {
  SeedSightings();
  store_->Heartbeat(kitchen_, true);
  store_->Heartbeat(garage_, false);
  const auto rows = reports_->Monitors(all_);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].monitor_name, "garage");
  EXPECT_EQ(rows[0].location, "Outside");
  EXPECT_FALSE(rows[0].is_active);
  EXPECT_EQ(rows[0].devices, 0);
  EXPECT_EQ(rows[0].sightings, 0);
  EXPECT_EQ(rows[0].first_sighting, std::nullopt);
  EXPECT_EQ(rows[0].last_sighting, std::nullopt);
  EXPECT_TRUE(rows[0].last_seen.has_value());
  EXPECT_EQ(rows[1].monitor_name, "hall");
  EXPECT_EQ(rows[1].devices, 3);
  EXPECT_EQ(rows[1].sightings, 3);
  EXPECT_EQ(rows[1].first_sighting, T0() + 1s);
  EXPECT_EQ(rows[1].last_sighting, T0() + 1h + 1s);
  EXPECT_EQ(rows[2].monitor_name, "kitchen");
  EXPECT_TRUE(rows[2].is_active);
  EXPECT_EQ(rows[2].devices, 2);
  EXPECT_EQ(rows[2].sightings, 3);
}

TEST_P(AReportStore, SummarisesDevicesMostSightingsFirstThenByMac) {
  SeedSightings();
  const auto devices = reports_->Devices(all_);
  EXPECT_THAT(Macs(devices), ElementsAre(kMac1, kMac2, kMac3, kMac4));
  const DeviceSummary& phone = devices[0];
  EXPECT_EQ(phone.name, "Phone");
  EXPECT_THAT(phone.monitors, ElementsAre("hall", "kitchen"));
  EXPECT_EQ(phone.sightings, 3);
  EXPECT_EQ(phone.best_rssi, -50);
  EXPECT_DOUBLE_EQ(phone.avg_rssi, (-50 - 60 - 65) / 3.0);
  EXPECT_EQ(phone.last_seen, T0() + 1h + 1s);
  EXPECT_EQ(devices[1].name, std::nullopt);
  EXPECT_THAT(devices[1].monitors, ElementsAre("hall"));
}

TEST_P(AReportStore, ListsTheNewestIntervalsDevicesByRoom) {
  SeedSightings();
  EXPECT_EQ(reports_->LatestProcessedInterval(), T0() + 1h);
  const RoomsNow rooms = reports_->LatestRooms();
  EXPECT_EQ(rooms.interval_start, T0() + 1h);
  ASSERT_THAT(Macs(rooms.devices), ElementsAre(kMac4, kMac1, kMac3));
  EXPECT_EQ(rooms.devices[0].location, "Ground floor");
  EXPECT_EQ(rooms.devices[0].monitor_name, "kitchen");
  EXPECT_EQ(rooms.devices[1].location, "hall") << "a monitor without location is its own room";
  EXPECT_EQ(rooms.devices[1].rssi, -65);
  EXPECT_EQ(rooms.devices[1].name, "Phone");
  EXPECT_EQ(rooms.devices[1].sighting_time, T0() + 1h + 1s);
  EXPECT_EQ(rooms.devices[2].name, std::nullopt);
}

TEST_P(AReportStore, TracksADeviceOldestFirstUpToTheLimit) {
  SeedSightings();
  const auto track = reports_->Track(kMac1, all_, 10);
  ASSERT_EQ(track.size(), 3u);
  EXPECT_EQ(track[0].interval_start, T0());
  EXPECT_EQ(track[0].monitor_name, "kitchen");
  EXPECT_EQ(track[0].location, "Ground floor");
  EXPECT_EQ(track[0].rssi, -50);
  EXPECT_EQ(track[0].margin_db, 8);
  EXPECT_EQ(track[1].interval_start, T0() + kInterval);
  EXPECT_EQ(track[1].margin_db, std::nullopt) << "heard alone";
  EXPECT_EQ(track[2].location, "hall");
  EXPECT_THAT(reports_->Track(kMac1, all_, 2), ::testing::SizeIs(2));
  EXPECT_THAT(reports_->Track("AA:BB:CC:DD:EE:99", all_, 10), IsEmpty());
}

TEST_P(AReportStore, CountsTheUnprocessedBacklogPerMonitor) {
  SeedSightings();
  EXPECT_THAT(reports_->Backlog(), IsEmpty());
  Stage(hall_, T0() + 2h, {MakeReading(kMac1, -60), MakeReading(kMac2, -61)});
  Stage(kitchen_, T0() + 2h, {MakeReading(kMac1, -62)});
  const auto backlog = reports_->Backlog();
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].monitor_name, "hall");
  EXPECT_EQ(backlog[0].unprocessed_rows, 2);
  EXPECT_EQ(backlog[1].monitor_name, "kitchen");
  EXPECT_EQ(backlog[1].unprocessed_rows, 1);
}

// --- the processor's recorded runs ---------------------------------------------------------------

TEST_P(AReportStore, CountsTheProcessorsRunsAndTheLateOnes) {
  const MonitorId kitchen = Register("kitchen");
  store_->FleetInterval(kInterval);
  const UtcTime current = StoreIntervalNow();  // not over yet: cannot be late
  Stage(kitchen, T0(), {MakeReading(kMac1, -50), MakeReading(kMac2, -60)});  // months ago: late
  Stage(kitchen, current, {MakeReading(kMac1, -55)});
  Process();

  const ProcessingHistory history = reports_->Processing(Seconds(0));
  EXPECT_EQ(history.runs, 2);
  EXPECT_EQ(history.late, 1);
  EXPECT_GE(history.duration_seconds, 0);
  EXPECT_LT(history.duration_seconds, 60);
  EXPECT_EQ(history.at_most.back(), 2) << "both runs took less than 60 s";
  EXPECT_TRUE(std::is_sorted(history.at_most.begin(), history.at_most.end())) << "cumulative";
  EXPECT_EQ(harness_->QueryScalar("SELECT SUM(staging_rows) FROM processing_runs"), "3");
  EXPECT_EQ(reports_->Processing(std::chrono::duration_cast<Seconds>(current - T0())).late, 0)
      << "late_after moves the line";
}

TEST_P(AReportStore, RecordsNoRunOfAFencedOffProcessing) {
  const MonitorId kitchen = Register("kitchen");
  Stage(kitchen, T0(), {MakeReading(kMac1, -50)});
  Process();
  Stage(kitchen, T0() + kInterval, {MakeReading(kMac1, -50)});
  const std::int64_t epoch = store_->Lease().epoch;
  EXPECT_THROW(store_->ProcessInterval(T0() + kInterval, kitchen, epoch + 1), LeaseLost);
  EXPECT_EQ(reports_->Processing(Seconds(0)).runs, 1);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM processing_runs"), "1");
}

TEST_P(AReportStore, CountsNoRunLateBeforeAFleetIntervalIsRecorded) {
  const MonitorId kitchen = Register("kitchen");
  Stage(kitchen, T0(), {MakeReading(kMac1, -50)});
  Process();
  EXPECT_EQ(reports_->Processing(Seconds(0)).runs, 1);
  EXPECT_EQ(reports_->Processing(Seconds(0)).late, 0);
}

// --- the dashboard ------------------------------------------------------------------------------

TEST_P(AReportStore, SnapshotsNoDevicesWhenAskedForNone) {
  const MonitorId kitchen = Register("kitchen");
  Stage(kitchen, StoreIntervalNow() - kInterval, {MakeReading(kMac1, -50)});
  Process();
  const DashboardSnapshot snapshot = reports_->Snapshot(0, 0);
  EXPECT_THAT(snapshot.top_devices, IsEmpty());
  EXPECT_THAT(snapshot.recent, IsEmpty());
  EXPECT_THAT(reports_->Snapshot(1, 1).recent, ::testing::SizeIs(1));
}

TEST_P(AReportStore, SnapshotsTheLastDayByTheStoresClock) {
  const UtcTime now = StoreIntervalNow() - 2 * kInterval;  // two processed intervals, in the past
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  store_->FleetInterval(kInterval);
  Stage(kitchen, now - 48h, {MakeReading("AA:BB:CC:DD:EE:05", -30)});  // older than a day
  Stage(kitchen, now - kInterval, {MakeReading(kMac1, -50), MakeReading(kMac2, -60)});
  Stage(hall, now - kInterval, {MakeReading(kMac1, -70)});
  Stage(kitchen, now, {MakeReading(kMac2, -50)}, 1s);
  Stage(hall, now, {MakeReading(kMac3, -55)}, 5s);
  Process();
  Stage(kitchen, now - 3 * kInterval, {MakeReading(kMac1, -40)});  // left unprocessed

  const DashboardSnapshot snapshot = reports_->Snapshot(2, 2);
  EXPECT_GE(snapshot.store_now, now + 2 * kInterval);
  EXPECT_EQ(snapshot.fleet_interval, kInterval);
  ASSERT_EQ(snapshot.monitors.size(), 2u);
  EXPECT_EQ(snapshot.monitors[0].monitor_name, "hall");
  EXPECT_EQ(snapshot.monitors[0].devices_24h, 1);
  EXPECT_EQ(snapshot.monitors[1].monitor_name, "kitchen");
  EXPECT_EQ(snapshot.monitors[1].devices_24h, 2) << "not the device of two days ago";
  EXPECT_EQ(snapshot.lease.holder, kitchen);
  EXPECT_EQ(snapshot.lease.holder_name, "kitchen");
  EXPECT_EQ(snapshot.unprocessed_rows, 1);
  EXPECT_EQ(snapshot.oldest_unprocessed_interval, now - 3 * kInterval);
  EXPECT_THAT(Macs(snapshot.top_devices), ElementsAre(kMac2, kMac1));
  ASSERT_THAT(Macs(snapshot.recent), ElementsAre(kMac3, kMac2));
  EXPECT_EQ(snapshot.recent[0].sighting_time, now + 5s);
  EXPECT_EQ(snapshot.recent[0].interval_start, now);
  EXPECT_EQ(snapshot.recent[0].monitor_name, "hall");
  EXPECT_EQ(snapshot.recent[0].rssi, -55);
}

// --- maintenance --------------------------------------------------------------------------------

TEST_P(AnAdminStore, ChecksACurrentSchemaAsHealthy) {
  Register("kitchen");
  const StoreCheck check = admin_->Check();
  EXPECT_TRUE(check.connected);
  EXPECT_GT(check.expected_version, 0);
  EXPECT_EQ(check.schema_version, check.expected_version);
  EXPECT_THAT(check.problems, IsEmpty());
  const auto monitors = std::find_if(check.tables.begin(), check.tables.end(),
                                     [](const TableCount& t) { return t.table == "monitors"; });
  ASSERT_NE(monitors, check.tables.end());
  EXPECT_EQ(monitors->rows, 1);
}

TEST_P(AnAdminStore, MigratesACurrentSchemaToItself) {
  const int current = admin_->Check().expected_version;
  EXPECT_EQ(admin_->Migrate(), std::make_pair(current, current));
  EXPECT_EQ(admin_->Migrate(), std::make_pair(current, current));
}

TEST_P(AnAdminStore, CleansUpOnlyOldProcessedStagingRows) {
  const MonitorId kitchen = Register("kitchen");
  const UtcTime recent = StoreIntervalNow() - 2 * kInterval;
  Stage(kitchen, T0(), {MakeReading(kMac1, -50), MakeReading(kMac2, -60)});
  Stage(kitchen, recent, {MakeReading(kMac1, -50)});
  Process();
  Stage(kitchen, T0() + kInterval, {MakeReading(kMac1, -50)});  // old but unprocessed

  const CleanupResult result = admin_->CleanupStaging(24h);
  EXPECT_EQ(result.deleted, 2);
  EXPECT_EQ(result.unprocessed_old, 1);
  EXPECT_EQ(result.oldest_unprocessed, T0() + kInterval);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging"), "2");
  EXPECT_EQ(admin_->CleanupStaging(24h).deleted, 0);
}

TEST_P(AnAdminStore, ArchivesOldSightingsOldestFirstInChunks) {
  const MonitorId kitchen = Register("kitchen");
  const UtcTime recent = StoreIntervalNow() - 2 * kInterval;
  Stage(kitchen, T0(), {MakeReading(kMac1, -50)});
  Stage(kitchen, T0() + kInterval, {MakeReading(kMac2, -50)});
  Stage(kitchen, T0() + 2 * kInterval, {MakeReading(kMac3, -50)});
  Stage(kitchen, recent, {MakeReading(kMac4, -50)});
  Process();
  auto reports = harness_->OpenReports();
  const ReportFilter all = Span(T0() - 24h, recent + 24h);

  const ArchivePlan plan = admin_->PlanArchive(24h);
  EXPECT_EQ(plan.rows, 3);
  const ArchiveStep first = admin_->ArchiveChunk(plan, std::nullopt, 2);
  EXPECT_EQ(first.moved, 2);
  ASSERT_TRUE(first.last);
  EXPECT_EQ(first.last->interval_start, T0() + kInterval) << "oldest first";
  EXPECT_THAT(Macs(reports->Devices(all)), ElementsAre(kMac3, kMac4));
  const ArchiveStep second = admin_->ArchiveChunk(plan, first.last, 2);
  EXPECT_EQ(second.moved, 1);
  ASSERT_TRUE(second.last);
  EXPECT_EQ(second.last->interval_start, T0() + 2 * kInterval);
  const ArchiveStep done = admin_->ArchiveChunk(plan, second.last, 2);
  EXPECT_EQ(done.moved, 0);
  EXPECT_FALSE(done.last);
  EXPECT_THAT(Macs(reports->Devices(all)), ElementsAre(kMac4));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM device_sightings_archive"), "3");
  EXPECT_EQ(admin_->PlanArchive(24h).rows, 0) << "a new run finds nothing left";

  const StoreCheck check = admin_->Check();
  const auto archive =
      std::find_if(check.tables.begin(), check.tables.end(),
                   [](const TableCount& t) { return t.table == "device_sightings_archive"; });
  ASSERT_NE(archive, check.tables.end()) << "check counts the archive once there is one";
  EXPECT_EQ(archive->rows, 3);
}

namespace {

// Sums over a sightings table that change when any row or column value does: the same rows with
// the same values give the same text, on either store.
std::string SightingsFingerprint(StoreHarness& store, std::string_view table) {
  std::string fingerprint;
  for (const std::string_view expression :
       {"COUNT(*)", "SUM(sighting_id)", "SUM(device_id * sighting_id)",
        "SUM(monitor_id * sighting_id)", "SUM(rssi * sighting_id)",
        "SUM(COALESCE(margin_db, -999) * sighting_id)", "SUM(monitors_heard * sighting_id)",
        "SUM(COALESCE(room_monitor_id, -1) * sighting_id)",
        "SUM(LENGTH(COALESCE(confidence, 'none')) * sighting_id)",
        "SUM(ROUND(COALESCE(calibrated_rssi, -999) * 10) * sighting_id)", "MIN(interval_start)",
        "MAX(interval_start)", "MAX(sighting_timestamp)"}) {
    fingerprint += store.QueryScalar(fmt::format("SELECT {} FROM {}", expression, table)) + " ";
  }
  return fingerprint;
}

}  // namespace

TEST_P(AnAdminStore, ResumesAStoppedArchiveWithANewPlanKeepingEveryColumn) {
  const MonitorId kitchen = Register("kitchen");
  for (int i = 0; i < 5; ++i) {
    Stage(kitchen, T0() + i * kInterval, {MakeReading(kMac1, -50 - i), MakeReading(kMac2, -60)});
  }
  Process();
  const std::string before = SightingsFingerprint(*harness_, "device_sightings");
  // An archive made by hand after the original README, before blemon's columns existed.
  harness_->QueryScalar(
      "CREATE TABLE device_sightings_archive (sighting_id BIGINT PRIMARY KEY, device_id INT NOT "
      "NULL, monitor_id INT NOT NULL, rssi INT NOT NULL, interval_start TIMESTAMP NOT NULL, "
      "sighting_timestamp TIMESTAMP NULL)");

  const ArchivePlan plan = admin_->PlanArchive(24h);
  ASSERT_EQ(plan.rows, 10);
  EXPECT_EQ(admin_->ArchiveChunk(plan, std::nullopt, 3).moved, 3);
  // The run stops here (Ctrl-C); a new run plans afresh and moves the rest, whatever its chunks.
  const ArchivePlan resumed = admin_->PlanArchive(24h);
  EXPECT_EQ(resumed.rows, 7);
  std::optional<ArchivePosition> after;
  std::int64_t moved = 0;
  for (ArchiveStep step = admin_->ArchiveChunk(resumed, after, 4); step.last;
       step = admin_->ArchiveChunk(resumed, after, 4)) {
    moved += step.moved;
    after = step.last;
  }
  EXPECT_EQ(moved, 7);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM device_sightings"), "0");
  EXPECT_EQ(SightingsFingerprint(*harness_, "device_sightings_archive"), before)
      << "every row archived once, with every column";
}

TEST_P(AnAdminStore, ReleasesTheLeaseKeepingItsEpoch) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  EXPECT_EQ(admin_->Lease().holder, std::nullopt);
  EXPECT_EQ(admin_->ReleaseLease(), std::nullopt) << "nobody held it";
  const LeaseAnswer claim = store_->ClaimLease(kitchen, Seconds(600));
  ASSERT_TRUE(claim.granted);

  const LeaseStatus held = admin_->Lease();
  EXPECT_EQ(held.holder, kitchen);
  EXPECT_EQ(held.holder_name, "kitchen");
  EXPECT_EQ(held.epoch, claim.epoch);
  ASSERT_TRUE(held.claimed_at && held.expires_at);
  EXPECT_EQ(*held.expires_at - *held.claimed_at, Seconds(600));

  EXPECT_EQ(admin_->ReleaseLease(), "kitchen");
  const LeaseStatus freed = admin_->Lease();
  EXPECT_EQ(freed.holder, std::nullopt);
  EXPECT_EQ(freed.epoch, claim.epoch);
  const LeaseAnswer next = store_->ClaimLease(hall, Seconds(600));
  EXPECT_TRUE(next.granted);
  EXPECT_GT(next.epoch, claim.epoch) << "the released holder is fenced out";
}

}  // namespace blemon::testing
