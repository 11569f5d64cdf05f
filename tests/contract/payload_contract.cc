// The Store contract for the advert payload (schema version 4): staged readings keep their
// company ids and payload exactly, and readings without one — blemon's own and the rows the
// original tool's monitors insert with only the seed's columns — process as before.
#include <gmock/gmock.h>

#include <map>

#include "blemon/best_rssi.h"
#include "blemon/report_store.h"
#include "store_contract.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;

// A reading of each kind a scanner reports: an iPhone (Apple continuity nearby info, a service
// UUID), a beacon with a full 8-byte prefix, a watch with only an appearance, a monitor's own
// beacon, and a silent device.
std::vector<Reading> ReadingsWithPayloads() {
  auto reading = [](const char* mac, int rssi, AdvertPayload payload,
                    std::vector<std::uint16_t> companies) {
    return Reading{.mac = *MacAddress::Parse(mac),
                   .address_class = AddressClass::kResolvablePrivate,
                   .rssi = rssi,
                   .advert_count = 4,
                   .name = std::nullopt,
                   .tx_power = 7,
                   .company_ids = std::move(companies),
                   .payload = std::move(payload)};
  };
  return {
      reading("4A:00:00:00:00:01", -50,
              {.manufacturer_data = {{.company_id = 0x004C, .prefix = {0x10, 0x05, 0x01}}},
               .service_uuids = {0xFD6F},
               .appearance = std::nullopt,
               .monitor_beacon = std::nullopt},
              {0x004C}),
      reading("4A:00:00:00:00:02", -60,
              {.manufacturer_data = {{.company_id = 0x0006, .prefix = {}},
                                     {.company_id = 0x004C,
                                      .prefix = {0x02, 0x15, 0xFF, 0x00, 0x80, 0x7F, 0x01, 0xFE}}},
               .service_uuids = {0x180F, 0xFEAA, 0xFFFF},
               .appearance = 0x0000,
               .monitor_beacon = std::nullopt},
              {0x0006, 0x004C, 0xFFFF}),
      reading("4A:00:00:00:00:03", -70,
              {.manufacturer_data = {},
               .service_uuids = {},
               .appearance = 0x00C1,
               .monitor_beacon = std::nullopt},
              {}),
      reading("4A:00:00:00:00:04", -80,
              {.manufacturer_data = {},
               .service_uuids = {0xFE9F},
               .appearance = std::nullopt,
               .monitor_beacon = MonitorBeacon{.monitor_id = 2, .tx_power = -12}},
              {}),
      reading("4A:00:00:00:00:05", -90, {}, {}),
  };
}

// The batch as sighting_staging keeps it: a monitor's beacon is staged as a beacon observation
// instead (schema version 13, calibration_store_contract.cc).
Batch WithoutBeacons(Batch batch) {
  std::erase_if(batch.readings,
                [](const Reading& r) { return r.payload.monitor_beacon.has_value(); });
  return batch;
}

TEST_P(AStore, ReadsBackAStagedBatchWithEveryPayloadFieldUnchanged) {
  const MonitorId a = Register("kitchen");
  const Batch batch = MakeBatch(a, 1, T0(), T0() + 3s, ReadingsWithPayloads());
  ASSERT_TRUE(store_->StageBatch(batch));
  EXPECT_EQ(store_->StagedBatches(T0()), std::vector<Batch>{WithoutBeacons(batch)});
  EXPECT_EQ(store_->StagedBatches(T0() + kInterval), std::vector<Batch>{});
}

TEST_P(AStore, ReadsBackTheBatchesOfAnIntervalInMonitorAndBatchOrder) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const std::vector<Reading> readings = ReadingsWithPayloads();
  const Batch b2 = MakeBatch(b, 2, T0(), T0() + 9s, {readings[0], readings[1]});
  const Batch a7 = MakeBatch(a, 7, T0(), T0() + 5s, {readings[2]});
  const Batch a3 = MakeBatch(a, 3, T0(), T0() + 1s, {readings[3], readings[4]});
  for (const Batch& batch : {b2, a7, a3}) ASSERT_TRUE(store_->StageBatch(batch));
  ProcessAll(a, T0());
  EXPECT_EQ(store_->StagedBatches(T0()), (std::vector<Batch>{WithoutBeacons(a3), a7, b2}))
      << "processed too";
}

