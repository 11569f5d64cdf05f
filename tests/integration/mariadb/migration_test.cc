// Migrations against a real server: a fresh database and a version-0 database (the original
// tool's schema, with its data) upgraded in place end in the same schema; the original tool's
// statements and the README's SQL keep working afterwards; newer or unknown versions are refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"
#include "migrations.h"
#include "sql_script.h"

namespace blemon::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces every occurrence of `from` in `text`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

class MigrationTest : public ::testing::Test {
 protected:
  MigrationTest() : peer_(MariaDbPeer::FromEnvironment()) {}

  // A new, empty database; returns settings for it (admin user).
  DatabaseSettings NewDatabase(const std::string& tag) {
    DatabaseSettings settings = peer_.Admin(UniqueDatabaseName(tag));
    TestSql(peer_.Admin(""), false)
        .Exec("CREATE DATABASE `" + settings.database + "` CHARACTER SET utf8mb4");
    databases_.push_back(settings.database);
    return settings;
  }
  ~MigrationTest() override {
    try {
      TestSql admin(peer_.Admin(""), false);
      for (const auto& db : databases_) admin.Exec("DROP DATABASE IF EXISTS `" + db + "`");
    } catch (const std::exception&) {
      // The fixture's teardown removes the server anyway.
    }
  }

  // Loads the original tool's schema (000_seed.sql) the way its users did: as a script.
  static void LoadSeed(TestSql& sql, const std::string& replace_from = "",
                       const std::string& replace_to = "") {
    std::string seed = ReadFile(BLEMON_MARIADB_SCHEMA_DIR "/000_seed.sql");
    ASSERT_FALSE(seed.empty());
    if (!replace_from.empty()) seed = ReplaceAll(seed, replace_from, replace_to);
    for (const std::string& statement : mariadb::SplitSqlScript(seed)) sql.Exec(statement);
  }

  // Everything about a schema that matters, with the database name taken out.
  static std::string SchemaDump(TestSql& sql, const std::string& db) {
    const std::string where = "'" + db + "'";
    std::string dump;
    auto add = [&](const std::string& title, const std::string& query) {
      dump += "== " + title + "\n";
      for (const auto& row : sql.Rows(query)) {
        for (const auto& value : row) dump += ReplaceAll(value, db, "<db>") + " | ";
        dump += "\n";
      }
    };
    add("tables",
        "SELECT table_name, table_type, engine, table_collation FROM "
        "information_schema.tables WHERE table_schema = " +
            where + " ORDER BY table_name");
    add("columns",
        "SELECT table_name, ordinal_position, column_name, column_type, is_nullable, "
        "column_default, extra, collation_name FROM information_schema.columns "
        "WHERE table_schema = " +
            where + " ORDER BY table_name, ordinal_position");
    add("indexes",
        "SELECT table_name, index_name, seq_in_index, column_name, non_unique FROM "
        "information_schema.statistics WHERE table_schema = " +
            where + " ORDER BY table_name, index_name, seq_in_index");
    add("foreign keys",
        "SELECT table_name, constraint_name, referenced_table_name, update_rule, delete_rule "
        "FROM information_schema.referential_constraints WHERE constraint_schema = " +
            where + " ORDER BY table_name, constraint_name");
    add("routines",
        "SELECT routine_name, routine_type, routine_definition FROM information_schema.routines "
        "WHERE routine_schema = " +
            where + " ORDER BY routine_name");
    add("views",
        "SELECT table_name, view_definition FROM information_schema.views "
        "WHERE table_schema = " +
            where + " ORDER BY table_name");
    add("triggers",
        "SELECT trigger_name, event_object_table, action_statement FROM "
        "information_schema.triggers WHERE trigger_schema = " +
            where + " ORDER BY trigger_name");
    add("versions", "SELECT version, name FROM `" + db + "`.schema_version ORDER BY version");
    return dump;
  }

  MariaDbPeer peer_;
  std::vector<std::string> databases_;
};

class AMigration : public MigrationTest {};
class AnUpgradedDatabase : public MigrationTest {
 protected:
  // A version-0 database with the original tool's data in it, then upgraded.
  void SetUp() override {
    settings_ = NewDatabase("upgraded");
    sql_ = std::make_unique<TestSql>(settings_);
    LoadSeed(*sql_);
    const auto result = mariadb::Migrate(settings_);
    ASSERT_EQ(result.from_version, 0);
  }
  DatabaseSettings settings_;
  std::unique_ptr<TestSql> sql_;
};

