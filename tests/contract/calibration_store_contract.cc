// The Store and the calibration port on every backend (schema version 13): a monitor's beacon is
// staged as a beacon observation, idempotently, and never becomes a device; the calibration port
// reads observations, monitors and a device's winners, and writes offsets (fenced for the
// processor).
#include "calibration_store_contract.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>

#include "blemon/errors.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::UnorderedElementsAre;

MATCHER_P4(IsObservation, receiver, sender, rssi, tx_power, "") {
  return arg.receiver == receiver && arg.sender == sender && arg.rssi == rssi &&
         arg.sender_tx_power == tx_power;
}

}  // namespace

void ACalibrationStore::SetUp() {
  AStore::SetUp();
  calibration_ = harness_->OpenCalibration();
}

Reading ACalibrationStore::Beacon(MonitorId sender, int rssi, int tx_power) {
  Reading r = MakeReading(fmt::format("C0:00:00:00:00:{:02X}", sender), rssi);
  r.address_class = AddressClass::kRandomStatic;
  r.payload.monitor_beacon =
      MonitorBeacon{.monitor_id = static_cast<std::uint32_t>(sender), .tx_power = tx_power};
  return r;
}

TEST_P(ACalibrationStore, StagesABeaconAsAnObservationNotAsADevice) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(
      kitchen, 1, T0(), T0() + 2s, {Beacon(hall, -70, 4), MakeReading("AA:BB:CC:DD:EE:01", -60)})));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging"), "1");
  EXPECT_EQ(harness_->QueryScalar("SELECT mac_address FROM sighting_staging"), "AA:BB:CC:DD:EE:01");
  EXPECT_THAT(calibration_->RecentBeaconObservations(1, std::nullopt),
              UnorderedElementsAre(IsObservation(kitchen, hall, -70, 4)));
  ProcessAll(kitchen, T0());
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM ble_devices"), "1");
  const auto sightings = AllSightings();
  ASSERT_EQ(sightings.size(), 1u);
  EXPECT_EQ(sightings[0].mac.ToString(), "AA:BB:CC:DD:EE:01");
}

TEST_P(ACalibrationStore, StagesABatchOfOnlyBeaconsWithoutAPendingInterval) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(kitchen, 1, T0(), T0(), {Beacon(hall, -70)})));
  EXPECT_EQ(store_->PendingIntervals(T0() + kInterval), std::vector<UtcTime>{});
  EXPECT_EQ(calibration_->RecentBeaconObservations(5, std::nullopt).size(), 1u);
}

TEST_P(ACalibrationStore, StoresAResentBatchsBeaconsOnce) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  const Batch batch = MakeBatch(kitchen, 1, T0(), T0(), {Beacon(hall, -70)});
  ASSERT_TRUE(store_->StageBatch(batch));
  EXPECT_FALSE(store_->StageBatch(batch));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM beacon_observations"), "1");
}

TEST_P(ACalibrationStore, KeepsTheStrongestWhenOneScanHeardAMonitorTwice) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  Reading other_address = Beacon(hall, -64);
  other_address.mac = *MacAddress::Parse("C0:00:00:00:00:99");
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(kitchen, 1, T0(), T0(), {Beacon(hall, -70), other_address})));
  EXPECT_THAT(calibration_->RecentBeaconObservations(1, std::nullopt),
              UnorderedElementsAre(IsObservation(kitchen, hall, -64, 0)));
}

