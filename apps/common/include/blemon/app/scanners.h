#pragma once

// The scanner side of the backend registry (blemon/app/backends.h). A library of its own,
// blemon::app_scanners, since only the monitor links BlueZ.

#include <memory>

#include "blemon/config.h"
#include "blemon/ports.h"

namespace blemon::app {

enum class ScannerKind {
  kBluez,      // the adapter monitor.adapter names (the first one when empty)
  kSimulated,  // the deterministic world of the [simulation] section (--simulate)
};

// Throws Refused when this build lacks the scanner asked for (saying how to get one); the BlueZ
// scanner's own errors (no adapter, no bluetoothd) are its MakeScanner's.
std::unique_ptr<Scanner> MakeScanner(ScannerKind kind, const Config& config, Clock& clock);

// The monitor's beacon on the adapter monitor.adapter names, or null: with the simulated scanner
// (the simulated world has no air to advertise on), with monitor.advertise = false, or in a build
// without BlueZ. Touches nothing until started.
std::unique_ptr<Advertiser> MakeAdvertiser(ScannerKind kind, const Config& config);

}  // namespace blemon::app
