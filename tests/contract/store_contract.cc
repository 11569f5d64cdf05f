#include "store_contract.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "blemon/best_rssi.h"
#include "blemon/errors.h"
#include "blemon/reading.h"

namespace blemon::testing {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

// --- fixture helpers ----------------------------------------------------------------------------

void AStore::SetUp() {
  harness_ = GetParam()();
  harness_->Reset();
  store_ = harness_->Open();
}

UtcTime AStore::T0() {
  return std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + std::chrono::hours{10};
}

MonitorId AStore::Register(const std::string& name, const std::string& location) {
  return store_->RegisterMonitor({name, location, "contract test monitor"});
}

Reading AStore::MakeReading(const std::string& mac, int rssi, std::optional<std::string> name) {
  return Reading{.mac = *MacAddress::Parse(mac),
                 .address_class = AddressClass::kPublic,
                 .rssi = rssi,
                 .advert_count = 3,
                 .name = std::move(name),
                 .tx_power = std::nullopt,
                 .company_ids = {},
                 .payload = {}};
}

Batch AStore::MakeBatch(MonitorId monitor, std::int64_t seq, UtcTime interval_start,
                        UtcTime scan_time, std::vector<Reading> readings) {
  return Batch{monitor, seq, interval_start, scan_time, std::move(readings)};
}

ProcessOutcome AStore::ProcessAll(MonitorId monitor, UtcTime latest_due) {
  const LeaseAnswer lease = store_->ClaimLease(monitor, Seconds(600));
  EXPECT_TRUE(lease.granted) << "the lease is held by " << lease.holder_name;
  ProcessOutcome sum;
  for (UtcTime interval : store_->PendingIntervals(latest_due)) {
    const ProcessOutcome o = store_->ProcessInterval(interval, monitor, lease.epoch);
    sum.staging_rows += o.staging_rows;
    sum.sightings_changed += o.sightings_changed;
    sum.devices_added += o.devices_added;
    sum.links_added += o.links_added;
  }
  return sum;
}

std::vector<StoredSighting> AStore::AllSightings() {
  return store_->Sightings(T0() - std::chrono::days{1}, T0() + std::chrono::days{1});
}

namespace {

// Sightings as a map comparable with BestRssiMerge::Result().
std::map<BestRssiMerge::Key, Sighting> AsMap(const std::vector<StoredSighting>& stored) {
  std::map<BestRssiMerge::Key, Sighting> out;
  for (const auto& s : stored) out[{s.mac, s.interval_start}] = s.sighting;
  return out;
}

void AddToOracle(BestRssiMerge& oracle, const Batch& batch) {
  for (const Reading& r : batch.readings) {
    oracle.Add(
        StagedReading{batch.monitor_id, r.mac, batch.interval_start, r.rssi, batch.scan_time, 0});
  }
}

std::string Describe(const std::map<BestRssiMerge::Key, Sighting>& m) {
  std::string out;
  for (const auto& [key, s] : m) {
    out += key.first.ToString() + " @" + std::to_string(key.second.time_since_epoch().count()) +
           ": monitor " + std::to_string(s.monitor_id) + " rssi " + std::to_string(s.rssi) + " t " +
           std::to_string(s.scan_time.time_since_epoch().count()) + " margin " +
           (s.margin_db ? std::to_string(*s.margin_db) : "none") + " heard " +
           std::to_string(s.monitors_heard) + "\n";
  }
  return out;
}

}  // namespace

// --- monitors and fleet settings ----------------------------------------------------------------

TEST_P(AStore, RegistersAMonitorOnceByName) {
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  EXPECT_NE(kitchen, hall);
  EXPECT_EQ(Register("kitchen"), kitchen);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM monitors"), "2");
}

TEST_P(AStore, UpdatesTheLocationWhenAMonitorRegistersAgain) {
  const MonitorId id = Register("kitchen", "Ground floor");
  Register("kitchen", "First floor");
  EXPECT_EQ(harness_->QueryScalar("SELECT location FROM monitors WHERE monitor_id = " +
                                  std::to_string(id)),
            "First floor");
}

TEST_P(AStore, KeepsTheFirstFleetIntervalWritten) {
  EXPECT_EQ(store_->FleetInterval(Seconds(300)), Seconds(300));
  EXPECT_EQ(store_->FleetInterval(Seconds(600)), Seconds(300));
  auto other = harness_->Open();
  EXPECT_EQ(other->FleetInterval(Seconds(60)), Seconds(300));
}

TEST_P(AStore, HeartbeatMarksTheMonitorActiveOrInactive) {
  const MonitorId id = Register("kitchen");
  const std::string where = " FROM monitors WHERE monitor_id = " + std::to_string(id);
  store_->Heartbeat(id, false);
  EXPECT_EQ(harness_->QueryScalar("SELECT is_active" + where), "0");
  harness_->QueryScalar(
      "UPDATE monitors SET last_seen = '2020-01-01 00:00:00' WHERE monitor_id = " +
      std::to_string(id));
  store_->Heartbeat(id, true);
  EXPECT_EQ(harness_->QueryScalar("SELECT is_active" + where), "1");
  EXPECT_EQ(harness_->QueryScalar("SELECT last_seen > '2026-01-01 00:00:00'" + where), "1")
      << "last_seen is the store's clock now, not the old value";
}

TEST_P(AStore, TellsItsClockWhichIsTheSystemClockHere) {
  // Both test stores run on this machine, so their clock and ours agree within a few seconds.
  const auto ours = std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  const UtcTime theirs = store_->StoreNow();
  EXPECT_LE(std::chrono::abs(theirs - ours), Seconds(5));
}

TEST_P(AStore, StartsAMonitorWithNoScanHealth) {
  const MonitorId id = Register("kitchen");
  const std::string where = " FROM monitors WHERE monitor_id = " + std::to_string(id);
  EXPECT_EQ(harness_->QueryScalar("SELECT scans_failed" + where), "0");
  EXPECT_EQ(harness_->QueryScalar("SELECT empty_scans_in_row" + where), "0");
  EXPECT_EQ(harness_->QueryScalar("SELECT last_scan_error IS NULL AND last_scan_error_at IS NULL "
                                  "AND last_scan_ok_at IS NULL" +
                                  where),
            "1");
}

TEST_P(AStore, AddsFailedScansAndKeepsTheLatestErrorAndGoodScan) {
  const MonitorId id = Register("kitchen");
  const MonitorId other = Register("hall");
  const std::string where = " FROM monitors WHERE monitor_id = " + std::to_string(id);
  ScanHealthUpdate first;
  first.new_failures = 2;
  first.last_error = "StartDiscovery on hci0: in progress \xF0\x9F\x93\xA1";
  first.last_error_at = T0() + Seconds(10);
  first.last_ok_at = T0();
  first.empty_scans_in_row = 4;
  store_->RecordScanHealth(id, first);
  ScanHealthUpdate second;  // a good scan only: the error stays, the count grows by nothing
  second.last_ok_at = T0() + Seconds(300);
  second.empty_scans_in_row = 5;
  store_->RecordScanHealth(id, second);
  ScanHealthUpdate third;
  third.new_failures = 1;
  store_->RecordScanHealth(id, third);

  EXPECT_EQ(harness_->QueryScalar("SELECT scans_failed" + where), "3");
  EXPECT_EQ(harness_->QueryScalar("SELECT last_scan_error" + where), *first.last_error);
  EXPECT_EQ(harness_->QueryScalar("SELECT last_scan_error_at" + where), "2026-03-01 10:00:10");
  EXPECT_EQ(harness_->QueryScalar("SELECT last_scan_ok_at" + where), "2026-03-01 10:05:00");
  EXPECT_EQ(harness_->QueryScalar("SELECT empty_scans_in_row" + where), "0");
  EXPECT_EQ(harness_->QueryScalar("SELECT scans_failed FROM monitors WHERE monitor_id = " +
                                  std::to_string(other)),
            "0");
}

// --- staging ------------------------------------------------------------------------------------

TEST_P(AStore, StagesABatchOnceEvenWhenResent) {
  const MonitorId id = Register("kitchen");
  const Batch batch =
      MakeBatch(id, 7, T0(), T0() + 2s,
                {MakeReading("AA:BB:CC:DD:EE:01", -60), MakeReading("AA:BB:CC:DD:EE:02", -70)});
  EXPECT_TRUE(store_->StageBatch(batch));
  EXPECT_FALSE(store_->StageBatch(batch));
  EXPECT_FALSE(harness_->Open()->StageBatch(batch));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging"), "2");
}

TEST_P(AStore, KeepsBatchSequencesOfDifferentMonitorsApart) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  EXPECT_TRUE(
      store_->StageBatch(MakeBatch(a, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -60)})));
  EXPECT_TRUE(
      store_->StageBatch(MakeBatch(b, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -61)})));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging"), "2");
}

