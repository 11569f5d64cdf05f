#include "blemon/auto_calibration.h"

#include <fmt/format.h>

#include "blemon/errors.h"

namespace blemon {

CalibrationStep NextCalibrationStep(const std::vector<BeaconObservation>& observations,
                                    const std::map<MonitorId, MonitorPosition>& positions,
                                    const RssiOffsets& current, double smoothing) {
  CalibrationStep step;
  step.fit = FitCalibration(observations, positions);
  step.offsets = SmoothOffsets(current, FittedOffsets(step.fit), smoothing);
  return step;
}

int AutoCalibrator::AfterInterval(UtcTime interval, MonitorId monitor, std::int64_t epoch) {
  try {
    RssiOffsets current;
    std::map<MonitorId, MonitorPosition> positions;
    for (const CalibrationMonitor& m : ports_.store.CalibrationMonitors()) {
      current[m.monitor_id] = m.offset_tenths;
      if (m.position) positions[m.monitor_id] = *m.position;
    }
    const auto observations = ports_.store.RecentBeaconObservations(window_intervals_, interval);
    if (observations.empty()) return 0;
    const CalibrationStep step = NextCalibrationStep(observations, positions, current, smoothing_);
    if (step.fit.limits != logged_limits_) {
      logged_limits_ = step.fit.limits;
      for (const auto& limit : step.fit.limits) {
        ports_.log.Log(LogLevel::kInfo, fmt::format("Auto-calibration: {}", limit));
      }
    }
    RssiOffsets changed;
    for (const auto& [id, tenths] : step.offsets) {
      if (OffsetOf(current, id) != tenths) changed[id] = tenths;
    }
    if (changed.empty()) return 0;
    ports_.store.ApplyOffsets(changed, monitor, epoch);
    std::string what;
    for (const auto& [id, tenths] : changed) {
      what += fmt::format("{}monitor {} {:+.1f} dB", what.empty() ? "" : ", ", id, tenths / 10.0);
    }
    ports_.log.Log(LogLevel::kDebug,
                   fmt::format("Auto-calibration after {}: {}", UtcLabel(interval), what));
    return static_cast<int>(changed.size());
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Auto-calibration skipped, store unavailable: {}", e.what()));
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Auto-calibration skipped, the store refused: {}", e.what()));
  }
  return 0;
}

}  // namespace blemon