// The original tool's statements, as it sends them.
const char* const kOldRegister =
    "INSERT INTO monitors (monitor_name, location, description, is_active) "
    "VALUES ('{}', 'Living Room', 'old tool', TRUE) ON DUPLICATE KEY UPDATE "
    "location = VALUES(location), description = VALUES(description), "
    "is_active = VALUES(is_active), last_seen = CURRENT_TIMESTAMP";

std::string OldRegister(const std::string& name) { return ReplaceAll(kOldRegister, "{}", name); }
std::string OldStage(const std::string& mac, const std::string& name, const std::string& monitor,
                     int rssi, const std::string& interval) {
  return "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, "
         "interval_start, scan_timestamp) VALUES ('" +
         mac + "', " + name + ", " + monitor + ", " + std::to_string(rssi) + ", '" + interval +
         "', NOW())";
}

TEST_F(AMigration, CreatesTheNewestSchemaInAnEmptyDatabaseAndIsSafeToRerun) {
  const DatabaseSettings db = NewDatabase("fresh");
  const auto first = mariadb::Migrate(db);
  EXPECT_EQ(first.from_version, -1);
  EXPECT_GE(first.to_version, 1);
  const auto again = mariadb::Migrate(db);
  EXPECT_EQ(again.from_version, first.to_version);
  EXPECT_EQ(again.to_version, first.to_version);
}

TEST_F(AMigration, CreatesTheDatabaseItselfWhenMissing) {
  DatabaseSettings db = peer_.Admin(UniqueDatabaseName("created"));
  databases_.push_back(db.database);
  EXPECT_EQ(mariadb::Migrate(db).from_version, -1);
  // Every migration from the seed's version 0 to the newest, each recorded once. (Counted against
  // the embedded files, not MAX(version) + 1: a branch may carry its own number before the ones
  // below it are merged.)
  EXPECT_EQ(TestSql(db).Scalar("SELECT COUNT(*) FROM schema_version"),
            std::to_string(mariadb::Migrations().size()));
  EXPECT_EQ(TestSql(db).Scalar("SELECT MAX(version) FROM schema_version"),
            std::to_string(mariadb::LatestSchemaVersion()));
}

TEST_F(AMigration, UpgradesAVersionZeroDatabaseInPlaceToTheSameSchemaAsAFreshOne) {
  const DatabaseSettings fresh = NewDatabase("fresh");
  mariadb::Migrate(fresh);

  const DatabaseSettings old = NewDatabase("seed");
  TestSql sql(old);
  LoadSeed(sql);
  // The original tool at work: two monitors, a device it knew, a processed interval, and an
  // unprocessed row of a MAC it never added to ble_devices (which it would have lost).
  sql.Exec(OldRegister("RPi_Monitor_01"));
  sql.Exec(OldRegister("RPi_Monitor_02"));
  sql.Exec(
      "INSERT INTO ble_devices (mac_address, device_name) VALUES ('AA:BB:CC:DD:EE:01', "
      "'Phone')");
  sql.Exec(OldStage("AA:BB:CC:DD:EE:01", "'Phone'", "1", -60, "2026-03-01 10:00:00"));
  sql.Exec(OldStage("AA:BB:CC:DD:EE:01", "NULL", "2", -50, "2026-03-01 10:00:00"));
  sql.Exec("CALL process_interval_best_rssi('2026-03-01 10:00:00')");
  sql.Exec(OldStage("AA:BB:CC:DD:EE:02", "'Watch'", "1", -70, "2026-03-01 10:05:00"));
  const std::string before = sql.Scalar(
      "SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM monitors), (SELECT COUNT(*) FROM ble_devices), "
      "(SELECT COUNT(*) FROM device_sightings), (SELECT COUNT(*) FROM sighting_staging), "
      "(SELECT GROUP_CONCAT(monitor_id, ':', rssi) FROM device_sightings))");
  EXPECT_EQ(before, "2,1,1,3,2:-50");

  const auto result = mariadb::Migrate(old);
  EXPECT_EQ(result.from_version, 0);
  EXPECT_EQ(result.to_version, mariadb::Migrate(fresh).to_version);

  TestSql check(old);
  EXPECT_EQ(
      check.Scalar("SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM monitors), (SELECT COUNT(*) FROM "
                   "ble_devices), (SELECT COUNT(*) FROM device_sightings), (SELECT COUNT(*) FROM "
                   "sighting_staging), (SELECT GROUP_CONCAT(monitor_id, ':', rssi) FROM "
                   "device_sightings))"),
      before)
      << "the upgrade kept the data";
  TestSql admin(peer_.Admin(""), false);
  EXPECT_EQ(SchemaDump(admin, old.database), SchemaDump(admin, fresh.database));

  // The row the original tool would have lost is processed now.
  auto store = mariadb::OpenStore(old);
  const auto interval = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h + 5min;
  ASSERT_EQ(store->PendingIntervals(interval).size(), 1u);
  const auto lease = store->ClaimLease(1, Seconds(60));
  const auto outcome = store->ProcessInterval(interval, 1, lease.epoch);
  EXPECT_EQ(outcome.devices_added, 1);
  EXPECT_EQ(store->DeviceName(*MacAddress::Parse("AA:BB:CC:DD:EE:02")),
            std::optional<std::optional<std::string>>("Watch"));
}