TEST_P(ACalibrationStore, ReadsTheNewestIntervalsWithObservationsUpToAGivenOne) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  // Intervals 0, 1 and 3 have observations (2 has none).
  for (const int k : {0, 1, 3}) {
    const UtcTime start = T0() + k * kInterval;
    ASSERT_TRUE(
        store_->StageBatch(MakeBatch(kitchen, 10 + k, start, start, {Beacon(hall, -60 - k)})));
  }
  EXPECT_THAT(calibration_->RecentBeaconObservations(2, std::nullopt),
              UnorderedElementsAre(IsObservation(kitchen, hall, -63, 0),
                                   IsObservation(kitchen, hall, -61, 0)));
  EXPECT_THAT(calibration_->RecentBeaconObservations(2, T0() + 2 * kInterval),
              UnorderedElementsAre(IsObservation(kitchen, hall, -61, 0),
                                   IsObservation(kitchen, hall, -60, 0)));
  EXPECT_EQ(calibration_->RecentBeaconObservations(10, std::nullopt).size(), 3u);
  EXPECT_EQ(calibration_->RecentBeaconObservations(0, std::nullopt).size(), 0u);
}

TEST_P(ACalibrationStore, ListsMonitorsWithOffsetsAndRegisteredPositions) {
  const MonitorId kitchen = Register("kitchen", "Kitchen");
  const MonitorId hall =
      store_->RegisterMonitor(MonitorInfo("hall", "Hall", "", MonitorPosition{.x = 2.5, .y = -1}));
  calibration_->SetOffsets({{kitchen, -75}});
  const auto monitors = calibration_->CalibrationMonitors();
  ASSERT_EQ(monitors.size(), 2u);
  EXPECT_EQ(monitors[0].monitor_id, kitchen);
  EXPECT_EQ(monitors[0].location, "Kitchen");
  EXPECT_EQ(monitors[0].offset_tenths, -75);
  EXPECT_FALSE(monitors[0].position);
  EXPECT_EQ(monitors[1].monitor_id, hall);
  EXPECT_EQ(monitors[1].offset_tenths, 0);
  ASSERT_TRUE(monitors[1].position);
  EXPECT_EQ(monitors[1].position->x, 2.5);
  EXPECT_EQ(monitors[1].position->y, -1.0);
  // Registering again without a position keeps the stored one.
  store_->RegisterMonitor(MonitorInfo("hall", "Hall", ""));
  EXPECT_TRUE(calibration_->CalibrationMonitors()[1].position);
}

TEST_P(ACalibrationStore, AppliesOffsetsOnlyUnderTheLease) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  const LeaseAnswer lease = store_->ClaimLease(kitchen, Seconds(600));
  ASSERT_TRUE(lease.granted);
  calibration_->ApplyOffsets({{hall, 42}}, kitchen, lease.epoch);
  EXPECT_THROW(calibration_->ApplyOffsets({{hall, 7}}, kitchen, lease.epoch + 1), LeaseLost);
  EXPECT_THROW(calibration_->ApplyOffsets({{hall, 7}}, hall, lease.epoch), LeaseLost);
  const auto monitors = calibration_->CalibrationMonitors();
  EXPECT_EQ(monitors[1].offset_tenths, 42);
  EXPECT_EQ(monitors[0].offset_tenths, 0);
}

TEST_P(ACalibrationStore, ReadsADevicesNewestWinnersOldestFirst) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  const std::string tag = "AA:BB:CC:DD:EE:07";
  for (int k = 0; k < 3; ++k) {
    const UtcTime start = T0() + k * kInterval;
    ASSERT_TRUE(store_->StageBatch(
        MakeBatch(kitchen, 10 + k, start, start, {MakeReading(tag, k == 1 ? -80 : -50 - k)})));
    ASSERT_TRUE(store_->StageBatch(MakeBatch(hall, 10 + k, start, start, {MakeReading(tag, -70)})));
  }
  ProcessAll(kitchen, T0() + 3 * kInterval);
  const auto winners = calibration_->RecentWinners(*MacAddress::Parse(tag), 2);
  ASSERT_EQ(winners.size(), 2u);
  EXPECT_EQ(winners[0].interval_start, T0() + kInterval);
  EXPECT_EQ(winners[0].monitor_id, hall);
  EXPECT_EQ(winners[0].rssi, -70);
  EXPECT_EQ(winners[1].monitor_id, kitchen);
  EXPECT_EQ(winners[1].rssi, -52);
}

}  // namespace blemon::testing
