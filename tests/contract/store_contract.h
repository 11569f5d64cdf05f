#pragma once

// The Store contract suite: every behaviour of the Store port (blemon/ports.h), written once and
// run against every backend (Kea's generic lease manager tests are the model). A backend runs it
// with a harness (store_harness.h) in a five-line test file:
//
//   #include "store_contract.h"
//   std::unique_ptr<blemon::testing::StoreHarness> MakeSqliteHarness();  // defined in that file
//   INSTANTIATE_TEST_SUITE_P(Sqlite, AStore, ::testing::Values(&MakeSqliteHarness));
//
// and links the object library `blemon_store_contract` (see CMakeLists.txt). The suite uses only
// port methods, plus QueryScalar() with plain SQL that both backends' seed-compatible schemas
// accept (table and column names of the original tool).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blemon/ports.h"
#include "store_harness.h"

namespace blemon::testing {

class AStore : public ::testing::TestWithParam<StoreHarnessFactory> {
 protected:
  void SetUp() override;

  MonitorId Register(const std::string& name, const std::string& location = "Lab");
  // A reading of `mac` ("AA:BB:CC:DD:EE:01") at `rssi`, with an optional name.
  static Reading MakeReading(const std::string& mac, int rssi,
                             std::optional<std::string> name = std::nullopt);
  static Batch MakeBatch(MonitorId monitor, std::int64_t seq, UtcTime interval_start,
                         UtcTime scan_time, std::vector<Reading> readings);
  // Claims the lease for `monitor` (it must be free or expired) and processes every pending
  // interval; returns the outcomes summed.
  ProcessOutcome ProcessAll(MonitorId monitor, UtcTime latest_due);
  std::vector<StoredSighting> AllSightings();

  static constexpr Seconds kInterval{300};
  // 2026-03-01 10:00:00 UTC, an interval boundary.
  static UtcTime T0();

  std::unique_ptr<StoreHarness> harness_;
  std::unique_ptr<Store> store_;
};

}  // namespace blemon::testing
