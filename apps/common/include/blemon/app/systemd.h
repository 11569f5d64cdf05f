#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace blemon::app {

// sd_notify for Type=notify units. Every call is a cheap no-op outside systemd (no
// NOTIFY_SOCKET), so applications call it unconditionally.
class SystemdNotifier {
 public:
  SystemdNotifier();

  bool active() const { return active_; }
  // How often to ping: half of WatchdogSec, as sd_watchdog_enabled(3) advises; nullopt when the
  // unit has no watchdog.
  std::optional<std::chrono::milliseconds> watchdog_ping_interval() const { return ping_every_; }

  void Ready() const;
  void Status(std::string_view text) const;
  void Stopping() const;
  void Watchdog() const;

 private:
  bool active_ = false;
  std::optional<std::chrono::milliseconds> ping_every_;
};

}  // namespace blemon::app
