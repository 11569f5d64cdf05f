#include "blemon/calibration_store.h"

#include <map>

namespace blemon {

bool IsMonitorBeacon(const Reading& reading) { return reading.payload.monitor_beacon.has_value(); }

std::vector<BatchBeacon> BeaconsOf(const Batch& batch) {
  std::map<MonitorId, BatchBeacon> strongest;
  for (const Reading& r : batch.readings) {
    if (!IsMonitorBeacon(r)) continue;
    const BatchBeacon beacon{.sender = static_cast<MonitorId>(r.payload.monitor_beacon->monitor_id),
                             .rssi = r.rssi,
                             .sender_tx_power = r.payload.monitor_beacon->tx_power};
    const auto [it, fresh] = strongest.try_emplace(beacon.sender, beacon);
    if (!fresh && beacon.rssi > it->second.rssi) it->second = beacon;
  }
  std::vector<BatchBeacon> out;
  out.reserve(strongest.size());
  for (const auto& [sender, beacon] : strongest) out.push_back(beacon);
  return out;
}

}  // namespace blemon
