#pragma once

// The processor's auto_calibrate step ([rooms] auto_calibrate = true, docs/rooms.md): after each
// interval it processed, the monitor cycle asks for a refit of the monitors' RSSI offsets from
// the beacon observations of the calibration window, and moves each fitted monitor's offset a
// share calibration_smoothing of the way toward the fit (exponential smoothing: after k intervals
// of one steady fit, a share 1 - (1 - s)^k of the way, with s = 0.3 about 97 % after 10). Monitors
// the fit cannot calibrate keep their offset; what could not be calibrated is logged once per
// change, not every interval.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/calibration.h"
#include "blemon/calibration_store.h"
#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon {

// One step of automatic calibration: the fit of `observations` (with `positions`), and `current`
// moved a share `smoothing` toward its offsets for the monitors it fitted (SmoothOffsets).
struct CalibrationStep {
  CalibrationFit fit;
  RssiOffsets offsets;  // every monitor of `current` and every fitted one
};
CalibrationStep NextCalibrationStep(const std::vector<BeaconObservation>& observations,
                                    const std::map<MonitorId, MonitorPosition>& positions,
                                    const RssiOffsets& current, double smoothing);

class AutoCalibrator {
 public:
  struct Ports {
    CalibrationStore& store;
    Logger& log;
  };

  // `window_intervals`: how many of the newest intervals with observations the fit reads
  // (calibration_window_hours over the interval length, at least 1).
  AutoCalibrator(double smoothing, int window_intervals, Ports ports)
      : smoothing_(smoothing), window_intervals_(window_intervals), ports_(ports) {}

  // Refits from the observations of the window ending at `interval` and applies the smoothed
  // offsets under (monitor, epoch) when any changed; returns how many monitors' offsets changed.
  // Throws LeaseLost (the caller steps down); Unavailable and Refused are logged and the step is
  // skipped (the next interval tries again).
  int AfterInterval(UtcTime interval, MonitorId monitor, std::int64_t epoch);

 private:
  double smoothing_;
  int window_intervals_;
  Ports ports_;
  std::vector<std::string> logged_limits_;  // what the log said last
};

}  // namespace blemon
