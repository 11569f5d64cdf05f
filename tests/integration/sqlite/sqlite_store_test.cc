#include "blemon/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "blemon/errors.h"
#include "sqlite_test_support.h"

namespace blemon::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::Fork;
using testing::HostileStrings;
using testing::MakeMac;
using testing::MakeReading;
using testing::QueryScalar;
using testing::TempDir;
using testing::Wait;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'000));  // 2026-02-25, a multiple of 300

MonitorInfo Named(std::string name) { return MonitorInfo(std::move(name), "", ""); }

// MakeReading without a monitor's beacon: these tests count devices, and a beacon is staged as a
// beacon observation instead (schema version 13; calibration_store_contract.cc).
Reading DeviceReading(int i, int rssi, std::optional<std::string> name = std::nullopt) {
  Reading reading = testing::MakeReading(i, rssi, std::move(name));
  reading.payload.monitor_beacon.reset();
  return reading;
}

class ASqliteStore : public ::testing::Test {
 protected:
  std::string Scalar(const std::string& sql) { return QueryScalar(path_, sql); }

  TempDir dir_;
  std::string path_ = dir_.File("blemon.db");
};

// Child processes block on a pipe until the parent closes it, so they start their race together.
class StartingGun {
 public:
  StartingGun() {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe failed");
  }
  ~StartingGun() {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  void WaitInChild() {
    close(fds_[1]);
    char c;
    while (read(fds_[0], &c, 1) > 0) {
    }
  }
  void Fire() {
    close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2];
};

TEST_F(ASqliteStore, StagesEveryBatchFromSeveralProcessesOnAFreshFile) {
  constexpr int kProcesses = 4;
  constexpr int kBatches = 15;
  constexpr int kReadings = 40;
  StartingGun gun;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(Fork([&, p] {
      gun.WaitInChild();
      // Every child opens the missing file at once: the schema must be created exactly once.
      auto store = OpenStore(path_);
      const auto id = store->RegisterMonitor(Named("monitor " + std::to_string(p)));
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Reading> readings;
        for (int i = 0; i < kReadings; ++i) readings.push_back(DeviceReading(i, -30 - p - b));
        const Batch batch{.monitor_id = id,
                          .batch_seq = b + 1,
                          .interval_start = kT0 + b * 300s,
                          .scan_time = kT0 + b * 300s + 1s,
                          .readings = readings};
        if (!store->StageBatch(batch)) return 3;
        if (store->StageBatch(batch)) return 4;  // a resend stores nothing
      }
      return 0;
    }));
  }
  gun.Fire();
  for (auto pid : children) EXPECT_EQ(Wait(pid), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM sighting_staging"),
            std::to_string(kProcesses * kBatches * kReadings));
  EXPECT_EQ(Scalar("SELECT count(*) FROM staging_batches"), std::to_string(kProcesses * kBatches));
  EXPECT_EQ(Scalar("SELECT count(*) FROM monitors"), std::to_string(kProcesses));
  // Every migration applied, by whichever process came first: the same versions as a file one
  // process made alone. (Not count(*) = max(version): a number reserved for another branch's
  // migration may be missing until that branch lands.)
  const std::string alone = dir_.File("alone.db");
  OpenStore(alone);
  const std::string versions =
      "SELECT group_concat(version) FROM (SELECT version FROM "
      "schema_version ORDER BY version)";
  EXPECT_EQ(Scalar(versions), QueryScalar(alone, versions));
}

TEST_F(ASqliteStore, GrantsTheLeaseToExactlyOneOfSeveralRacingProcesses) {
  constexpr int kProcesses = 6;
  for (int round = 0; round < 3; ++round) {
    const auto path = dir_.File("race" + std::to_string(round) + ".db");
    std::vector<MonitorId> ids;
    {
      auto store = OpenStore(path);
      for (int p = 0; p < kProcesses; ++p) {
        ids.push_back(store->RegisterMonitor(Named("m" + std::to_string(p))));
      }
    }  // no connection may cross fork()
    StartingGun gun;
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
      children.push_back(Fork([&, p] {
        auto store = OpenStore(path);
        gun.WaitInChild();
        const auto answer = store->ClaimLease(ids[p], 60s);
        if (!answer.granted) return answer.holder && *answer.holder != ids[p] ? 1 : 5;
        return answer.epoch == 1 ? 0 : 6;
      }));
    }
    gun.Fire();
    std::multiset<int> codes;
    for (auto pid : children) codes.insert(Wait(pid));
    EXPECT_EQ(codes.count(0), 1u) << "round " << round;
    EXPECT_EQ(codes.count(1), kProcesses - 1u) << "round " << round;
    EXPECT_EQ(QueryScalar(path, "SELECT count(*) FROM monitors WHERE is_processor"), "1");
    EXPECT_EQ(QueryScalar(path,
                          "SELECT count(*) FROM monitors m JOIN processor_lease l "
                          "ON l.holder_monitor_id = m.monitor_id WHERE m.is_processor "
                          "AND m.processor_claimed_at IS NOT NULL"),
              "1");
  }
}

