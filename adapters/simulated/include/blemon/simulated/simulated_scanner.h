#pragma once

#include <memory>
#include <string>

#include "blemon/config.h"
#include "blemon/ports.h"

namespace blemon::simulated {

// A Scanner over a deterministic world: devices placed in rooms, this monitor at `location`.
// Monitors given the same seed see the same world from their own location. Scan() waits out the
// window on `clock` (so an accelerated test clock makes scans instant) and labels the world's time
// with clock.UtcNow().
std::unique_ptr<Scanner> MakeScanner(const SimulationSettings& settings,
                                     const std::string& location, Clock& clock);

}  // namespace blemon::simulated
