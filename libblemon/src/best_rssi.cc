#include "blemon/best_rssi.h"

#include <algorithm>

namespace blemon {

int OffsetOf(const RssiOffsets& offsets, MonitorId monitor) {
  const auto found = offsets.find(monitor);
  return found == offsets.end() ? 0 : found->second;
}

bool Beats(const StagedReading& a, const StagedReading& b) {
  if (a.CalibratedTenths() != b.CalibratedTenths()) {
    return a.CalibratedTenths() > b.CalibratedTenths();
  }
  if (a.scan_time != b.scan_time) return a.scan_time < b.scan_time;
  return a.monitor_id < b.monitor_id;
}

void BestRssiMerge::Add(StagedReading reading) {
  reading.offset_tenths = OffsetOf(offsets_, reading.monitor_id);
  const Key key{reading.mac, reading.interval_start};
  auto [it, inserted] = cells_.try_emplace(key, Cell{.winner = reading, .best_per_monitor = {}});
  Cell& cell = it->second;
  if (!inserted && Beats(reading, cell.winner)) cell.winner = reading;
  auto [best, first] = cell.best_per_monitor.try_emplace(reading.monitor_id, reading.rssi);
  if (!first) best->second = std::max(best->second, reading.rssi);
}

std::map<BestRssiMerge::Key, Sighting> BestRssiMerge::Result() const {
  std::map<Key, Sighting> out;
  for (const auto& [key, cell] : cells_) {
    Sighting sighting{.monitor_id = cell.winner.monitor_id,
                      .rssi = cell.winner.rssi,
                      .scan_time = cell.winner.scan_time,
                      .margin_db = std::nullopt,
                      .monitors_heard = static_cast<int>(cell.best_per_monitor.size()),
                      .calibrated_tenths = cell.winner.CalibratedTenths(),
                      .calibrated_margin_tenths = std::nullopt};
    for (const auto& [monitor, rssi] : cell.best_per_monitor) {
      if (monitor == cell.winner.monitor_id) continue;
      const int margin = cell.winner.rssi - rssi;
      sighting.margin_db = sighting.margin_db ? std::min(*sighting.margin_db, margin) : margin;
      const int calibrated_margin =
          sighting.calibrated_tenths - (rssi * 10 + OffsetOf(offsets_, monitor));
      sighting.calibrated_margin_tenths =
          sighting.calibrated_margin_tenths
              ? std::min(*sighting.calibrated_margin_tenths, calibrated_margin)
              : calibrated_margin;
    }
    out.emplace(key, sighting);
  }
  return out;
}

std::map<MonitorId, int> BestRssiMerge::CalibratedByMonitor(const Key& key) const {
  std::map<MonitorId, int> out;
  const auto found = cells_.find(key);
  if (found == cells_.end()) return out;
  for (const auto& [monitor, rssi] : found->second.best_per_monitor) {
    out.emplace(monitor, rssi * 10 + OffsetOf(offsets_, monitor));
  }
  return out;
}

}  // namespace blemon