// Several staging processes and one processor at once: writers never deadlock (BEGIN IMMEDIATE)
// and what gets processed matches the oracle.
TEST_F(ASqliteStore, ProcessesWhileOtherProcessesStage) {
  std::vector<MonitorId> ids;
  {
    auto store = OpenStore(path_);
    for (int p = 0; p < 3; ++p) ids.push_back(store->RegisterMonitor(Named(std::to_string(p))));
  }
  StartingGun gun;
  std::vector<pid_t> children;
  for (int p = 0; p < 3; ++p) {
    children.push_back(Fork([&, p] {
      auto store = OpenStore(path_);
      gun.WaitInChild();
      for (int b = 0; b < 10; ++b) {
        std::vector<Reading> readings;
        for (int i = 0; i < 30; ++i)
          readings.push_back(DeviceReading(i, -40 - (i * 7 + p * 3) % 50));
        store->StageBatch({.monitor_id = ids[p],
                           .batch_seq = b,
                           .interval_start = kT0 + b * 300s,
                           .scan_time = kT0 + b * 300s + Seconds(p),
                           .readings = readings});
      }
      return 0;
    }));
  }
  auto processor = OpenStore(path_);
  const auto lease = processor->ClaimLease(ids[0], 600s);
  ASSERT_TRUE(lease.granted);
  gun.Fire();
  for (int pass = 0; pass < 20; ++pass) {
    for (auto interval : processor->PendingIntervals(kT0 + 3000s)) {
      processor->ProcessInterval(interval, ids[0], lease.epoch);
    }
  }
  for (auto pid : children) EXPECT_EQ(Wait(pid), 0);
  for (auto interval : processor->PendingIntervals(kT0 + 3000s)) {
    processor->ProcessInterval(interval, ids[0], lease.epoch);
  }
  BestRssiMerge oracle;
  for (int p = 0; p < 3; ++p) {
    for (int b = 0; b < 10; ++b) {
      for (int i = 0; i < 30; ++i) {
        oracle.Add(StagedReading{.monitor_id = ids[p],
                                 .mac = MakeMac(i),
                                 .interval_start = kT0 + b * 300s,
                                 .rssi = -40 - (i * 7 + p * 3) % 50,
                                 .scan_time = kT0 + b * 300s + Seconds(p),
                                 .offset_tenths = 0});
      }
    }
  }
  std::map<BestRssiMerge::Key, Sighting> stored;
  for (const auto& s : processor->Sightings(kT0, kT0 + 3000s)) {
    stored.emplace(BestRssiMerge::Key{s.mac, s.interval_start}, s.sighting);
  }
  EXPECT_EQ(stored, oracle.Result());
  EXPECT_EQ(Scalar("SELECT count(*) FROM sighting_staging WHERE NOT processed"), "0");
}

// Random readings, staged in random batches with late rows after processing, must give exactly
// what the domain's oracle gives.
TEST_F(ASqliteStore, KeepsWhatTheBestRssiOracleKeepsIncludingLateRows) {
  auto store = OpenStore(path_);
  std::vector<MonitorId> ids;
  for (int p = 0; p < 4; ++p) ids.push_back(store->RegisterMonitor(Named(std::to_string(p))));
  const auto lease = store->ClaimLease(ids[0], 600s);
  std::mt19937 random(20260225);
  BestRssiMerge oracle;
  std::int64_t seq = 0;
  for (int round = 0; round < 6; ++round) {
    for (int batch = 0; batch < 8; ++batch) {
      const auto monitor = ids[random() % ids.size()];
      const auto interval = kT0 + static_cast<int>(random() % 3) * 300s;
      // Few distinct RSSI values and scan times, so ties on both are common.
      const auto scan_time = interval + Seconds(random() % 3);
      Batch b{.monitor_id = monitor,
              .batch_seq = ++seq,
              .interval_start = interval,
              .scan_time = scan_time,
              .readings = {}};
      for (int i = 0; i < 12; ++i) {
        if (random() % 2) continue;
        const int rssi = -60 + static_cast<int>(random() % 4);
        b.readings.push_back(DeviceReading(i, rssi));
        oracle.Add(StagedReading{.monitor_id = monitor,
                                 .mac = MakeMac(i),
                                 .interval_start = interval,
                                 .rssi = rssi,
                                 .scan_time = scan_time,
                                 .offset_tenths = 0});
      }
      ASSERT_TRUE(store->StageBatch(b));
    }
    for (auto interval : store->PendingIntervals(kT0 + 600s)) {
      store->ProcessInterval(interval, ids[0], lease.epoch);
    }
    std::map<BestRssiMerge::Key, Sighting> stored;
    for (const auto& s : store->Sightings(kT0, kT0 + 900s)) {
      stored.emplace(BestRssiMerge::Key{s.mac, s.interval_start}, s.sighting);
    }
    ASSERT_EQ(stored, oracle.Result()) << "after round " << round;
  }
}