TEST_P(AStore, StagesUnprocessedRowsThatMakeTheirIntervalPending) {
  const MonitorId id = Register("kitchen");
  store_->StageBatch(MakeBatch(id, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging WHERE processed = 0"),
            "1");
  EXPECT_THAT(store_->PendingIntervals(T0()), ElementsAre(T0()));
}

// --- processing ---------------------------------------------------------------------------------

TEST_P(AStore, ListsPendingIntervalsOldestFirstUpToLatestDue) {
  const MonitorId id = Register("kitchen");
  const auto mac = "AA:BB:CC:DD:EE:01";
  for (int i : {3, 0, 2, 1}) {
    const UtcTime start = T0() + i * kInterval;
    store_->StageBatch(MakeBatch(id, 10 + i, start, start, {MakeReading(mac, -60)}));
  }
  EXPECT_THAT(store_->PendingIntervals(T0() + 2 * kInterval),
              ElementsAre(T0(), T0() + kInterval, T0() + 2 * kInterval));
  EXPECT_THAT(store_->PendingIntervals(T0() - kInterval), IsEmpty());
}

TEST_P(AStore, ProcessesAnIntervalExactlyAsTheOracleDoes) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const MonitorId c = Register("garage");
  const std::vector<Batch> batches = {
      MakeBatch(a, 1, T0(), T0() + 1s,
                {MakeReading("AA:BB:CC:DD:EE:01", -50), MakeReading("AA:BB:CC:DD:EE:02", -80)}),
      MakeBatch(b, 1, T0(), T0() + 2s,
                {MakeReading("AA:BB:CC:DD:EE:01", -58), MakeReading("AA:BB:CC:DD:EE:02", -70),
                 MakeReading("AA:BB:CC:DD:EE:03", -90)}),
      MakeBatch(c, 1, T0(), T0() + 3s, {MakeReading("AA:BB:CC:DD:EE:01", -75)}),
  };
  BestRssiMerge oracle;
  for (const Batch& batch : batches) {
    ASSERT_TRUE(store_->StageBatch(batch));
    AddToOracle(oracle, batch);
  }
  ProcessAll(a, T0());
  const auto stored = AsMap(AllSightings());
  EXPECT_EQ(stored, oracle.Result()) << "store:\n"
                                     << Describe(stored) << "oracle:\n"
                                     << Describe(oracle.Result());
  // Spelled out once, so a wrong oracle cannot hide a wrong store.
  const auto mac1 = *MacAddress::Parse("AA:BB:CC:DD:EE:01");
  const Sighting& s = stored.at({mac1, T0()});
  EXPECT_EQ(s.monitor_id, a);
  EXPECT_EQ(s.rssi, -50);
  EXPECT_EQ(s.margin_db, 8);
  EXPECT_EQ(s.monitors_heard, 3);
  const auto mac3 = *MacAddress::Parse("AA:BB:CC:DD:EE:03");
  EXPECT_EQ(stored.at({mac3, T0()}).margin_db, std::nullopt);
  EXPECT_EQ(stored.at({mac3, T0()}).monitors_heard, 1);
}

