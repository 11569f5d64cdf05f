// The retention contract (docs/database.md, "Retention") on every backend, on tables that are not
// partitioned (SQLite always; MariaDB before `blemon-admin retention enable`, where the processor
// deletes in batches; the partitioned path is tested end to end in
// tests/integration/tools/retention_test.py): expired sightings go, kept days stay as they were,
// processed staging rows go and unprocessed ones never do, and nothing happens without the lease.

#include <gmock/gmock.h>

#include "blemon/errors.h"
#include "blemon/retention.h"
#include "store_contract.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;

std::int64_t Count(StoreHarness& harness, const std::string& sql) {
  return std::stoll(harness.QueryScalar(sql));
}

const TableRetention& Of(const RetentionOutcome& outcome, std::string_view table) {
  for (const auto& t : outcome.tables) {
    if (t.table == table) return t;
  }
  throw std::out_of_range("no outcome for the table");
}

// Every sighting the store holds (AStore::AllSightings reads only the days around T0).
std::vector<StoredSighting> Everything(Store& store) {
  return store.Sightings(UtcTime(std::chrono::days{1}), store.StoreNow() + std::chrono::days{1});
}

}  // namespace

TEST_P(AStore, RetentionDeletesExpiredRowsAndKeepsTheRestAndUnprocessedStaging) {
  const MonitorId m = Register("processor");
  // Relative to the store's clock, which retention counts from: today's midnight (UTC).
  const UtcTime now = std::chrono::floor<std::chrono::days>(store_->StoreNow());
  const UtcTime old = now - std::chrono::days{40};
  const UtcTime recent = now - std::chrono::days{2};
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(m, 1, old, old + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)})));
  ASSERT_TRUE(store_->StageBatch(
      MakeBatch(m, 2, recent, recent + 2s,
                {MakeReading("AA:BB:CC:DD:EE:01", -61), MakeReading("AA:BB:CC:DD:EE:02", -70)})));
  ProcessAll(m, now);
  const auto kept_before = store_->Sightings(recent, now);
  // A late row of the old interval, not processed yet: retention must leave it.
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(m, 3, old, old + 3s, {MakeReading("AA:BB:CC:DD:EE:03", -65)})));
  const LeaseAnswer lease = store_->ClaimLease(m, Seconds(600));
  ASSERT_TRUE(lease.granted);

  const auto retention = harness_->OpenRetention();
  const RetentionOutcome outcome = retention->ApplyRetention(
      RetentionSettings{.sightings_days = 30, .staging_days = 7}, m, lease.epoch, 100);

  EXPECT_EQ(Of(outcome, kSightingsTable).rows_deleted, 1);
  EXPECT_EQ(Of(outcome, kStagingTable).rows_deleted, 1);
  EXPECT_FALSE(outcome.more_left());
  const auto all = Everything(*store_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(store_->Sightings(recent, now).size(), kept_before.size());
  for (std::size_t i = 0; i < kept_before.size(); ++i) {
    EXPECT_EQ(all[i].mac, kept_before[i].mac);
    EXPECT_EQ(all[i].sighting.rssi, kept_before[i].sighting.rssi);
  }
  EXPECT_EQ(Count(*harness_, "SELECT COUNT(*) FROM sighting_staging WHERE processed = 0"), 1);
  EXPECT_EQ(Count(*harness_, "SELECT COUNT(*) FROM sighting_staging"), 3);
}

TEST_P(AStore, RetentionDeletesExpiredBeaconObservationsWithTheStagingRows) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  const UtcTime now = std::chrono::floor<std::chrono::days>(store_->StoreNow());
  Reading beacon = MakeReading("AA:BB:CC:DD:EE:10", -70);
  beacon.payload.monitor_beacon =
      MonitorBeacon{.monitor_id = static_cast<std::uint32_t>(hall), .tx_power = 0};
  for (const auto& [seq, day] : {std::pair{1, 40}, std::pair{2, 2}}) {
    const UtcTime start = now - std::chrono::days{day};
    ASSERT_TRUE(store_->StageBatch(MakeBatch(kitchen, seq, start, start + 2s, {beacon})));
  }
  ASSERT_EQ(Count(*harness_, "SELECT COUNT(*) FROM beacon_observations"), 2);
  const LeaseAnswer lease = store_->ClaimLease(kitchen, Seconds(600));
  ASSERT_TRUE(lease.granted);

  const RetentionOutcome outcome = harness_->OpenRetention()->ApplyRetention(
      RetentionSettings{.sightings_days = 0, .staging_days = 7}, kitchen, lease.epoch, 100);

  EXPECT_EQ(Of(outcome, kBeaconTable).rows_deleted, 1);
  EXPECT_EQ(Count(*harness_, "SELECT COUNT(*) FROM beacon_observations"), 1);
}

TEST_P(AStore, RetentionKeepsEverythingWithZeroDays) {
  const MonitorId m = Register("processor");
  const UtcTime old =
      std::chrono::floor<std::chrono::days>(store_->StoreNow()) - std::chrono::days{400};
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(m, 1, old, old + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)})));
  ProcessAll(m, old);
  const LeaseAnswer lease = store_->ClaimLease(m, Seconds(600));
  const RetentionOutcome outcome =
      harness_->OpenRetention()->ApplyRetention(RetentionSettings{}, m, lease.epoch, 100);
  EXPECT_EQ(Of(outcome, kSightingsTable).rows_deleted, 0);
  EXPECT_EQ(Everything(*store_).size(), 1u);
  EXPECT_EQ(Count(*harness_, "SELECT COUNT(*) FROM sighting_staging"), 1);
}

TEST_P(AStore, RetentionDoesNothingWithoutTheLease) {
  const MonitorId m = Register("processor");
  const MonitorId other = Register("other");
  const UtcTime old =
      std::chrono::floor<std::chrono::days>(store_->StoreNow()) - std::chrono::days{400};
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(m, 1, old, old + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)})));
  ProcessAll(m, old);
  const LeaseAnswer lease = store_->ClaimLease(m, Seconds(600));
  const auto retention = harness_->OpenRetention();
  const RetentionSettings one_day{.sightings_days = 1, .staging_days = 1};
  EXPECT_THROW(retention->ApplyRetention(one_day, other, lease.epoch, 100), LeaseLost);
  EXPECT_THROW(retention->ApplyRetention(one_day, m, lease.epoch + 1, 100), LeaseLost);
  EXPECT_EQ(Everything(*store_).size(), 1u);
  EXPECT_EQ(Count(*harness_, "SELECT COUNT(*) FROM sighting_staging"), 1);
}

}  // namespace blemon::testing
