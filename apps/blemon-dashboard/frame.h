#pragma once

#include <optional>
#include <string>

#include "blemon/interval.h"
#include "blemon/report_store.h"

namespace blemon::dashboard {

enum class Health { kOk, kLate, kDown, kStopped };

// A monitor's health from its heartbeat against the fleet interval L, on the store's clock: ok
// while it has reported within 1.5 L (one missed beat is normal jitter), late up to 3 L, down
// after that or if it never reported; stopped when it said goodbye (is_active false).
Health HealthOf(const DashboardMonitor& monitor, UtcTime store_now, Seconds interval);

struct FrameOptions {
  int width = 100;
  bool color = false;  // ANSI colours and bold (only on a terminal)
  // From the config; the store's fleet interval wins when it has one.
  Seconds interval = ScheduleConfig{}.interval;
  std::string store;  // "SQLite blemon.db", for the header
  int refresh_seconds = 30;
  bool interactive = false;  // show the "q to quit" hint
  // How many top devices and recent sightings were asked for; 0 leaves the section out (an
  // empty section would claim there were none).
  int top_devices = 10;
  int recent = 10;
};

// One screen of the dashboard. `snapshot` is the last good one (nullopt before the first);
// `error` is the current failure to show (the database is away), if any. No line is wider than
// options.width columns; untrusted names are escaped.
// `rooms`, when given, adds the rooms panel: devices per stable room in the newest processed
// interval and how many of them with high confidence.
std::string RenderFrame(const std::optional<DashboardSnapshot>& snapshot,
                        const std::optional<std::string>& error, UtcTime now,
                        const FrameOptions& options,
                        const std::optional<RoomsNow>& rooms = std::nullopt);

}  // namespace blemon::dashboard
