#pragma once

// The contract suite of the presence port (blemon/presence_store.h), run on every backend with the
// Store suite's harness:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, APresenceStore, ::testing::Values(&MakeSqliteHarness));

#include <memory>

#include "blemon/presence_store.h"
#include "report_store_contract.h"

namespace blemon::testing {

class APresenceStore : public ReportFixture {
 protected:
  void SetUp() override;
  // Kitchen (location "Kitchen") and hall (no location: its room is "hall") hear three devices in
  // T0 and T0 + 1 interval; processed, with `processor_` holding the lease under `epoch_`.
  void SeedTwoIntervals();
  // The engine's step for `interval` from the stored state, watch list and sightings.
  PresenceStep StepFor(UtcTime interval);

  std::unique_ptr<PresenceStore> presence_;
  std::int64_t epoch_ = 0;
};

}  // namespace blemon::testing
