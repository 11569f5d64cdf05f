#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/time.h"

namespace blemon {

using MonitorId = long long;

// Per-monitor RSSI offsets in tenths of a dB (monitors.rssi_offset_db, one decimal): what is added
// to a monitor's raw RSSI so that monitors with louder or quieter radios compare fairly. Tenths,
// not floating point, so every store and the oracle compare calibrated values exactly alike.
using RssiOffsets = std::map<MonitorId, int>;

// A monitor's offset in `offsets`, 0 when it has none.
int OffsetOf(const RssiOffsets& offsets, MonitorId monitor);

// One staged reading as the processor sees it: who heard which device how well, and when.
struct StagedReading {
  MonitorId monitor_id = 0;
  MacAddress mac;
  UtcTime interval_start;
  int rssi = 0;
  UtcTime scan_time;
  // The monitor's RSSI offset when the interval is processed (tenths of a dB); 0 is today's rule.
  int offset_tenths = 0;

  // rssi + offset, in tenths of a dB: what the winner is chosen by.
  int CalibratedTenths() const { return rssi * 10 + offset_tenths; }
};

// The kept record of one device in one interval.
struct Sighting {
  MonitorId monitor_id = 0;  // the monitor that heard it best (by calibrated RSSI)
  int rssi = 0;              // that monitor's raw RSSI
  UtcTime scan_time;
  // Winner's raw RSSI minus the best raw RSSI of any other monitor (negative when calibration made
  // a quieter monitor win); nullopt when no other monitor heard it.
  std::optional<int> margin_db;
  int monitors_heard = 0;
  // The winner's calibrated RSSI and its margin over the best calibrated RSSI of any other monitor
  // (never negative), both in tenths of a dB; with every offset 0 they are rssi and margin_db * 10.
  int calibrated_tenths = 0;
  std::optional<int> calibrated_margin_tenths;

  friend bool operator==(const Sighting&, const Sighting&) = default;
};

// True when `a` beats `b`: higher calibrated RSSI (rssi + offset), then the earlier scan time,
// then the lower monitor id. A strict total order on distinct (monitor, rssi, time) triples, so
// the max is well defined; with every offset 0 it is the original highest-RSSI rule.
bool Beats(const StagedReading& a, const StagedReading& b);

// The reference implementation of best-RSSI selection, the oracle every Store is tested against.
// Merging is a commutative, idempotent max: adding the same readings again, in any order or
// batching, never changes the result, and a worse reading never displaces a better one. Each
// reading's monitor offset is taken from `offsets` (any offset_tenths it carries is replaced).
class BestRssiMerge {
 public:
  using Key = std::pair<MacAddress, UtcTime>;  // (device, interval_start)

  BestRssiMerge() = default;
  explicit BestRssiMerge(RssiOffsets offsets) : offsets_(std::move(offsets)) {}

  void Add(StagedReading reading);
  void Add(const std::vector<StagedReading>& readings) {
    for (const auto& r : readings) Add(r);
  }
  std::map<Key, Sighting> Result() const;
  // Each monitor's best calibrated RSSI (tenths of a dB) for the device in the interval: what the
  // stable room compares (blemon/rooms.h). Empty when the device was not heard.
  std::map<MonitorId, int> CalibratedByMonitor(const Key& key) const;

 private:
  struct Cell {
    StagedReading winner;
    std::map<MonitorId, int> best_per_monitor;  // raw, for the margin and the monitor count
  };
  RssiOffsets offsets_;
  std::map<Key, Cell> cells_;
};

}  // namespace blemon