TEST_F(ASqliteStore, RollsBackProcessingUnderAnExpiredLease) {
  auto store = OpenStore(path_);
  const auto id = store->RegisterMonitor(Named("p"));
  store->StageBatch({.monitor_id = id,
                     .batch_seq = 1,
                     .interval_start = kT0,
                     .scan_time = kT0,
                     .readings = {DeviceReading(1, -50)}});
  const auto lease = store->ClaimLease(id, 600s);
  ASSERT_TRUE(lease.granted);
  Scalar("UPDATE processor_lease SET expires_at = datetime('now', '-1 seconds')");
  EXPECT_THROW(store->ProcessInterval(kT0, id, lease.epoch), LeaseLost);
  EXPECT_EQ(Scalar("SELECT count(*) FROM sighting_staging WHERE NOT processed"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM device_sightings"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM ble_devices"), "0");
}

TEST_F(ASqliteStore, ReleasesTheLeaseWhenTheDocumentedTroubleshootingSqlClearsTheClaim) {
  auto store = OpenStore(path_);
  const auto old_holder = store->RegisterMonitor(Named("old"));
  const auto next = store->RegisterMonitor(Named("next"));
  const auto first = store->ClaimLease(old_holder, 600s);
  ASSERT_TRUE(first.granted);
  EXPECT_FALSE(store->ClaimLease(next, 600s).granted);
  // The original README's fix for a stale claim, in SQLite's date syntax.
  Scalar(
      "UPDATE monitors SET is_processor = FALSE, processor_claimed_at = NULL "
      "WHERE processor_claimed_at < datetime('now', '+1 minutes')");
  const auto second = store->ClaimLease(next, 600s);
  EXPECT_TRUE(second.granted);
  EXPECT_GT(second.epoch, first.epoch);
  EXPECT_THROW(store->ProcessInterval(kT0, old_holder, first.epoch), LeaseLost);
}

TEST_F(ASqliteStore, RoundTripsHostileNamesByteForByte) {
  auto store = OpenStore(path_);
  const auto id = store->RegisterMonitor(MonitorInfo("Kitchen's \"🍳\" 100%", "'; --", "%_\\"));
  EXPECT_EQ(store->RegisterMonitor(Named("Kitchen's \"🍳\" 100%")), id);
  const auto names = HostileStrings();
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < names.size(); ++i) {
    readings.push_back(DeviceReading(static_cast<int>(i), -50, names[i]));
  }
  store->StageBatch({.monitor_id = id,
                     .batch_seq = 1,
                     .interval_start = kT0,
                     .scan_time = kT0,
                     .readings = readings});
  const auto lease = store->ClaimLease(id, 600s);
  store->ProcessInterval(kT0, id, lease.epoch);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto name = store->DeviceName(MakeMac(static_cast<int>(i)));
    ASSERT_TRUE(name && *name);
    EXPECT_EQ(**name, names[i]);
  }
  EXPECT_EQ(Scalar("SELECT monitor_name FROM monitors"), "Kitchen's \"🍳\" 100%");
}

TEST_F(ASqliteStore, KeepsTheNameHeardLatestWhenAnOldIntervalArrivesLate) {
  auto store = OpenStore(path_);
  const auto id = store->RegisterMonitor(Named("p"));
  const auto lease = store->ClaimLease(id, 600s);
  store->StageBatch({.monitor_id = id,
                     .batch_seq = 2,
                     .interval_start = kT0 + 300s,
                     .scan_time = kT0 + 301s,
                     .readings = {DeviceReading(1, -50, "new name")}});
  store->ProcessInterval(kT0 + 300s, id, lease.epoch);
  store->StageBatch({.monitor_id = id,
                     .batch_seq = 1,
                     .interval_start = kT0,
                     .scan_time = kT0 + 1s,
                     .readings = {DeviceReading(1, -50, "old name")}});
  store->ProcessInterval(kT0, id, lease.epoch);
  EXPECT_EQ(store->DeviceName(MakeMac(1)), std::optional<std::optional<std::string>>("new name"));
}

