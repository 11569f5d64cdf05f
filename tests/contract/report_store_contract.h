#pragma once

// The contract suites of the read port (ReportStore) and the maintenance port (AdminStore) of
// blemon/report_store.h: every promise written once, with data written through the Store port, and
// run on every backend with the Store suite's harness (store_harness.h). A backend instantiates
// them beside the Store suite:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, AReportStore, ::testing::Values(&MakeSqliteHarness));
//   INSTANTIATE_TEST_SUITE_P(Sqlite, AnAdminStore, ::testing::Values(&MakeSqliteHarness));
//
// Expectations are identical on every backend: a difference is a bug in one of them.

#include <cstdint>
#include <string>
#include <vector>

#include "blemon/report_store.h"
#include "store_contract.h"

namespace blemon::testing {

// Arranges sightings through the Store port: stage batches, then process them all.
class ReportFixture : public AStore {
 protected:
  void SetUp() override;

  // Stages `readings` of `monitor` in the interval starting at `interval`, scanned `offset` into
  // it.
  void Stage(MonitorId monitor, UtcTime interval, std::vector<Reading> readings,
             Seconds offset = Seconds(1));
  // Processes every staged interval (the first registered monitor takes the lease).
  void Process();
  // The store's clock now, floored to an interval boundary.
  UtcTime StoreIntervalNow();
  static ReportFilter Span(UtcTime from, UtcTime to);

  MonitorId processor_ = 0;
  std::int64_t next_seq_ = 1;
};

class AReportStore : public ReportFixture {
 protected:
  void SetUp() override;
  // Three intervals, two of them in the 10:00 UTC hour:
  //   T0        kitchen wins 01 (-50 over hall's -58), hall wins 02 (-70 over kitchen's -80)
  //   T0 + 5min kitchen wins 01 (-60, heard alone)
  //   T0 + 1h   hall wins 01 (-65) and 03 (-90), kitchen wins 04 (-40); each heard alone
  // "garage" never hears anything; "hall" has no location, so its room is its name. all_ spans
  // them.
  void SeedSightings();
  // Two intervals of one hour, kitchen ("Ground floor") and hall (no location):
  //   T0        kitchen wins 01 by 10 dB: its room, high
  //   T0 + 5min hall wins 01 by 3 dB: the room stays the kitchen's (low, raw winner elsewhere);
  //             hall alone hears 02 (low); kitchen wins 03 by 1 dB (ambiguous)
  void SeedRoomHold();

  std::unique_ptr<ReportStore> reports_;
  MonitorId kitchen_ = 0, hall_ = 0, garage_ = 0;
  ReportFilter all_;
};

class AnAdminStore : public ReportFixture {
 protected:
  void SetUp() override;
  std::unique_ptr<AdminStore> admin_;
};

}  // namespace blemon::testing