TEST_F(AMigration, UpgradesAVersionThreeDatabaseWithItsDataAndItsRowsStillProcess) {
  const DatabaseSettings db = NewDatabase("v3");
  TestSql sql(db);
  // Version 3 as blemon-admin migrate left it before the payload: the files 000 to 003.
  for (const mariadb::Migration& m : mariadb::Migrations()) {
    if (m.version > 3) continue;
    for (const std::string& statement : mariadb::SplitSqlScript(m.sql)) sql.Exec(statement);
  }
  ASSERT_EQ(sql.Scalar("SELECT MAX(version) FROM schema_version"), "3");
  // Its monitors at work: a processed interval and an unprocessed batch of the next one.
  sql.Exec(OldRegister("RPi_Monitor_01"));
  const auto stage = [&](const std::string& mac, int rssi, const std::string& interval) {
    sql.Exec(
        "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, "
        "interval_start, scan_timestamp, batch_seq, advert_count, address_class, tx_power) "
        "VALUES ('" +
        mac + "', NULL, 1, " + std::to_string(rssi) + ", '" + interval + "', '" + interval +
        "', 5, 2, 'public', -4)");
  };
  stage("AA:BB:CC:DD:EE:01", -60, "2026-03-01 10:00:00");
  sql.Exec("CALL process_interval_best_rssi('2026-03-01 10:00:00')");
  stage("AA:BB:CC:DD:EE:02", -70, "2026-03-01 10:05:00");
  const std::string counts =
      "SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM ble_devices), (SELECT COUNT(*) FROM "
      "device_sightings), (SELECT COUNT(*) FROM sighting_staging), (SELECT SUM(processed) FROM "
      "sighting_staging))";
  EXPECT_EQ(sql.Scalar(counts), "1,1,2,1");

  const auto result = mariadb::Migrate(db);
  EXPECT_EQ(result.from_version, 3);
  EXPECT_EQ(result.to_version, 4);
  EXPECT_EQ(sql.Scalar(counts), "1,1,2,1") << "the upgrade kept the data";
  EXPECT_EQ(sql.Scalar("SELECT COUNT(*) FROM sighting_staging WHERE manufacturer_data IS NULL "
                       "AND company_ids IS NULL AND appearance IS NULL"),
            "2");

  // The unprocessed version-3 row reads back without payload and processes.
  auto store = mariadb::OpenStore(db);
  const UtcTime next = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h + 5min;
  const auto staged = store->StagedBatches(next);
  ASSERT_EQ(staged.size(), 1u);
  ASSERT_EQ(staged[0].readings.size(), 1u);
  EXPECT_EQ(staged[0].readings[0].payload, AdvertPayload{});
  EXPECT_EQ(staged[0].readings[0].tx_power, -4);
  const auto lease = store->ClaimLease(1, Seconds(60));
  EXPECT_EQ(store->ProcessInterval(next, 1, lease.epoch).devices_added, 1);
}

