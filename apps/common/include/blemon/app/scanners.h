#pragma once

// The scanner side of the backend registry (blemon/app/backends.h). A library of its own,
// blemon::app_scanners, since only the monitor links BlueZ.

#include <functional>
#include <memory>
#include <vector>

#include "blemon/calibration_store.h"
#include "blemon/config.h"
#include "blemon/ports.h"

namespace blemon::app {

enum class ScannerKind {
  kBluez,      // the adapter monitor.adapter names (the first one when empty)
  kSimulated,  // the deterministic world of the [simulation] section (--simulate)
};

// Throws Refused when this build lacks the scanner asked for (saying how to get one); the BlueZ
// scanner's own errors (no adapter, no bluetoothd) are its MakeScanner's.
// `fleet` lists the monitors of the store: the simulated scanner hears the beacon of each (every
// simulated monitor registered in the store is on the air), the BlueZ one ignores it.
using FleetLister = std::function<std::vector<CalibrationMonitor>()>;
std::unique_ptr<Scanner> MakeScanner(ScannerKind kind, const Config& config, Clock& clock,
                                     FleetLister fleet = nullptr);

// The monitor's beacon on the adapter monitor.adapter names, or null: with the simulated scanner
// (the simulated world has no air to advertise on), with monitor.advertise = false, or in a build
// without BlueZ. Touches nothing until started.
std::unique_ptr<Advertiser> MakeAdvertiser(ScannerKind kind, const Config& config);

}  // namespace blemon::app