TEST_P(AStore, KeepsTheEarlierReadingOnEqualRssi) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  store_->StageBatch(MakeBatch(b, 1, T0(), T0() + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  store_->StageBatch(MakeBatch(a, 1, T0(), T0() + 5s, {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  ProcessAll(a, T0());
  const auto stored = AllSightings();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].sighting.monitor_id, b);
  EXPECT_EQ(stored[0].sighting.scan_time, T0() + 2s);
  EXPECT_EQ(stored[0].sighting.margin_db, 0);
}

TEST_P(AStore, KeepsTheLowerMonitorIdOnEqualRssiAndTime) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const MonitorId low = std::min(a, b);
  const MonitorId high = std::max(a, b);
  store_->StageBatch(MakeBatch(high, 1, T0(), T0() + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  ProcessAll(a, T0());
  store_->StageBatch(MakeBatch(low, 1, T0(), T0() + 2s, {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  ProcessAll(a, T0());
  const auto stored = AllSightings();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].sighting.monitor_id, low);
}

TEST_P(AStore, NeverReplacesABetterReadingWithALateWorseOne) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  store_->StageBatch(MakeBatch(a, 1, T0(), T0() + 1s, {MakeReading("AA:BB:CC:DD:EE:01", -55)}));
  ProcessAll(a, T0());
  // Late, worse, from a monitor whose spool was replayed after the interval was processed.
  store_->StageBatch(MakeBatch(b, 1, T0(), T0() + 1s, {MakeReading("AA:BB:CC:DD:EE:01", -75)}));
  EXPECT_THAT(store_->PendingIntervals(T0()), ElementsAre(T0()));
  ProcessAll(a, T0());
  const auto stored = AllSightings();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].sighting.monitor_id, a);
  EXPECT_EQ(stored[0].sighting.rssi, -55);
  EXPECT_EQ(stored[0].sighting.margin_db, 20);
  EXPECT_EQ(stored[0].sighting.monitors_heard, 2);
  EXPECT_THAT(store_->PendingIntervals(T0()), IsEmpty());
}

TEST_P(AStore, TakesALateBetterReadingForAnAlreadyProcessedInterval) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  store_->StageBatch(MakeBatch(a, 1, T0(), T0() + 1s, {MakeReading("AA:BB:CC:DD:EE:01", -75)}));
  ProcessAll(a, T0());
  store_->StageBatch(MakeBatch(b, 1, T0(), T0() + 1s, {MakeReading("AA:BB:CC:DD:EE:01", -55)}));
  const ProcessOutcome outcome = ProcessAll(a, T0());
  EXPECT_EQ(outcome.staging_rows, 1);
  EXPECT_EQ(outcome.sightings_changed, 1);
  EXPECT_EQ(outcome.devices_added, 0);
  const auto stored = AllSightings();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].sighting.monitor_id, b);
  EXPECT_EQ(stored[0].sighting.margin_db, 20);
  EXPECT_EQ(stored[0].sighting.monitors_heard, 2);
}