TEST_F(AMigration, SetsDeviceClassesInADatabaseWhoseDefaultCollationIsNotTheTables) {
  // As operations.md creates it: the database's default collation is utf8mb4_unicode_ci, the
  // tables' utf8mb4_general_ci. blemon_set_device_profile's MAC parameter must still compare.
  DatabaseSettings db = peer_.Admin(UniqueDatabaseName("unicode"));
  TestSql(peer_.Admin(""), false)
      .Exec("CREATE DATABASE `" + db.database +
            "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  databases_.push_back(db.database);
  mariadb::Migrate(db);
  auto store = mariadb::OpenStore(db);
  const MonitorId monitor = store->RegisterMonitor({"kitchen", "Kitchen", ""});
  const UtcTime t0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
  Reading airpods{.mac = *MacAddress::Parse("4A:00:00:00:00:07"),
                  .address_class = AddressClass::kResolvablePrivate,
                  .rssi = -55,
                  .advert_count = 1,
                  .name = std::nullopt,
                  .tx_power = std::nullopt,
                  .company_ids = {0x004C},
                  .payload = {.manufacturer_data = {{.company_id = 0x004C, .prefix = {0x07, 0x19}}},
                              .service_uuids = {},
                              .appearance = std::nullopt,
                              .monitor_beacon = std::nullopt}};
  ASSERT_TRUE(store->StageBatch({monitor, 1, t0, t0, {airpods}}));
  const auto lease = store->ClaimLease(monitor, Seconds(60));
  store->ProcessInterval(t0, monitor, lease.epoch);
  EXPECT_EQ(TestSql(db).Scalar("SELECT CONCAT(device_class, '/', vendor) FROM ble_devices"),
            "earbuds/Apple, Inc.");
}

TEST_F(AMigration, ConvertsAThreeByteUtf8SeedSoEmojiNamesAreStored) {
  const DatabaseSettings db = NewDatabase("utf8mb3");
  TestSql sql(db);
  LoadSeed(sql, "CHARSET=utf8mb4", "CHARSET=utf8mb3");
  ASSERT_THAT(sql.Scalar("SELECT table_collation FROM information_schema.tables WHERE "
                         "table_schema = DATABASE() AND table_name = 'ble_devices'"),
              HasSubstr("utf8mb3"));
  mariadb::Migrate(db);
  EXPECT_THAT(sql.Scalar("SELECT table_collation FROM information_schema.tables WHERE "
                         "table_schema = DATABASE() AND table_name = 'ble_devices'"),
              HasSubstr("utf8mb4"));
  auto store = mariadb::OpenStore(db);
  const MonitorId id = store->RegisterMonitor({"pi", "lab", ""});
  const auto t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
  Reading r{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
            .address_class = AddressClass::kPublic,
            .rssi = -50,
            .advert_count = 1,
            .name = "tag \xF0\x9F\x90\xBE",
            .tx_power = std::nullopt,
            .company_ids = {},
            .payload = {}};
  ASSERT_TRUE(store->StageBatch({id, 1, t, t, {r}}));
  store->ProcessInterval(t, id, store->ClaimLease(id, Seconds(60)).epoch);
  EXPECT_EQ(store->DeviceName(r.mac), std::optional<std::optional<std::string>>(r.name));
}

TEST_F(AMigration, TurnsALiveClaimOfTheOriginalToolIntoTheLease) {
  const DatabaseSettings db = NewDatabase("claimed");
  TestSql sql(db);
  LoadSeed(sql);
  sql.Exec(OldRegister("old-processor"));
  sql.Exec(
      "UPDATE monitors SET is_processor = TRUE, processor_claimed_at = NOW() - INTERVAL 2 "
      "MINUTE");
  mariadb::Migrate(db);
  auto store = mariadb::OpenStore(db);
  const LeaseStatus status = store->Lease();
  EXPECT_EQ(status.holder_name, "old-processor");
  ASSERT_TRUE(status.expires_at.has_value());
  EXPECT_GT(*status.expires_at, status.store_now);
  const MonitorId newcomer = store->RegisterMonitor({"new", "", ""});
  EXPECT_FALSE(store->ClaimLease(newcomer, Seconds(600)).granted);
}

TEST_F(AMigration, RefusesADatabaseWithoutTheSchema) {
  const DatabaseSettings db = NewDatabase("empty");
  auto store = mariadb::OpenStore(db);
  try {
    store->Lease();
    FAIL() << "an empty database was accepted";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("blemon-admin migrate"));
  }
}

