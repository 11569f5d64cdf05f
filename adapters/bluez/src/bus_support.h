#pragma once

// What the BlueZ scanner and advertiser share about the system bus: the names they call, the
// translator of the bus's own errors into words a user can act on, and sd-bus's poll timeout.
// Internal to the adapter.

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace blemon::bluez::internal {

inline constexpr char kBluezService[] = "org.bluez";
inline constexpr char kObjectManagerInterface[] = "org.freedesktop.DBus.ObjectManager";
inline constexpr char kPropertiesInterface[] = "org.freedesktop.DBus.Properties";
inline constexpr char kBusService[] = "org.freedesktop.DBus";
inline constexpr char kBusPath[] = "/org/freedesktop/DBus";
// What sdbus-c++ names its own errors (a failing syscall rather than a D-Bus error reply).
inline constexpr char kSdbusCppError[] = "org.sdbuscpp.Error";

// The user running blemon, for "add it to group bluetooth" advice.
std::string CurrentUser();
// DBUS_SYSTEM_BUS_ADDRESS, or the system bus's default socket.
std::string SystemBusAddress();
std::string BluezNotRunning();

// The half of an error translation that concerns the bus and the connection to it (access, a
// missing bluetoothd, timeouts, vanished objects, a lost bus); nullopt for any other error, which
// the caller explains in its own terms. `call` names what we were doing ("StartDiscovery on
// hci0"), `subject` the adapter.
std::optional<std::string> ExplainBusError(const std::string& name, const std::string& message,
                                           std::string_view call, std::string_view subject);

// Relative time until sd-bus wants to be called again (a method call timing out), if ever.
std::optional<std::chrono::milliseconds> BusTimeout(const sdbus::IConnection::PollData& data);

}  // namespace blemon::bluez::internal