TEST_P(AStore, StoresThePayloadInItsDocumentedTextForms) {
  const MonitorId a = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 1, T0(), T0(), ReadingsWithPayloads())));
  EXPECT_EQ(
      harness_->QueryScalar("SELECT manufacturer_data FROM sighting_staging WHERE mac_address = "
                            "'4A:00:00:00:00:02'"),
      "0006:;004c:0215ff00807f01fe");
  EXPECT_EQ(harness_->QueryScalar("SELECT service_uuids FROM sighting_staging WHERE mac_address = "
                                  "'4A:00:00:00:00:02'"),
            "180f,feaa,ffff");
  EXPECT_EQ(harness_->QueryScalar("SELECT company_ids FROM sighting_staging WHERE mac_address = "
                                  "'4A:00:00:00:00:02'"),
            "0006,004c,ffff");
  EXPECT_EQ(harness_->QueryScalar("SELECT appearance FROM sighting_staging WHERE mac_address = "
                                  "'4A:00:00:00:00:03'"),
            "193");
  // A monitor's beacon is no device's reading: it is a beacon observation (version 13).
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging WHERE mac_address = "
                                  "'4A:00:00:00:00:04'"),
            "0");
  EXPECT_EQ(harness_->QueryScalar("SELECT sender_monitor_id * 1000 + sender_tx_power FROM "
                                  "beacon_observations"),
            "1988");
  // Nothing for a reading without payload: NULL, as the original tool's rows have.
  EXPECT_EQ(harness_->QueryScalar(
                "SELECT COUNT(*) FROM sighting_staging WHERE mac_address = '4A:00:00:00:00:05' "
                "AND company_ids IS NULL AND manufacturer_data IS NULL AND service_uuids IS NULL "
                "AND appearance IS NULL AND beacon_monitor_id IS NULL AND beacon_tx_power IS NULL"),
            "1");
  // Queryable as documented: Apple's continuity type 0x10 (nearby info).
  EXPECT_EQ(harness_->QueryScalar("SELECT mac_address FROM sighting_staging "
                                  "WHERE manufacturer_data LIKE '%004c:10%'"),
            "4A:00:00:00:00:01");
}

TEST_P(AStore, ProcessesReadingsWithAndWithoutPayloadAlike) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  std::vector<Reading> plain = ReadingsWithPayloads();
  for (Reading& r : plain) {
    r.payload = {};
    r.company_ids.clear();
    r.rssi -= 5;
  }
  const Batch with = MakeBatch(a, 1, T0(), T0() + 1s, ReadingsWithPayloads());
  const Batch without = MakeBatch(b, 1, T0(), T0() + 2s, plain);
  ASSERT_TRUE(store_->StageBatch(with));
  ASSERT_TRUE(store_->StageBatch(without));
  const ProcessOutcome outcome = ProcessAll(a, T0());
  EXPECT_EQ(outcome.staging_rows, 9) << "the beacon is no device's reading";
  EXPECT_EQ(outcome.devices_added, 5);
  BestRssiMerge oracle;
  for (const Batch* batch : {&with, &without}) {
    for (const Reading& r : batch->readings) {
      if (r.payload.monitor_beacon) continue;
      oracle.Add(StagedReading{batch->monitor_id, r.mac, T0(), r.rssi, batch->scan_time});
    }
  }
  std::map<BestRssiMerge::Key, Sighting> stored;
  for (const auto& s : AllSightings()) stored[{s.mac, s.interval_start}] = s.sighting;
  EXPECT_EQ(stored, oracle.Result());
}