TEST_F(AMigration, RefusesTheOriginalSchemaUntilMigrated) {
  const DatabaseSettings db = NewDatabase("unmigrated");
  TestSql sql(db);
  LoadSeed(sql);
  try {
    mariadb::OpenStore(db)->RegisterMonitor({"pi", "", ""});
    FAIL() << "a version-0 database was accepted";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("version 0"));
    EXPECT_THAT(e.what(), HasSubstr("blemon-admin migrate"));
  }
  EXPECT_EQ(sql.Scalar("SELECT COUNT(*) FROM monitors"), "0") << "nothing was written";
}

TEST_F(AMigration, RefusesANewerSchemaVersion) {
  const DatabaseSettings db = NewDatabase("newer");
  mariadb::Migrate(db);
  TestSql(db).Exec("INSERT INTO schema_version (version, name) VALUES (99, '099_future')");
  try {
    mariadb::OpenStore(db)->Lease();
    FAIL() << "a newer schema was accepted";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("newer"));
    EXPECT_THAT(e.what(), HasSubstr("99"));
  }
  EXPECT_THROW(mariadb::Migrate(db), Refused);
}

TEST_F(AMigration, RefusesAnUnknownSchemaVersion) {
  const DatabaseSettings db = NewDatabase("unknown");
  mariadb::Migrate(db);
  TestSql(db).Exec("UPDATE schema_version SET name = '001_somebody_else' WHERE version = 1");
  try {
    mariadb::OpenStore(db)->Lease();
    FAIL() << "an unknown schema was accepted";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("001_somebody_else"));
  }
  EXPECT_THROW(mariadb::Migrate(db), Refused);
}

// --- the original tool against an upgraded database ---------------------------------------------

TEST_F(AnUpgradedDatabase, AcceptsTheOriginalToolsRegistrationAndStagingStatements) {
  sql_->Exec(OldRegister("RPi_Monitor_01"));
  sql_->Exec(OldRegister("RPi_Monitor_01"));
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM monitors"), "1");
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "'Phone'", "1", -60, "2026-03-01 10:00:00"));
  EXPECT_EQ(sql_->Scalar("SELECT CONCAT_WS(',', processed, batch_seq IS NULL, monitor_id) FROM "
                         "sighting_staging"),
            "0,1,1");
}

TEST_F(AnUpgradedDatabase, RunsTheRewrittenProcedureWithTheNewRules) {
  sql_->Exec(OldRegister("RPi_Monitor_01"));
  sql_->Exec(OldRegister("RPi_Monitor_02"));
  const std::string i0 = "2026-03-01 10:00:00";
  // Neither MAC is in ble_devices: the original procedure dropped such rows.
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "'Phone'", "1", -60, i0));
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "NULL", "2", -50, i0));
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:02", "NULL", "2", -80, i0));
  sql_->Exec("CALL process_interval_best_rssi('" + i0 + "')");
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM ble_devices"), "2");
  EXPECT_EQ(sql_->Scalar("SELECT device_name FROM ble_devices WHERE mac_address = "
                         "'AA:BB:CC:DD:EE:01'"),
            "Phone");
  EXPECT_EQ(sql_->Scalar("SELECT CONCAT_WS(',', ds.monitor_id, ds.rssi, ds.margin_db, "
                         "ds.monitors_heard) FROM device_sightings ds JOIN ble_devices b USING "
                         "(device_id) WHERE b.mac_address = 'AA:BB:CC:DD:EE:01'"),
            "2,-50,10,2");
  // A late, worse reading processed again: the original overwrote; now the better one stays.
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "NULL", "1", -90, i0));
  sql_->Exec("CALL process_interval_best_rssi('" + i0 + "')");
  EXPECT_EQ(sql_->Scalar("SELECT CONCAT_WS(',', ds.monitor_id, ds.rssi) FROM device_sightings ds "
                         "JOIN ble_devices b USING (device_id) WHERE b.mac_address = "
                         "'AA:BB:CC:DD:EE:01'"),
            "2,-50");
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM sighting_staging WHERE processed = FALSE"), "0");
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM device_sightings"), "2");
}

