#pragma once

#include <cstdio>
#include <stop_token>

#include "blemon/ports.h"

namespace blemon::monitor {

// --scan-only: one scan, one line per device on `out` (address, class, RSSI, adverts, name),
// a summary of what was dropped on stderr. No database is touched. Device names are escaped
// for the terminal. Returns the exit code: 0, or kExitUnavailable when the scan failed and
// heard nothing.
int ScanOnly(Scanner& scanner, Seconds window, std::stop_token stop, std::FILE* out);

}  // namespace blemon::monitor
