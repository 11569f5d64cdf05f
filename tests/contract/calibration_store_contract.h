#pragma once

// The calibration port's suite (calibration_store_contract.cc), instantiated per backend like
// AStore: beacon readings staged as beacon observations (never devices), and the port's reads and
// writes.

#include <memory>

#include "blemon/calibration_store.h"
#include "store_contract.h"

namespace blemon::testing {

class ACalibrationStore : public AStore {
 protected:
  void SetUp() override;
  // Monitor `sender`'s beacon as a scan reports it: from a random static address of its own.
  static Reading Beacon(MonitorId sender, int rssi, int tx_power = 0);

  std::unique_ptr<CalibrationStore> calibration_;
};

}  // namespace blemon::testing