TEST_P(AStore, ReportsWhatProcessingDidAndChangesNothingTheSecondTime) {
  const MonitorId a = Register("kitchen");
  store_->StageBatch(
      MakeBatch(a, 1, T0(), T0(),
                {MakeReading("AA:BB:CC:DD:EE:01", -60), MakeReading("AA:BB:CC:DD:EE:02", -61),
                 MakeReading("AA:BB:CC:DD:EE:03", -62)}));
  const ProcessOutcome first = ProcessAll(a, T0());
  EXPECT_EQ(first.staging_rows, 3);
  EXPECT_EQ(first.devices_added, 3);
  EXPECT_EQ(first.sightings_changed, 3);
  const LeaseAnswer lease = store_->ClaimLease(a, Seconds(600));
  const ProcessOutcome again = store_->ProcessInterval(T0(), a, lease.epoch);
  EXPECT_EQ(again.staging_rows, 0);
  EXPECT_EQ(again.sightings_changed, 0);
  EXPECT_EQ(again.devices_added, 0);
  EXPECT_EQ(AllSightings().size(), 3u);
}

TEST_P(AStore, AddsUnknownMacsToDevicesAndLosesNone) {
  const MonitorId a = Register("kitchen");
  std::vector<Reading> readings;
  for (int i = 0; i < 50; ++i) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "C0:FF:EE:00:00:%02X", i);
    readings.push_back(MakeReading(mac, -40 - i));
  }
  store_->StageBatch(MakeBatch(a, 1, T0(), T0(), readings));
  EXPECT_EQ(store_->DeviceName(readings[0].mac), std::nullopt) << "known before processing";
  EXPECT_EQ(ProcessAll(a, T0()).devices_added, 50);
  for (const Reading& r : readings) {
    EXPECT_TRUE(store_->DeviceName(r.mac).has_value()) << r.mac.ToString();
  }
  EXPECT_EQ(AllSightings().size(), 50u);
}