TEST_F(AnUpgradedDatabase, CleansUpProcessedStagingRowsOnlyAndReportsTheRest) {
  sql_->Exec(OldRegister("RPi_Monitor_01"));
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "NULL", "1", -60, "2026-03-01 10:00:00"));
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:02", "NULL", "1", -60, "2026-03-01 10:05:00"));
  sql_->Exec("CALL process_interval_best_rssi('2026-03-01 10:00:00')");
  sql_->Exec("UPDATE sighting_staging SET scan_timestamp = NOW() - INTERVAL 10 DAY");
  const auto report = sql_->Rows("CALL cleanup_old_staging(7)");
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0], (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(sql_->Scalar("SELECT GROUP_CONCAT(mac_address) FROM sighting_staging"),
            "AA:BB:CC:DD:EE:02");
}

TEST_F(AnUpgradedDatabase, RunsEverySqlSnippetOfTheOriginalReadme) {
  // A recent interval, so the snippets' time windows (last hour, 24 h, 90 days) include it.
  const std::string now = sql_->Scalar("SELECT FROM_UNIXTIME(UNIX_TIMESTAMP() DIV 300 * 300)");
  sql_->Exec(OldRegister("RPi_Monitor_01"));
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "'Phone'", "1", -60, now));
  sql_->Exec("CALL process_interval_best_rssi('" + now + "')");
  const std::vector<std::string> snippets = {
      "SELECT monitor_name, location, last_seen, TIMESTAMPDIFF(MINUTE, last_seen, NOW()) as "
      "minutes_ago, is_active FROM monitors",
      "SELECT COUNT(*) as recent_sightings FROM device_sightings WHERE sighting_timestamp >= "
      "DATE_SUB(NOW(), INTERVAL 1 HOUR)",
      "SELECT processed, COUNT(*) as count FROM sighting_staging GROUP BY processed",
      "SELECT * FROM device_sightings ORDER BY sighting_timestamp DESC LIMIT 10",
      "SELECT m.monitor_name, COUNT(DISTINCT ds.device_id) / COUNT(DISTINCT ds.interval_start) "
      "as avg_devices_per_scan, COUNT(*) as total_sightings FROM device_sightings ds JOIN "
      "monitors m ON ds.monitor_id = m.monitor_id WHERE ds.sighting_timestamp >= "
      "DATE_SUB(NOW(), INTERVAL 24 HOUR) GROUP BY m.monitor_id",
      "SELECT interval_start, COUNT(DISTINCT monitor_id) as monitor_count, COUNT(*) as "
      "device_count FROM device_sightings WHERE interval_start >= DATE_SUB(NOW(), INTERVAL 2 "
      "HOUR) GROUP BY interval_start ORDER BY interval_start DESC",
      "SELECT * FROM recent_device_activity LIMIT 50",
      "SELECT * FROM hourly_device_counts WHERE hour_start >= DATE_SUB(NOW(), INTERVAL 7 DAY)",
      "SELECT monitor_name, is_processor, processor_claimed_at FROM monitors WHERE is_processor "
      "= TRUE",
      "SELECT monitor_name, is_processor, processor_claimed_at, last_seen FROM monitors",
      "SELECT interval_start, processed, COUNT(*) FROM sighting_staging GROUP BY "
      "interval_start, processed ORDER BY interval_start DESC LIMIT 10",
      "SELECT COUNT(*), processed FROM sighting_staging GROUP BY processed",
      "CALL cleanup_old_staging(1)",
      "SELECT interval_start, COUNT(*) FROM sighting_staging WHERE processed = FALSE GROUP BY "
      "interval_start ORDER BY interval_start DESC",
      "SELECT device_id, interval_start, COUNT(*) as count FROM device_sightings GROUP BY "
      "device_id, interval_start HAVING count > 1",
      "SHOW CREATE PROCEDURE process_interval_best_rssi",
      "SHOW PROCEDURE STATUS WHERE Db = DATABASE()",
      "CREATE TABLE device_sightings_archive LIKE device_sightings",
      "INSERT INTO device_sightings_archive SELECT * FROM device_sightings WHERE interval_start "
      "< DATE_SUB(NOW(), INTERVAL 90 DAY)",
      "DELETE FROM device_sightings WHERE interval_start < DATE_SUB(NOW(), INTERVAL 90 DAY)",
      "UPDATE monitors SET is_processor = FALSE, processor_claimed_at = NULL WHERE "
      "processor_claimed_at < DATE_SUB(NOW(), INTERVAL 10 MINUTE)",
  };
  for (const std::string& snippet : snippets) {
    EXPECT_NO_THROW(sql_->Rows(snippet)) << snippet;
  }
  EXPECT_EQ(sql_->Scalar("SELECT unique_devices FROM hourly_device_counts"), "1");
  EXPECT_EQ(sql_->Scalar("SELECT mac_address FROM recent_device_activity"), "AA:BB:CC:DD:EE:01");
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM device_sightings_archive"), "0");
}