std::string ReadSchemaFile(const std::string& name) {
  std::ifstream in(std::string(BLEMON_SQLITE_SCHEMA_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST_F(ASqliteStore, UpgradesAVersionThreeFileWithItsDataAndItsRowsStillProcess) {
  // Version 3 as the blemon before the payload left it, with a processed interval and an
  // unprocessed batch of the next one.
  for (const char* file : {"001_initial.sql", "002_scan_health.sql", "003_processing_runs.sql"}) {
    testing::ExecScript(path_, ReadSchemaFile(file));
  }
  testing::ExecScript(path_, R"sql(
    INSERT INTO monitors (monitor_name) VALUES ('kitchen');
    INSERT INTO ble_devices (mac_address, first_seen, last_seen)
      VALUES ('AA:BB:CC:DD:EE:01', '2026-02-25 06:13:20', '2026-02-25 06:13:20');
    INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp)
      VALUES (1, 1, -60, '2026-02-25 06:13:20', '2026-02-25 06:13:20');
    INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp,
                                  processed, batch_seq, address_class, advert_count, tx_power)
      VALUES ('AA:BB:CC:DD:EE:01', 1, -60, '2026-02-25 06:13:20', '2026-02-25 06:13:20', 1, 5,
              'public', 2, -4),
             ('AA:BB:CC:DD:EE:02', 1, -70, '2026-02-25 06:18:20', '2026-02-25 06:18:21', 0, 6,
              'public', 2, -4);
  )sql");
  const std::string counts =
      "SELECT (SELECT count(*) FROM ble_devices) || ',' || (SELECT count(*) FROM "
      "device_sightings) || ',' || (SELECT count(*) FROM sighting_staging)";
  ASSERT_EQ(Scalar(counts), "1,1,2");

  auto store = OpenStore(path_);
  // Brought to the newest version: the one a new file gets.
  const std::string fresh = path_ + ".fresh";
  OpenStore(fresh);
  const std::string newest = "SELECT max(version) FROM schema_version";
  EXPECT_EQ(Scalar(newest), QueryScalar(fresh, newest));
  EXPECT_NE(Scalar(newest), "3");
  EXPECT_EQ(Scalar(counts), "1,1,2") << "the upgrade kept the data";
  const auto staged = store->StagedBatches(kT0 + 300s);
  ASSERT_EQ(staged.size(), 1u);
  EXPECT_EQ(staged[0].batch_seq, 6);
  ASSERT_EQ(staged[0].readings.size(), 1u);
  EXPECT_EQ(staged[0].readings[0].payload, AdvertPayload{});
  EXPECT_EQ(staged[0].readings[0].tx_power, -4);
  const auto lease = store->ClaimLease(1, 600s);
  EXPECT_EQ(store->ProcessInterval(kT0 + 300s, 1, lease.epoch).devices_added, 1);
}

TEST_F(ASqliteStore, RefusesASchemaNewerThanItKnows) {
  OpenStore(path_);
  Scalar("INSERT INTO schema_version (version, description) VALUES (999, 'from the future')");
  try {
    OpenStore(path_);
    FAIL() << "opened a schema from the future";
  } catch (const Refused& e) {
    EXPECT_NE(std::string(e.what()).find("999"), std::string::npos) << e.what();
  }
}

TEST_F(ASqliteStore, RefusesADatabaseItDidNotCreate) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE inventory (item TEXT)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_THROW(OpenStore(path_), Refused);
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_schema"), "1");  // and left it alone
}

TEST_F(ASqliteStore, IsUnavailableWhileAnotherProcessHoldsTheWriteLock) {
  auto store = OpenStore(path_);
  const auto id = store->RegisterMonitor(Named("p"));
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t holder = Fork([&] {
    close(fds[0]);
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    char ready = 1;
    if (write(fds[1], &ready, 1) != 1) return 2;
    std::this_thread::sleep_for(6s);  // longer than the 5 s busy timeout
    return 0;
  });
  close(fds[1]);
  char ready = 0;
  ASSERT_EQ(read(fds[0], &ready, 1), 1);
  close(fds[0]);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(store->Heartbeat(id, true), Unavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(Wait(holder), 0);
  EXPECT_NO_THROW(store->Heartbeat(id, true));
}

}  // namespace
}  // namespace blemon::sqlite
