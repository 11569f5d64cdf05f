#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "blemon/config.h"
#include "blemon/ports.h"

namespace blemon::simulated {

// Another simulated monitor of the fleet, whose beacon this one hears (Reading::payload's
// monitor_beacon names `monitor_id`), as monitors hear each other to calibrate (docs/rooms.md).
struct SimulatedPeer {
  std::uint32_t monitor_id = 0;
  std::string location;
};

// A Scanner over a deterministic world: devices placed in rooms, this monitor at `location`.
// Monitors given the same seed see the same world from their own location, and hear the beacons
// of `peers` through the same radio model. Scan() waits out the
// window on `clock` (so an accelerated test clock makes scans instant) and labels the world's time
// with clock.UtcNow().
std::unique_ptr<Scanner> MakeScanner(const SimulationSettings& settings,
                                     const std::string& location, Clock& clock,
                                     const std::vector<SimulatedPeer>& peers = {});

// The fleet as it stands: every monitor on the air. Asked before each scan; when it throws (the
// store is away) the scanner keeps the peers it last had.
using PeerSource = std::function<std::vector<SimulatedPeer>()>;

// As above, the peers asked of `peers` before each scan: how blemon-monitor --simulate hears the
// other simulated monitors of its store (docs/simulation.md).
std::unique_ptr<Scanner> MakeScanner(const SimulationSettings& settings,
                                     const std::string& location, Clock& clock, PeerSource peers);

}  // namespace blemon::simulated
