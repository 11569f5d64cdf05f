// The Store contract suite on SQLite: a fresh database file in a private temporary directory for
// every test, so tests never see each other's rows and need no server.

#include "blemon/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "address_links_contract.h"
#include "blemon/sqlite/sqlite_delivery_log.h"
#include "blemon/sqlite/sqlite_identity_store.h"
#include "blemon/sqlite/sqlite_report_store.h"
#include "blemon/sqlite/sqlite_retention_store.h"
#include "calibration_store_contract.h"
#include "hourly_rollups_contract.h"
#include "identity_contract.h"
#include "presence_store_contract.h"
#include "report_store_contract.h"
#include "store_contract.h"

namespace blemon::testing {
namespace {

class SqliteHarness final : public StoreHarness {
 public:
  SqliteHarness() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "blemon-contract-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    path_ = (dir_ / "blemon.db").string();
  }
  ~SqliteHarness() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void Reset() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    sqlite::OpenStore(path_);  // creates the file and the schema
  }

  std::unique_ptr<Store> Open() override { return sqlite::OpenStore(path_); }
  std::unique_ptr<ReportStore> OpenReports() override { return sqlite::OpenReportStore(path_); }
  std::unique_ptr<AdminStore> OpenAdmin() override { return sqlite::OpenAdminStore(path_); }
  std::unique_ptr<IdentityStore> OpenIdentities() override {
    return sqlite::OpenIdentityStore(path_);
  }
  std::unique_ptr<PresenceStore> OpenPresence() override {
    return sqlite::OpenPresenceStore(path_);
  }
  std::unique_ptr<DeliveryLog> OpenDeliveryLog() override { return sqlite::OpenDeliveryLog(path_); }
  std::unique_ptr<RetentionStore> OpenRetention() override {
    return sqlite::OpenRetentionStore(path_);
  }

  std::unique_ptr<CalibrationStore> OpenCalibration() override {
    return sqlite::OpenCalibrationStore(path_);
  }
  std::string QueryScalar(const std::string& sql) override {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      const std::string why = sqlite3_errmsg(db);
      sqlite3_close(db);
      throw std::runtime_error("cannot open " + path_ + ": " + why);
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    std::string result;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        if (const auto* text = sqlite3_column_text(stmt, 0)) {
          result.assign(reinterpret_cast<const char*>(text),
                        static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        }
        while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
      }
    }
    const std::string why = sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + why);
    return result;
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

std::unique_ptr<StoreHarness> MakeSqliteHarness() { return std::make_unique<SqliteHarness>(); }

}  // namespace

// Named, so test names do not carry the factory's address (which changes with every run).
const auto kFile = [](const auto&) { return std::string("File"); };
INSTANTIATE_TEST_SUITE_P(Sqlite, AStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, AReportStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, AnAdminStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, AnIdentityStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, APresenceStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, ALinkingStore, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, HourlyRollups, ::testing::Values(&MakeSqliteHarness), kFile);
INSTANTIATE_TEST_SUITE_P(Sqlite, ACalibrationStore, ::testing::Values(&MakeSqliteHarness), kFile);

}  // namespace blemon::testing
