// The Store contract suite on a real MariaDB server (the `mariadb` CTest fixture).
#include "blemon/mariadb/mariadb_store.h"

#include "address_links_contract.h"
#include "blemon/mariadb/mariadb_delivery_log.h"
#include "blemon/mariadb/mariadb_identity_store.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "blemon/mariadb/mariadb_retention_store.h"
#include "calibration_store_contract.h"
#include "hourly_rollups_contract.h"
#include "identity_contract.h"
#include "mariadb_test_env.h"
#include "presence_store_contract.h"
#include "report_store_contract.h"
#include "store_contract.h"

namespace blemon::testing {
namespace {

// The harnesses of one test process share one database (tests run one after another), created
// from the embedded migrations on the first Reset() and emptied on later ones (every row deleted,
// the lease row back to epoch 0): a migration costs about a second of DDL, deleting a few rows
// milliseconds. The fixture's teardown removes the whole server.
class MariaDbHarness final : public StoreHarness {
 public:
  MariaDbHarness() : peer_(MariaDbPeer::FromEnvironment()), settings_(peer_.App(DatabaseName())) {}
  void Reset() override {
    static bool migrated = false;
    if (!migrated) {
      sql_.reset();
      TestSql(peer_.Admin(""), false).Exec("DROP DATABASE IF EXISTS `" + settings_.database + "`");
      mariadb::Migrate(peer_.Admin(settings_.database));
      migrated = true;
      return;
    }
    TestSql admin(peer_.Admin(settings_.database));
    admin.Exec("SET FOREIGN_KEY_CHECKS = 0");
    admin.Exec("DROP TABLE IF EXISTS device_sightings_archive");  // made by AnAdminStore
    for (const char* table :
         {"identities", "device_sightings", "sighting_staging", "staging_batches", "ble_devices",
          "fleet_settings", "monitors", "processing_runs", "watch_list", "presence_state",
          "presence_events", "presence_occupancy", "address_links", "device_rooms",
          "staging_merges", "staging_merge_parts", "hourly_rollups", "hourly_rollup_stale",
          "beacon_observations"}) {
      admin.Exec(std::string("DELETE FROM ") + table);
    }
    admin.Exec(
        "UPDATE processor_lease SET holder_monitor_id = NULL, epoch = 0, granted_at = NULL, "
        "renewed_at = NULL, expires_at = NULL, claims = 0");
    admin.Exec("UPDATE presence_progress SET through_interval = NULL");
  }
  std::unique_ptr<Store> Open() override { return mariadb::OpenStore(settings_); }
  std::unique_ptr<ReportStore> OpenReports() override {
    return mariadb::OpenReportStore(settings_);
  }
  std::unique_ptr<AdminStore> OpenAdmin() override { return mariadb::OpenAdminStore(settings_); }
  std::unique_ptr<IdentityStore> OpenIdentities() override {
    return mariadb::OpenIdentityStore(settings_);
  }
  std::unique_ptr<PresenceStore> OpenPresence() override {
    return mariadb::OpenPresenceStore(settings_);
  }
  std::unique_ptr<DeliveryLog> OpenDeliveryLog() override {
    return mariadb::OpenDeliveryLog(settings_);
  }
  std::unique_ptr<CalibrationStore> OpenCalibration() override {
    return mariadb::OpenCalibrationStore(settings_);
  }
  std::unique_ptr<RetentionStore> OpenRetention() override {
    return mariadb::OpenRetentionStore(settings_);
  }
  std::string QueryScalar(const std::string& sql) override {
    if (!sql_) sql_ = std::make_unique<TestSql>(settings_);
    return sql_->Scalar(sql);
  }

 private:
  MariaDbPeer peer_;
  DatabaseSettings settings_;
  static const std::string& DatabaseName() {
    static const std::string name = UniqueDatabaseName("contract");
    return name;
  }

  std::unique_ptr<TestSql> sql_;
};

std::unique_ptr<StoreHarness> MakeMariaDbHarness() { return std::make_unique<MariaDbHarness>(); }

}  // namespace

INSTANTIATE_TEST_SUITE_P(MariaDb, AStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, AReportStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, AnAdminStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, AnIdentityStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, APresenceStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, ALinkingStore, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, HourlyRollups, ::testing::Values(&MakeMariaDbHarness));
INSTANTIATE_TEST_SUITE_P(MariaDb, ACalibrationStore, ::testing::Values(&MakeMariaDbHarness));

}  // namespace blemon::testing
