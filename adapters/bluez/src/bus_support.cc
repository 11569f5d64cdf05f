#include "bus_support.h"

#include <fmt/format.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <limits>

namespace blemon::bluez::internal {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string CurrentUser() {
  if (const passwd* entry = ::getpwuid(::geteuid()); entry && entry->pw_name) {
    return entry->pw_name;
  }
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "<user>";
}

std::string SystemBusAddress() {
  const char* address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return address && *address ? address : "unix:path=/run/dbus/system_bus_socket";
}

std::string BluezNotRunning() {
  return "BlueZ is not running (nobody owns org.bluez on the system bus): start it with "
         "`sudo systemctl start bluetooth`";
}

std::optional<std::string> ExplainBusError(const std::string& name, const std::string& message,
                                           std::string_view call, std::string_view subject) {
  if (name == "org.freedesktop.DBus.Error.AccessDenied" ||
      name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired" ||
      name == "org.bluez.Error.NotAuthorized" || name == "org.bluez.Error.NotPermitted") {
    const std::string user = CurrentUser();
    return fmt::format(
        "{}: access denied ({}): the user running blemon ({}) must be in group 'bluetooth': "
        "`sudo usermod -aG bluetooth {}`, then log in again or restart the service",
        call, message, user, user);
  }
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
    return BluezNotRunning();
  }
  if (name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Timeout" ||
      name == "org.freedesktop.DBus.Error.TimedOut" ||
      message.find("timed out") != std::string::npos) {
    return fmt::format(
        "{}: BlueZ did not answer in time: bluetoothd may be stuck; if this repeats, "
        "`sudo systemctl restart bluetooth`",
        call);
  }
  if (name == "org.freedesktop.DBus.Error.UnknownObject" ||
      name == "org.freedesktop.DBus.Error.UnknownMethod" ||
      name == "org.freedesktop.DBus.Error.UnknownInterface") {
    return fmt::format(
        "{}: Bluetooth adapter {} disappeared ({}): unplugged, or bluetoothd restarted", call,
        subject, message);
  }
  if (name == "org.freedesktop.DBus.Error.Disconnected" ||
      name == "org.freedesktop.DBus.Error.NoServer" || EndsWith(name, ".ECONNRESET") ||
      EndsWith(name, ".ENOTCONN") || message.find("Connection reset") != std::string::npos ||
      message.find("Transport endpoint is not connected") != std::string::npos) {
    return fmt::format("{}: lost the connection to the D-Bus system bus ({}): is dbus running?",
                       call, message);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> BusTimeout(const sdbus::IConnection::PollData& data) {
  if (data.timeout_usec == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto now_usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
                        static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  if (data.timeout_usec <= now_usec) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(
      std::chrono::microseconds(data.timeout_usec - now_usec));
}

}  // namespace blemon::bluez::internal
