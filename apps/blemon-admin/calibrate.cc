#include "calibrate.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "blemon/app/exit_codes.h"
#include "blemon/app/terminal.h"
#include "blemon/calibration.h"

namespace blemon::admin {
namespace {

using Json = nlohmann::ordered_json;

std::map<MonitorId, CalibrationMonitor> ById(const std::vector<CalibrationMonitor>& monitors) {
  std::map<MonitorId, CalibrationMonitor> out;
  for (const auto& m : monitors) out.emplace(m.monitor_id, m);
  return out;
}

std::string NameOf(const std::map<MonitorId, CalibrationMonitor>& monitors, MonitorId id) {
  const auto found = monitors.find(id);
  return found == monitors.end() ? "?" : app::EscapeForTerminal(found->second.name);
}

Json OrNull(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

std::string Db(const std::optional<double>& v) { return v ? fmt::format("{:+.1f}", *v) : "-"; }

void PrintLimits(const std::vector<std::string>& limits) {
  if (limits.empty()) return;
  fmt::print("Not calibrated:\n");
  for (const auto& limit : limits) fmt::print("  - {}\n", limit);
}

// Writes the fitted offsets with --apply; says what happened either way.
void ApplyOrSay(CalibrationStore& store, const RssiOffsets& fitted, const CalibrateOptions& o) {
  if (o.apply && !fitted.empty()) store.SetOffsets(fitted);
  if (o.json) return;
  if (fitted.empty()) {
    fmt::print("Nothing to write: no monitor was calibrated.\n");
  } else if (o.apply) {
    fmt::print("Wrote monitors.rssi_offset_db of {} monitor{}.\n", fitted.size(),
               fitted.size() == 1 ? "" : "s");
  } else {
    fmt::print("Dry run: nothing written (--apply writes the new offsets).\n");
  }
}

void PrintBeaconTable(const CalibrationFit& fit, const std::map<MonitorId, CalibrationMonitor>& m,
                      const RssiOffsets& fitted, int intervals, std::size_t observations) {
  fmt::print(
      "Calibration from the monitors' beacons: the newest {} intervals with any, {} "
      "observations\n",
      intervals, observations);
  fmt::print("{:>4} {:<20} {:>8} {:>8} {:>5} {:>9} {:>9}\n", "id", "monitor", "R dB", "G dB",
             "pairs", "offset", "new");
  for (const auto& t : fit.monitors) {
    const auto now = m.contains(t.monitor_id) ? m.at(t.monitor_id).offset_tenths : 0;
    const auto next = fitted.contains(t.monitor_id) ? fitted.at(t.monitor_id) : now;
    fmt::print("{:>4} {:<20} {:>8} {:>8} {:>5} {:>+9.1f} {:>+9.1f}\n", t.monitor_id,
               NameOf(m, t.monitor_id), Db(t.reporting_offset_db), Db(t.gain_db), t.pairs,
               now / 10.0, next / 10.0);
  }
  fmt::print("R: reporting offset, G: gain (both mean zero); new = -(R + G)\n");
  if (!fit.pairs.empty()) {
    fmt::print("{:>4} {:>4} {:>7} {:>7} {:>10} {:>10} {:>9}\n", "a", "b", "a<-b", "b<-a",
               "diff res", "sum res", "distance");
    for (const auto& p : fit.pairs) {
      fmt::print("{:>4} {:>4} {:>7} {:>7} {:>+10.2f} {:>10} {:>9}\n", p.a, p.b, p.heard_ab,
                 p.heard_ba, p.difference_residual_db,
                 p.sum_residual_db ? fmt::format("{:+.2f}", *p.sum_residual_db) : "-",
                 p.distance_m ? fmt::format("{:.1f} m", *p.distance_m) : "-");
    }
  }
  fmt::print("Difference fit RMS {:.2f} dB", fit.difference_rms_db);
  if (fit.path_loss_exponent) {
    fmt::print("; path-loss exponent {:.2f}, RSSI at 1 m {:.1f} dBm, sum fit RMS {:.2f} dB",
               *fit.path_loss_exponent, fit.rssi_at_one_metre_db.value_or(0),
               fit.sum_rms_db.value_or(0));
  }
  fmt::print("\n");
  PrintLimits(fit.limits);
}

Json BeaconJson(const CalibrationFit& fit, const std::map<MonitorId, CalibrationMonitor>& m,
                const RssiOffsets& fitted, int intervals, std::size_t observations, bool apply) {
  Json monitors = Json::array();
  for (const auto& t : fit.monitors) {
    const auto now = m.contains(t.monitor_id) ? m.at(t.monitor_id).offset_tenths : 0;
    monitors.push_back(
        {{"monitor_id", t.monitor_id},
         {"name", m.contains(t.monitor_id) ? m.at(t.monitor_id).name : ""},
         {"reporting_offset_db", OrNull(t.reporting_offset_db)},
         {"gain_db", OrNull(t.gain_db)},
         {"pairs", t.pairs},
         {"rssi_offset_db", now / 10.0},
         {"fitted_rssi_offset_db",
          fitted.contains(t.monitor_id) ? Json(fitted.at(t.monitor_id) / 10.0) : Json(nullptr)}});
  }
  Json pairs = Json::array();
  for (const auto& p : fit.pairs) {
    pairs.push_back({{"a", p.a},
                     {"b", p.b},
                     {"heard_ab", p.heard_ab},
                     {"heard_ba", p.heard_ba},
                     {"difference_residual_db", p.difference_residual_db},
                     {"sum_residual_db", OrNull(p.sum_residual_db)},
                     {"distance_m", OrNull(p.distance_m)}});
  }
  return Json{{"method", "beacons"},
              {"intervals", intervals},
              {"observations", observations},
              {"monitors", monitors},
              {"pairs", pairs},
              {"path_loss_exponent", OrNull(fit.path_loss_exponent)},
              {"rssi_at_one_metre_db", OrNull(fit.rssi_at_one_metre_db)},
              {"difference_rms_db", fit.difference_rms_db},
              {"sum_rms_db", OrNull(fit.sum_rms_db)},
              {"limits", fit.limits},
              {"applied", apply && !fitted.empty()}};
}

int FromBeacons(CalibrationStore& store, const CalibrateOptions& o) {
  const int intervals = o.intervals.value_or(kDefaultBeaconIntervals);
  const auto monitors = ById(store.CalibrationMonitors());
  std::map<MonitorId, MonitorPosition> positions;
  for (const auto& [id, m] : monitors) {
    if (m.position) positions.emplace(id, *m.position);
  }
  const auto observations = store.RecentBeaconObservations(intervals, std::nullopt);
  CalibrationFit fit = FitCalibration(observations, positions);
  if (observations.empty()) {
    fit.limits.insert(fit.limits.begin(),
                      "no beacon observations are stored: monitors must advertise "
                      "(monitor.advertise) and hear each other");
  }
  const RssiOffsets fitted = FittedOffsets(fit);
  if (o.json) {
    fmt::print("{}\n",
               BeaconJson(fit, monitors, fitted, intervals, observations.size(), o.apply).dump(2));
  } else {
    PrintBeaconTable(fit, monitors, fitted, intervals, observations.size());
  }
  ApplyOrSay(store, fitted, o);
  return app::kExitOk;
}

int FromReference(CalibrationStore& store, const CalibrateOptions& o) {
  const int intervals = o.intervals.value_or(kDefaultReferenceIntervals);
  const auto monitors = ById(store.CalibrationMonitors());
  std::vector<MonitorId> ids;
  for (const auto& [id, m] : monitors) ids.push_back(id);
  const auto sightings = store.RecentWinners(*o.reference, intervals);
  const ReferenceFit fit = FitReference(sightings, ids);
  const RssiOffsets fitted = FittedOffsets(fit);
  if (o.json) {
    Json rows = Json::array();
    for (const auto& t : fit.monitors) {
      rows.push_back(
          {{"monitor_id", t.monitor_id},
           {"name", monitors.contains(t.monitor_id) ? monitors.at(t.monitor_id).name : ""},
           {"intervals", t.intervals},
           {"one_metre_rssi_db", t.one_metre_rssi_db},
           {"fitted_rssi_offset_db", fitted.at(t.monitor_id) / 10.0}});
    }
    fmt::print("{}\n", Json{{"method", "reference"},
                            {"reference", o.reference->ToString()},
                            {"intervals", intervals},
                            {"sightings", sightings.size()},
                            {"target_db", fit.target_db},
                            {"monitors", rows},
                            {"limits", fit.limits},
                            {"applied", o.apply && !fitted.empty()}}
                           .dump(2));
  } else {
    fmt::print("Calibration from the reference tag {}: its newest {} sightings ({} found)\n",
               o.reference->ToString(), intervals, sightings.size());
    fmt::print("{:>4} {:<20} {:>9} {:>10} {:>9} {:>9}\n", "id", "monitor", "intervals", "1 m dBm",
               "offset", "new");
    for (const auto& t : fit.monitors) {
      fmt::print(
          "{:>4} {:<20} {:>9} {:>10.1f} {:>+9.1f} {:>+9.1f}\n", t.monitor_id,
          NameOf(monitors, t.monitor_id), t.intervals, t.one_metre_rssi_db,
          monitors.contains(t.monitor_id) ? monitors.at(t.monitor_id).offset_tenths / 10.0 : 0.0,
          fitted.at(t.monitor_id) / 10.0);
    }
    fmt::print("Target (mean 1 m RSSI): {:.1f} dBm; new = target - 1 m RSSI\n", fit.target_db);
    PrintLimits(fit.limits);
  }
  ApplyOrSay(store, fitted, o);
  return app::kExitOk;
}

}  // namespace

int Calibrate(CalibrationStore& store, const CalibrateOptions& options) {
  return options.reference ? FromReference(store, options) : FromBeacons(store, options);
}

}  // namespace blemon::admin
