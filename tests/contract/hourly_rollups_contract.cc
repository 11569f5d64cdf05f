// The hourly rollups (schema version 15) against the unrolled hourly query, on every store: for
// random intervals, batches and late rows, processed in random order, every hour's rollup row
// equals what device_sightings gives for that hour, and a report never reads a stale hour.
#include "hourly_rollups_contract.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <random>

#include "blemon/retention.h"

namespace blemon::testing {

using namespace std::chrono_literals;

void ExpectSameRows(const std::vector<HourlyRow>& rolled_up, const std::vector<HourlyRow>& unrolled,
                    const std::string& when) {
  ASSERT_EQ(rolled_up.size(), unrolled.size()) << when;
  for (std::size_t i = 0; i < rolled_up.size(); ++i) {
    const HourlyRow& a = rolled_up[i];
    const HourlyRow& b = unrolled[i];
    const std::string where = fmt::format("{}, row {} ({} {})", when, i, b.monitor_name,
                                          b.hour_start.time_since_epoch().count());
    EXPECT_EQ(a.hour_start, b.hour_start) << where;
    EXPECT_EQ(a.monitor_name, b.monitor_name) << where;
    EXPECT_EQ(a.location, b.location) << where;
    EXPECT_EQ(a.unique_devices, b.unique_devices) << where;
    EXPECT_EQ(a.addresses, b.addresses) << where;
    EXPECT_EQ(a.estimated_devices, b.estimated_devices) << where;
    EXPECT_EQ(a.by_class, b.by_class) << where;
    EXPECT_EQ(a.total_sightings, b.total_sightings) << where;
    EXPECT_DOUBLE_EQ(a.avg_rssi, b.avg_rssi) << where;
    EXPECT_EQ(a.min_rssi, b.min_rssi) << where;
    EXPECT_EQ(a.max_rssi, b.max_rssi) << where;
  }
}

TEST_P(HourlyRollups, EqualTheUnrolledQueryForEveryHourWithLateRows) {
  const std::vector<MonitorId> monitors = {Register("m1", "One"), Register("m2", "Two"),
                                           Register("m3", "")};
  const UtcTime first = T0() - 1h;
  const UtcTime end = first + 4h;  // 48 intervals in four hours
  for (unsigned seed = 1; seed <= 4; ++seed) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> interval(0, 47), monitor(0, 2), size(1, 6), batches(2, 8);
    for (int round = 0; round < 6; ++round) {
      // Rounds after the first stage into intervals processed before: late rows.
      for (int b = batches(random); b > 0; --b) {
        std::vector<Reading> readings;
        for (int n = size(random); n > 0; --n) readings.push_back(RandomReading(random, 16));
        std::sort(readings.begin(), readings.end(),
                  [](const Reading& x, const Reading& y) { return x.mac < y.mac; });
        readings.erase(
            std::unique(readings.begin(), readings.end(),
                        [](const Reading& x, const Reading& y) { return x.mac == y.mac; }),
            readings.end());
        Stage(monitors[monitor(random)], first + interval(random) * kInterval, std::move(readings));
      }
      Process();
      const std::string when = fmt::format("seed {} round {}", seed, round);
      ASSERT_EQ(Count("hourly_rollup_stale"), 0) << when << ": processing left a stale hour";
      ExpectRollupsEqualUnrolled(first, end, when);
    }
  }
  EXPECT_GT(Count("hourly_rollups"), 0);
}

TEST_P(HourlyRollups, CountALinkedAddressAsItsEstimatedDeviceInEveryHourItWasSeen) {
  const MonitorId m1 = Register("m1", "One");
  Stage(m1, T0(), {MakeReading("AA:BB:CC:DD:00:01", -50)});
  Stage(m1, T0() + 1h, {MakeReading("AA:BB:CC:DD:00:02", -50)});
  Stage(m1, T0() + 1h + kInterval, {MakeReading("AA:BB:CC:DD:00:01", -50)});
  Process();
  ASSERT_EQ(reports_->Hourly(Span(T0(), T0() + 2h)).at(1).estimated_devices, 2);
  // A link written by anyone (here by hand) marks every hour the later address was seen in; until
  // the processor recomputes them, the report reads device_sightings.
  harness_->QueryScalar(
      "INSERT INTO address_links (device_id, previous_device_id, estimated_device_id, "
      "previous_last_interval, first_interval, distance_db) SELECT b.device_id, a.device_id, "
      "a.device_id, '2026-03-01 10:00:00', '2026-03-01 11:00:00', 1 FROM ble_devices a, "
      "ble_devices b WHERE a.mac_address = 'AA:BB:CC:DD:00:01' AND "
      "b.mac_address = 'AA:BB:CC:DD:00:02'");
  EXPECT_EQ(Count("hourly_rollup_stale"), 1);
  EXPECT_EQ(reports_->Hourly(Span(T0(), T0() + 2h)).at(1).estimated_devices, 1);
  Stage(m1, T0() + 2h, {MakeReading("AA:BB:CC:DD:00:03", -50)});
  Process();
  EXPECT_EQ(Count("hourly_rollup_stale"), 0);
  const auto rows = reports_->Hourly(Span(T0(), T0() + 3h));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].addresses, 2);
  EXPECT_EQ(rows[1].estimated_devices, 1);
  ExpectRollupsEqualUnrolled(T0(), T0() + 3h, "after the link");
}

