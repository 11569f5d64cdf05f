#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/time.h"

namespace blemon {

using MonitorId = long long;

// One staged reading as the processor sees it: who heard which device how well, and when.
struct StagedReading {
  MonitorId monitor_id = 0;
  MacAddress mac;
  UtcTime interval_start;
  int rssi = 0;
  UtcTime scan_time;
};

// The kept record of one device in one interval.
struct Sighting {
  MonitorId monitor_id = 0;  // the monitor that heard it best
  int rssi = 0;
  UtcTime scan_time;
  // Winner's RSSI minus the best RSSI of any other monitor; nullopt when no other monitor heard it.
  std::optional<int> margin_db;
  int monitors_heard = 0;

  friend bool operator==(const Sighting&, const Sighting&) = default;
};

// True when `a` beats `b`: higher RSSI, then the earlier scan time, then the lower monitor id.
// A strict total order on distinct (monitor, rssi, time) triples, so the max is well defined.
bool Beats(const StagedReading& a, const StagedReading& b);

// The reference implementation of best-RSSI selection, the oracle every Store is tested against.
// Merging is a commutative, idempotent max: adding the same readings again, in any order or
// batching, never changes the result, and a worse reading never displaces a better one.
class BestRssiMerge {
 public:
  using Key = std::pair<MacAddress, UtcTime>;  // (device, interval_start)

  void Add(const StagedReading& reading);
  void Add(const std::vector<StagedReading>& readings) {
    for (const auto& r : readings) Add(r);
  }
  std::map<Key, Sighting> Result() const;

 private:
  struct Cell {
    StagedReading winner;
    std::map<MonitorId, int> best_per_monitor;  // for the margin and the monitor count
  };
  std::map<Key, Cell> cells_;
};

}  // namespace blemon