TEST_P(AStore, TellsAnUnknownDeviceFromOneWithoutAName) {
  const MonitorId a = Register("kitchen");
  const auto nameless = *MacAddress::Parse("AA:BB:CC:DD:EE:01");
  store_->StageBatch(MakeBatch(a, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  ProcessAll(a, T0());
  const auto name = store_->DeviceName(nameless);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, std::nullopt);
  EXPECT_EQ(store_->DeviceName(*MacAddress::Parse("AA:BB:CC:DD:EE:99")), std::nullopt);
}

TEST_P(AStore, KeepsTheLatestNonEmptyName) {
  const MonitorId a = Register("kitchen");
  const auto mac = "AA:BB:CC:DD:EE:01";
  const UtcTime i1 = T0();
  const UtcTime i2 = T0() + kInterval;
  const UtcTime i3 = T0() + 2 * kInterval;
  store_->StageBatch(MakeBatch(a, 2, i2, i2 + 1s, {MakeReading(mac, -60, "Watch v2")}));
  ProcessAll(a, i2);
  EXPECT_EQ(store_->DeviceName(*MacAddress::Parse(mac)), std::optional<std::string>("Watch v2"));
  // An older interval processed late must not bring back its older name.
  store_->StageBatch(MakeBatch(a, 1, i1, i1 + 1s, {MakeReading(mac, -60, "Watch v1")}));
  ProcessAll(a, i3);
  EXPECT_EQ(store_->DeviceName(*MacAddress::Parse(mac)), std::optional<std::string>("Watch v2"));
  // A newer reading without a name keeps the name.
  store_->StageBatch(MakeBatch(a, 3, i3, i3 + 1s, {MakeReading(mac, -60)}));
  ProcessAll(a, i3);
  EXPECT_EQ(store_->DeviceName(*MacAddress::Parse(mac)), std::optional<std::string>("Watch v2"));
  store_->StageBatch(MakeBatch(a, 4, i3, i3 + 2s, {MakeReading(mac, -60, "Watch v3")}));
  ProcessAll(a, i3);
  EXPECT_EQ(store_->DeviceName(*MacAddress::Parse(mac)), std::optional<std::string>("Watch v3"));
}

TEST_P(AStore, StoresHostileNamesVerbatimOrSanitised) {
  const MonitorId a = Register("kitchen");
  const std::vector<std::string> raw = {
      "O'Brien's \"phone\"; DROP TABLE ble_devices; --",
      "back\\slash \\' \\\" \\0",
      "100% _wild_ %s %n",
      "emoji \xF0\x9F\xA6\xB7\xF0\x9F\x93\xA1 done",
      std::string(10 * 1024, 'x') + "tail",
      "\x1B[31mred\x1B[0m \x1B]0;title\x07 bell\x07",
      "bad utf8 \xC3\x28 \xFF end",
  };
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "DE:AD:BE:EF:00:%02X", static_cast<unsigned>(i));
    readings.push_back(MakeReading(mac, -60, SanitizeDeviceName(raw[i])));
  }
  ASSERT_TRUE(store_->StageBatch(MakeBatch(a, 1, T0(), T0(), readings)));
  ProcessAll(a, T0());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto name = store_->DeviceName(readings[i].mac);
    ASSERT_TRUE(name.has_value()) << i;
    EXPECT_EQ(*name, SanitizeDeviceName(raw[i])) << "name " << i;
  }
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM ble_devices"), std::to_string(raw.size()));
}

