#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "blemon/time.h"

namespace blemon::report {

// Local time as the C library sees it (TZ, /etc/localtime). Stored times are UTC; people read
// local time, so every rendering either states its zone or carries its offset.

struct Zone {
  std::string abbreviation;  // "CET"; may be a numeric "+0530" style name
  int offset_seconds = 0;    // east of UTC
  friend bool operator==(const Zone&, const Zone&) = default;
};

Zone ZoneAt(UtcTime t);
// "CET (UTC+01:00)", or "UTC" for UTC itself.
std::string ZoneLabel(const Zone& zone);
// How long after each UTC hour the local clock hours start at `t`, 0 to 3599 s: 0 where the
// offset is whole hours, 1800 s in India (UTC+05:30), 900 s in Nepal (UTC+05:45).
Seconds LocalHourShiftAt(UtcTime t);
// "2026-02-22 15:30" in local time.
std::string FormatLocalMinutes(UtcTime t);
// "2026-02-22T15:30:00+01:00": local time with its offset, ISO 8601.
std::string Iso8601(UtcTime t);
// The UTC instant of local midnight starting the day `yyyy_mm_dd`; nullopt when the text is not
// a valid YYYY-MM-DD date. `days_later` moves to a later day's midnight (DST-safe).
std::optional<UtcTime> LocalMidnight(std::string_view yyyy_mm_dd, int days_later = 0);
// Parses "2026-02-22T12:00:00Z" (UTC only); nullopt otherwise.
std::optional<UtcTime> ParseUtcInstant(std::string_view text);

}  // namespace blemon::report
