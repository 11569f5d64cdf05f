#include "blemon/app/time_zone.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>

namespace blemon::app {
namespace {

bool IsZoneFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A POSIX TZ rule starts with a zone name (three or more letters, or <...> quoted) followed by
// an offset ("CET-1", "UTC0", "<+0545>-5:45"); what follows (a summer-time name and rules) is
// the C library's business. Without an offset glibc falls back to UTC silently.
bool IsPosixRule(std::string_view tz) {
  std::size_t i = 0;
  if (!tz.empty() && tz[0] == '<') {
    const auto close = tz.find('>');
    if (close == std::string_view::npos || close < 4) return false;
    i = close + 1;
  } else {
    while (i < tz.size() && std::isalpha(static_cast<unsigned char>(tz[i]))) ++i;
    if (i < 3) return false;
  }
  if (i < tz.size() && (tz[i] == '+' || tz[i] == '-')) ++i;
  return i < tz.size() && std::isdigit(static_cast<unsigned char>(tz[i]));
}

}  // namespace

std::optional<std::string> TimeZoneProblem(std::string_view tz, const std::string& zoneinfo_dir) {
  if (tz.empty()) return std::nullopt;
  std::string name(tz.front() == ':' ? tz.substr(1) : tz);
  if (!name.empty() && name.front() == '/') {
    if (IsZoneFile(name)) return std::nullopt;
    return fmt::format("TZ={} names no zone file ({} does not exist)", tz, name);
  }
  if (name.find("..") == std::string::npos && IsZoneFile(zoneinfo_dir + "/" + name)) {
    return std::nullopt;
  }
  if (tz.front() != ':' && IsPosixRule(name)) return std::nullopt;
  return fmt::format(
      "TZ={} is not a time zone: there is no {}/{} and it is not a POSIX rule such as "
      "CET-1CEST,M3.5.0,M10.5.0/3. Use a name from `timedatectl list-timezones` (e.g. "
      "TZ=Europe/Berlin), or unset TZ for the system's zone",
      tz, zoneinfo_dir, name);
}

std::optional<std::string> ProcessTimeZoneProblem() {
  const char* tz = std::getenv("TZ");
  if (tz == nullptr) return std::nullopt;
  const char* dir = std::getenv("TZDIR");
  return TimeZoneProblem(tz, dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo");
}

}  // namespace blemon::app