TEST_P(AStore, StoresHostileMonitorNamesVerbatim) {
  const std::string name = "Bob's \"lab\" \\ 100% \xF0\x9F\x93\xA1";
  const MonitorId id = Register(name, "Caf\xC3\xA9 'back' room");
  EXPECT_EQ(Register(name, "Caf\xC3\xA9 'back' room"), id);
  EXPECT_EQ(harness_->QueryScalar("SELECT location FROM monitors WHERE monitor_id = " +
                                  std::to_string(id)),
            "Caf\xC3\xA9 'back' room");
}

// The property the whole design rests on: whatever the batching, order, resends and late rows,
// device_sightings ends up equal to the oracle's merge of every distinct batch.
TEST_P(AStore, MatchesTheOracleForRandomBatchesResendsAndLateRows) {
  std::vector<MonitorId> monitors;
  for (int m = 0; m < 5; ++m) monitors.push_back(Register("monitor-" + std::to_string(m)));
  std::vector<std::string> macs;
  for (int d = 0; d < 24; ++d) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "02:00:00:00:%02X:%02X", d / 7, d);
    macs.push_back(mac);
  }
  for (unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    if (seed != 1u) {
      harness_->Reset();
      store_ = harness_->Open();
      monitors.clear();
      for (int m = 0; m < 5; ++m) monitors.push_back(Register("monitor-" + std::to_string(m)));
    }
    std::mt19937 rng(seed);
    auto uniform = [&rng](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    std::vector<Batch> batches;
    std::int64_t seq = 1;
    for (int interval = 0; interval < 4; ++interval) {
      const UtcTime start = T0() + interval * kInterval;
      for (MonitorId monitor : monitors) {
        const int scans = uniform(1, 2);  // a second scan of the same interval happens (--single)
        for (int scan = 0; scan < scans; ++scan) {
          std::vector<Reading> readings;
          for (const std::string& mac : macs) {
            // A narrow RSSI range and few scan times make ties common.
            if (uniform(0, 2) != 0) readings.push_back(MakeReading(mac, uniform(-70, -60)));
          }
          const UtcTime scan_time = start + Seconds(uniform(0, 3));
          // Split the scan into 1-3 batches.
          std::shuffle(readings.begin(), readings.end(), rng);
          const int parts = uniform(1, 3);
          for (int p = 0; p < parts; ++p) {
            std::vector<Reading> part;
            for (std::size_t i = p; i < readings.size(); i += parts) part.push_back(readings[i]);
            batches.push_back(MakeBatch(monitor, seq++, start, scan_time, part));
          }
        }
      }
    }
    std::shuffle(batches.begin(), batches.end(), rng);
    BestRssiMerge oracle;
    for (const Batch& b : batches) AddToOracle(oracle, b);

    const MonitorId processor = monitors[0];
    const std::int64_t epoch = store_->ClaimLease(processor, Seconds(600)).epoch;
    const UtcTime latest = T0() + 3 * kInterval;
    int resends = 0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      ASSERT_TRUE(store_->StageBatch(batches[i]));
      if (uniform(0, 4) == 0) {  // a resend of an earlier batch: must change nothing
        ++resends;
        EXPECT_FALSE(store_->StageBatch(batches[uniform(0, static_cast<int>(i))]));
      }
      if (uniform(0, 5) == 0) {  // the processor runs meanwhile: later batches arrive late
        for (UtcTime t : store_->PendingIntervals(latest)) {
          store_->ProcessInterval(t, processor, epoch);
        }
      }
    }
    for (UtcTime t : store_->PendingIntervals(latest)) store_->ProcessInterval(t, processor, epoch);
    EXPECT_GT(resends, 0);
    EXPECT_THAT(store_->PendingIntervals(latest), IsEmpty());
    const auto stored = AsMap(AllSightings());
    EXPECT_EQ(stored.size(), oracle.Result().size());
    EXPECT_TRUE(stored == oracle.Result()) << "store:\n"
                                           << Describe(stored) << "oracle:\n"
                                           << Describe(oracle.Result());
  }
}

