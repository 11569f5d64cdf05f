#pragma once

#include <optional>
#include <string>

#include "blemon/calibration_store.h"
#include "blemon/mac_address.h"

namespace blemon::admin {

// `blemon-admin calibrate` (docs/rooms.md): a fit of the monitors' RSSI offsets, printed, and
// written to monitors.rssi_offset_db only with `apply`.
struct CalibrateOptions {
  // Beacons: the newest N intervals with observations (default 12). Reference: the tag's newest
  // N sightings (default 288, a day of 300 s intervals: time to walk the tag round the house).
  std::optional<int> intervals;
  std::optional<MacAddress> reference;  // the manual path's tag
  bool apply = false;
  bool json = false;  // --format json; else a table
};

inline constexpr int kDefaultBeaconIntervals = 12;
inline constexpr int kDefaultReferenceIntervals = 288;

// Runs the command, printing to stdout; returns the exit code (0, also for a fit that could
// calibrate nothing: its limits say why). Store failures propagate.
int Calibrate(CalibrationStore& store, const CalibrateOptions& options);

}  // namespace blemon::admin