TEST_F(AnUpgradedDatabase, KeepsTheReadmesProcessorColumnsTrueToTheLease) {
  auto store = mariadb::OpenStore(settings_);
  const MonitorId a = store->RegisterMonitor({"alpha", "", ""});
  const MonitorId b = store->RegisterMonitor({"beta", "", ""});
  const std::string who =
      "SELECT GROUP_CONCAT(monitor_name) FROM monitors WHERE is_processor = TRUE";
  const LeaseAnswer lease = store->ClaimLease(a, Seconds(600));
  EXPECT_EQ(sql_->Scalar(who), "alpha");
  EXPECT_EQ(sql_->Scalar("SELECT processor_claimed_at IS NOT NULL FROM monitors WHERE "
                         "monitor_name = 'alpha'"),
            "1");
  store->ReleaseLease(a, lease.epoch);
  EXPECT_EQ(sql_->Scalar(who), "");
  ASSERT_TRUE(store->ClaimLease(b, Seconds(600)).granted);
  EXPECT_EQ(sql_->Scalar(who), "beta");
  EXPECT_EQ(sql_->Scalar("SELECT processor_claimed_at IS NULL FROM monitors WHERE "
                         "monitor_name = 'alpha'"),
            "1");
}

TEST_F(AnUpgradedDatabase, RefusesABatchOfAnUnknownMonitorWholly) {
  auto store = mariadb::OpenStore(settings_);
  const auto t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
  Reading r{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
            .address_class = AddressClass::kPublic,
            .rssi = -65,
            .advert_count = 1,
            .name = std::nullopt,
            .tx_power = std::nullopt,
            .company_ids = {},
            .payload = {}};
  EXPECT_THROW(store->StageBatch({4242, 1, t, t, {r, r}}), Refused);
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM sighting_staging"), "0") << "all or nothing";
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM staging_batches"), "0");
}

TEST_F(AnUpgradedDatabase, MergesTheOriginalToolsRowsWithBlemonBatches) {
  auto store = mariadb::OpenStore(settings_);
  const MonitorId modern = store->RegisterMonitor({"modern", "", ""});
  sql_->Exec(OldRegister("legacy"));
  const std::string legacy = sql_->Scalar(
      "SELECT monitor_id FROM monitors WHERE monitor_name = "
      "'legacy'");
  const auto t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
  sql_->Exec(OldStage("AA:BB:CC:DD:EE:01", "NULL", legacy, -45, "2026-03-01 10:00:00"));
  Reading r{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
            .address_class = AddressClass::kPublic,
            .rssi = -65,
            .advert_count = 1,
            .name = std::nullopt,
            .tx_power = std::nullopt,
            .company_ids = {},
            .payload = {}};
  ASSERT_TRUE(store->StageBatch({modern, 1, t, t, {r}}));
  store->ProcessInterval(t, modern, store->ClaimLease(modern, Seconds(600)).epoch);
  const auto sightings = store->Sightings(t, t + 5min);
  ASSERT_EQ(sightings.size(), 1u);
  EXPECT_EQ(sightings[0].sighting.monitor_id, std::stoll(legacy));
  EXPECT_EQ(sightings[0].sighting.margin_db, 20);
  EXPECT_EQ(sightings[0].sighting.monitors_heard, 2);
}

}  // namespace
}  // namespace blemon::testing