// --- processor lease ----------------------------------------------------------------------------

TEST_P(AStore, GrantsTheLeaseToTheFirstClaimerAndNamesItToOthers) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const LeaseAnswer first = store_->ClaimLease(a, Seconds(600));
  EXPECT_TRUE(first.granted);
  EXPECT_EQ(first.holder, a);
  EXPECT_GT(first.epoch, 0);
  EXPECT_GE(first.remaining, Seconds(598));
  const LeaseAnswer second = harness_->Open()->ClaimLease(b, Seconds(600));
  EXPECT_FALSE(second.granted);
  EXPECT_EQ(second.holder, a);
  EXPECT_EQ(second.holder_name, "kitchen");
  EXPECT_EQ(second.epoch, first.epoch);
  EXPECT_GT(second.remaining, Seconds(0));
}

TEST_P(AStore, RenewalKeepsTheEpoch) {
  const MonitorId a = Register("kitchen");
  const LeaseAnswer first = store_->ClaimLease(a, Seconds(600));
  const LeaseAnswer renewed = store_->ClaimLease(a, Seconds(600));
  EXPECT_TRUE(renewed.granted);
  EXPECT_EQ(renewed.epoch, first.epoch);
}

TEST_P(AStore, GivesANewHolderAHigherEpoch) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const LeaseAnswer first = store_->ClaimLease(a, Seconds(600));
  store_->ReleaseLease(a, first.epoch);
  const LeaseAnswer second = store_->ClaimLease(b, Seconds(600));
  EXPECT_TRUE(second.granted);
  EXPECT_GT(second.epoch, first.epoch);
  const LeaseAnswer third = store_->ClaimLease(a, Seconds(600));
  EXPECT_FALSE(third.granted);
}

TEST_P(AStore, IgnoresAReleaseUnderAStaleEpochOrByAnotherMonitor) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  const LeaseAnswer lease = store_->ClaimLease(a, Seconds(600));
  store_->ReleaseLease(a, lease.epoch - 1);
  store_->ReleaseLease(b, lease.epoch);
  EXPECT_EQ(store_->Lease().holder, a);
  EXPECT_FALSE(store_->ClaimLease(b, Seconds(600)).granted);
}

