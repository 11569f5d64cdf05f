#include "blemon/best_rssi.h"

#include <algorithm>

namespace blemon {

bool Beats(const StagedReading& a, const StagedReading& b) {
  if (a.rssi != b.rssi) return a.rssi > b.rssi;
  if (a.scan_time != b.scan_time) return a.scan_time < b.scan_time;
  return a.monitor_id < b.monitor_id;
}

void BestRssiMerge::Add(const StagedReading& reading) {
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
                      .monitors_heard = static_cast<int>(cell.best_per_monitor.size())};
    for (const auto& [monitor, rssi] : cell.best_per_monitor) {
      if (monitor == cell.winner.monitor_id) continue;
      const int margin = cell.winner.rssi - rssi;
      sighting.margin_db = sighting.margin_db ? std::min(*sighting.margin_db, margin) : margin;
    }
    out.emplace(key, sighting);
  }
  return out;
}

}  // namespace blemon
