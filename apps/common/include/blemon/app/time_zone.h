#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blemon::app {

// The C library reads a TZ it does not understand as UTC, silently: a mistyped
// TZ=America/New_Yrok would print UTC times labelled as if local. Every blemon tool therefore
// checks TZ at start and refuses a value that names no zone (exit kExitConfig).

// What is wrong with `tz` (the TZ variable's value), or nullopt when it names a zone: a file
// under `zoneinfo_dir` ("Europe/Berlin", ":Europe/Berlin"), an absolute path to a zone file, or a
// POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3", "UTC0", "<+0545>-5:45"). The empty value is UTC, as
// POSIX says.
std::optional<std::string> TimeZoneProblem(std::string_view tz, const std::string& zoneinfo_dir);

// The same for this process's TZ (unset is fine: /etc/localtime), with the zoneinfo directory
// from TZDIR or /usr/share/zoneinfo. The message names TZ and says what to do.
std::optional<std::string> ProcessTimeZoneProblem();

}  // namespace blemon::app
