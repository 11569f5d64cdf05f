#pragma once

// Process exit codes shared by every blemon executable. They follow sysexits.h so that systemd
// units (RestartPreventExitStatus=) and shell scripts can tell the cases apart.

namespace blemon::app {

inline constexpr int kExitOk = 0;
// The command line is wrong (EX_USAGE).
inline constexpr int kExitUsage = 64;
// Something the program needs is not there: no store, no spool, no scanner (EX_UNAVAILABLE).
inline constexpr int kExitUnavailable = 69;
// Try again later: another monitor holds the processor role (EX_TEMPFAIL). systemd's restart
// policy turns this into the failover the original tool documented.
inline constexpr int kExitTryLater = 75;
// The configuration is wrong; the message names file, line and key (EX_CONFIG).
inline constexpr int kExitConfig = 78;

}  // namespace blemon::app