TEST_P(AStore, ProcessesAndReadsBackRowsTheOriginalToolInserted) {
  const MonitorId a = Register("kitchen");
  // The original tool's monitor: only the seed's columns, no batch, no payload.
  harness_->QueryScalar(
      "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, interval_start, "
      "scan_timestamp) VALUES ('AA:BB:CC:DD:EE:01', 'Phone', " +
      std::to_string(a) + ", -61, '2026-03-01 10:00:00', '2026-03-01 10:00:04')");
  const auto batches = store_->StagedBatches(T0());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].monitor_id, a);
  EXPECT_EQ(batches[0].batch_seq, 0);
  EXPECT_EQ(batches[0].scan_time, T0() + 4s);
  Reading expected = MakeReading("AA:BB:CC:DD:EE:01", -61, "Phone");
  expected.advert_count = 0;
  EXPECT_EQ(batches[0].readings, std::vector<Reading>{expected});

  EXPECT_EQ(ProcessAll(a, T0()).devices_added, 1);
  const auto sightings = AllSightings();
  ASSERT_EQ(sightings.size(), 1u);
  EXPECT_EQ(sightings[0].sighting.rssi, -61);
}

// "class/vendor" of the device, "NULL" for a NULL column (SQLite 3.40 has no CONCAT).
std::string ProfileOf(StoreHarness& harness, const std::string& mac) {
  const auto column = [&](const std::string& name) {
    return harness.QueryScalar("SELECT COALESCE(" + name +
                               ", 'NULL') FROM ble_devices WHERE mac_address = '" + mac + "'");
  };
  return column("device_class") + "/" + column("vendor");
}

TEST_P(AStore, SetsEachDevicesClassAndVendorFromItsPayloadWhenProcessing) {
  const MonitorId a = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 1, T0(), T0(), ReadingsWithPayloads())));
  ProcessAll(a, T0());
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:01"), "phone/Apple, Inc.");
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:02"), "beacon/Apple, Inc.");
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:03"), "watch/NULL");
  EXPECT_EQ(harness_->QueryScalar(
                "SELECT COUNT(*) FROM ble_devices WHERE mac_address = '4A:00:00:00:00:04'"),
            "0")
      << "a monitor's beacon is no device";
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:05"), "NULL/NULL");

  // A later interval without payload keeps what is known; one that tells more adds to it.
  std::vector<Reading> later = ReadingsWithPayloads();
  for (Reading& r : later) r.payload = {};
  later[2].company_ids = {0x0087};
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 2, T0() + kInterval, T0() + kInterval, later)));
  ProcessAll(a, T0() + kInterval);
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:01"), "phone/Apple, Inc.");
  EXPECT_EQ(ProfileOf(*harness_, "4A:00:00:00:00:03"), "watch/Garmin International, Inc.");
}

TEST_P(AStore, ReportsTheClassAndVendorItSetInTheDevicesReport) {
  const MonitorId a = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 1, T0(), T0(), ReadingsWithPayloads())));
  ProcessAll(a, T0());
  const auto devices = harness_->OpenReports()->Devices(
      {.from = T0(), .to = T0() + kInterval, .monitor = std::nullopt, .hour_shift = Seconds(0)});
  std::map<std::string, std::pair<std::optional<std::string>, std::optional<std::string>>> found;
  for (const DeviceSummary& d : devices) found[d.mac] = {d.device_class, d.vendor};
  ASSERT_EQ(found.size(), 4u) << "the monitor's beacon (4A:00:00:00:00:04) is no device";
  EXPECT_FALSE(found.contains("4A:00:00:00:00:04"));
  EXPECT_EQ(found["4A:00:00:00:00:01"].first, "phone");
  EXPECT_EQ(found["4A:00:00:00:00:01"].second, "Apple, Inc.");
  EXPECT_EQ(found["4A:00:00:00:00:03"].first, "watch");
  EXPECT_EQ(found["4A:00:00:00:00:03"].second, std::nullopt);
  EXPECT_EQ(found["4A:00:00:00:00:05"].first, std::nullopt);
}

TEST_P(AStore, KeepsTheLastSeenTimeWhenSettingAProfile) {
  const MonitorId a = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 1, T0(), T0() + 7s, ReadingsWithPayloads())));
  ProcessAll(a, T0());
  EXPECT_EQ(harness_->QueryScalar("SELECT last_seen FROM ble_devices WHERE mac_address = "
                                  "'4A:00:00:00:00:01'"),
            "2026-03-01 10:00:07");
}

}  // namespace
}  // namespace blemon::testing