TEST_P(AStore, ReportsTheLeaseStatusOnTheStoreClock) {
  const MonitorId a = Register("kitchen");
  const LeaseStatus none = store_->Lease();
  EXPECT_EQ(none.holder, std::nullopt);
  const LeaseAnswer lease = store_->ClaimLease(a, Seconds(600));
  const LeaseStatus status = store_->Lease();
  EXPECT_EQ(status.holder, a);
  EXPECT_EQ(status.holder_name, "kitchen");
  EXPECT_EQ(status.epoch, lease.epoch);
  ASSERT_TRUE(status.claimed_at && status.expires_at);
  EXPECT_LE(*status.claimed_at, status.store_now);
  EXPECT_GE(*status.expires_at - status.store_now, Seconds(595));
  EXPECT_LE(*status.expires_at - status.store_now, Seconds(600));
  store_->ReleaseLease(a, lease.epoch);
  EXPECT_EQ(store_->Lease().holder, std::nullopt);
}

TEST_P(AStore, HandsAnExpiredLeaseToTheNextClaimerAndFencesTheOldHolder) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  store_->StageBatch(MakeBatch(a, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  const LeaseAnswer old_lease = store_->ClaimLease(a, Seconds(1));
  ASSERT_TRUE(old_lease.granted);
  std::this_thread::sleep_for(2100ms);  // the store's clock has one-second resolution
  auto other = harness_->Open();
  const LeaseAnswer new_lease = other->ClaimLease(b, Seconds(600));
  ASSERT_TRUE(new_lease.granted);
  EXPECT_GT(new_lease.epoch, old_lease.epoch);
  EXPECT_THROW(store_->ProcessInterval(T0(), a, old_lease.epoch), LeaseLost);
  EXPECT_THAT(AllSightings(), IsEmpty());
  EXPECT_THAT(store_->PendingIntervals(T0()), ElementsAre(T0()));
  // The new holder processes normally.
  EXPECT_EQ(other->ProcessInterval(T0(), b, new_lease.epoch).staging_rows, 1);
}

TEST_P(AStore, RefusesProcessingUnderAnEpochItDoesNotHold) {
  const MonitorId a = Register("kitchen");
  const MonitorId b = Register("hall");
  store_->StageBatch(MakeBatch(a, 1, T0(), T0(), {MakeReading("AA:BB:CC:DD:EE:01", -60)}));
  const LeaseAnswer lease = store_->ClaimLease(a, Seconds(600));
  EXPECT_THROW(store_->ProcessInterval(T0(), a, lease.epoch + 1), LeaseLost);
  EXPECT_THROW(store_->ProcessInterval(T0(), b, lease.epoch), LeaseLost);
  store_->ReleaseLease(a, lease.epoch);
  EXPECT_THROW(store_->ProcessInterval(T0(), a, lease.epoch), LeaseLost);
  EXPECT_THAT(AllSightings(), IsEmpty());
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM sighting_staging WHERE processed = 0"),
            "1");
}

TEST_P(AStore, GrantsExactlyOneOfSimultaneousClaims) {
  constexpr int kClaimers = 8;
  std::vector<MonitorId> ids;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kClaimers; ++i) {
    ids.push_back(Register("claimer-" + std::to_string(i)));
    stores.push_back(harness_->Open());
    stores.back()->Lease();  // connect before the race, so the race is about the claim
  }
  std::int64_t last_epoch = 0;
  for (int round = 0; round < 5; ++round) {
    std::latch start(kClaimers);
    std::vector<LeaseAnswer> answers(kClaimers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaimers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        answers[i] = stores[i]->ClaimLease(ids[i], Seconds(600));
      });
    }
    for (auto& t : threads) t.join();
    int winners = 0;
    for (const auto& a : answers) winners += a.granted ? 1 : 0;
    ASSERT_EQ(winners, 1) << "round " << round;
    const auto winner = std::find_if(answers.begin(), answers.end(),
                                     [](const LeaseAnswer& a) { return a.granted; });
    for (const auto& a : answers) EXPECT_EQ(a.holder, winner->holder);
    EXPECT_GT(winner->epoch, last_epoch);
    last_epoch = winner->epoch;
    store_->ReleaseLease(*winner->holder, winner->epoch);
  }
}

}  // namespace blemon::testing