TEST_P(HourlyRollups, LeaveHoursNotOnUtcHoursToTheUnrolledQuery) {
  const MonitorId m1 = Register("m1", "One");
  Stage(m1, T0() + 25min, {MakeReading("AA:BB:CC:DD:00:01", -50)});
  Stage(m1, T0() + 40min, {MakeReading("AA:BB:CC:DD:00:02", -60)});
  Process();
  // India's hours start at UTC :30: one device in each.
  ReportFilter india = Span(T0() - 30min, T0() + 90min);
  india.hour_shift = 30min;
  const auto rows = reports_->Hourly(india);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].hour_start, T0() - 30min);
  EXPECT_EQ(rows[0].unique_devices, 1);
  EXPECT_EQ(rows[1].hour_start, T0() + 30min);
  EXPECT_EQ(rows[1].unique_devices, 1);
  // The UTC hour holds both.
  EXPECT_EQ(reports_->Hourly(Span(T0(), T0() + 1h)).at(0).unique_devices, 2);
}

TEST_P(HourlyRollups, RecomputeTheHoursAnArchiveStepMoved) {
  const MonitorId m1 = Register("m1", "One");
  Stage(m1, T0(), {MakeReading("AA:BB:CC:DD:00:01", -50), MakeReading("AA:BB:CC:DD:00:02", -60)});
  Stage(m1, T0() + kInterval, {MakeReading("AA:BB:CC:DD:00:03", -70)});
  Process();
  // Archive everything older than a second ago, one row per step: after the first step the hour
  // holds two sightings, and its rollup row says so.
  auto admin = harness_->OpenAdmin();
  const ArchivePlan plan = admin->PlanArchive(Seconds(1));
  ASSERT_EQ(admin->ArchiveChunk(plan, std::nullopt, 1).moved, 1);
  EXPECT_EQ(Count("hourly_rollup_stale"), 0);
  const auto rows = reports_->Hourly(Span(T0(), T0() + 1h));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].total_sightings, 2);
  ExpectRollupsEqualUnrolled(T0(), T0() + 1h, "after one archive step");
}

// Retention deletes expired sightings in batches here (SQLite; MariaDB before `retention
// enable`; the partitioned path is tools_retention_mariadb's): the rollup rows and stale marks of
// the expired hours go with them, so the rollups hold exactly the hours that have sightings.
TEST_P(HourlyRollups, LoseTheHoursRetentionExpired) {
  const MonitorId m1 = Register("m1", "One");
  const UtcTime today = std::chrono::floor<std::chrono::days>(store_->StoreNow());
  const UtcTime old = today - std::chrono::days{40}, recent = today - std::chrono::days{2};
  Stage(m1, old, {MakeReading("AA:BB:CC:DD:00:01", -50)});
  Stage(m1, recent, {MakeReading("AA:BB:CC:DD:00:01", -55)});
  Process();
  ASSERT_EQ(Count("hourly_rollups"), 2);
  const LeaseAnswer lease = store_->ClaimLease(m1, Seconds(600));
  ASSERT_TRUE(lease.granted);

  harness_->OpenRetention()->ApplyRetention(
      RetentionSettings{.sightings_days = 30, .staging_days = 0}, m1, lease.epoch, 100);

  EXPECT_EQ(Count("hourly_rollups"), 1);
  EXPECT_EQ(Count("hourly_rollup_stale"), 0);
  EXPECT_TRUE(reports_->Hourly(Span(old, old + 1h)).empty());
  ExpectRollupsEqualUnrolled(old, today, "after retention");
}

}  // namespace blemon::testing
