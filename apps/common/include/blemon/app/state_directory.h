#pragma once

#include <string>
#include <string_view>

namespace blemon::app {

// Where a monitor keeps its spool when monitor.state_directory is empty: $STATE_DIRECTORY
// (systemd's StateDirectory=), else /var/lib/blemon when it exists and is writable, else the
// working directory (".").
std::string DefaultStateDirectory();

// The host name, the default monitor name; "blemon" if it cannot be read.
std::string HostName();

// A name made safe for a file name: characters other than letters, digits, '.', '-' and '_'
// become '_' (a monitor named "Living Room" spools to "spool-Living_Room.db").
std::string FileNameSafe(std::string_view name);

}  // namespace blemon::app
