#include "blemon/app/systemd.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace blemon::app {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    ping_every_ = std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1));
  }
}

void SystemdNotifier::Ready() const {
  if (active_) ::sd_notify(0, "READY=1");
}

void SystemdNotifier::Status(std::string_view text) const {
  if (!active_) return;
  // sd_notify's protocol is line based: a newline in the text would start a new assignment.
  std::string line = "STATUS=";
  for (const char c : text) line.push_back(c == '\n' ? ' ' : c);
  ::sd_notify(0, line.c_str());
}

void SystemdNotifier::Stopping() const {
  if (active_) ::sd_notify(0, "STOPPING=1");
}

void SystemdNotifier::Watchdog() const {
  if (active_ && ping_every_) ::sd_notify(0, "WATCHDOG=1");
}

}  // namespace blemon::app
