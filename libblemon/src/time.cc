#include "blemon/time.h"

#include <fmt/format.h>

#include <ctime>

namespace blemon {

std::string UtcLabel(UtcTime t) {
  // gmtime_r, not fmt's chrono formatting: fmt 9 formats a system_clock time point in *local*
  // time, which put "UTC" after a local time in the logs.
  const std::time_t seconds = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace blemon
