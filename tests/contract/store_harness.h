#pragma once

// How the Store contract suite reaches a backend. Each backend's test file provides a harness and
// instantiates the suite with it (Kea's generic lease manager tests are the model):
//
//   INSTANTIATE_TEST_SUITE_P(MariaDb, AStore, ::testing::Values(&MakeMariaDbHarness));

#include <memory>
#include <string>

#include "blemon/alerts.h"
#include "blemon/calibration_store.h"
#include "blemon/identity_store.h"
#include "blemon/ports.h"
#include "blemon/presence_store.h"
#include "blemon/report_store.h"
#include "blemon/retention.h"

namespace blemon::testing {

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  // Creates an empty database with the current schema (dropping whatever a previous test left).
  virtual void Reset() = 0;
  // A new connection to that database. Several may be open at once (one per simulated monitor).
  virtual std::unique_ptr<Store> Open() = 0;
  // The read and maintenance ports on that database (report_store_contract.h).
  virtual std::unique_ptr<ReportStore> OpenReports() = 0;
  virtual std::unique_ptr<AdminStore> OpenAdmin() = 0;
  // The enrolled identities on that database (identity_contract.cc).
  virtual std::unique_ptr<IdentityStore> OpenIdentities() = 0;
  // The presence port on that database (presence_store_contract.h).
  virtual std::unique_ptr<PresenceStore> OpenPresence() = 0;
  // The alert delivery log on that database (delivery_log_contract.cc).
  virtual std::unique_ptr<DeliveryLog> OpenDeliveryLog() = 0;
  // The calibration port on that database (calibration_store_contract.cc).
  virtual std::unique_ptr<CalibrationStore> OpenCalibration() = 0;
  // Retention on that database (retention_contract.cc).
  virtual std::unique_ptr<RetentionStore> OpenRetention() = 0;
  // Runs one SQL statement directly, for arranging things no port method does (aging a lease,
  // inspecting a table). Returns the first column of the first row, or "" when none.
  virtual std::string QueryScalar(const std::string& sql) = 0;
};

using StoreHarnessFactory = std::unique_ptr<StoreHarness> (*)();

}  // namespace blemon::testing
