#pragma once

#include <optional>
#include <string>
#include <vector>

#include "blemon/time.h"

namespace blemon::report {

// The span [from, to) a report covers, from the command line's local dates.
struct Span {
  UtcTime from;
  UtcTime to;
};

// -s/-e are inclusive local days: from = local midnight starting `start`, to = local midnight
// ending `end`. Only -s: up to the end of the current hour. Only -e: that one day. Neither:
// `default_span`. Throws std::invalid_argument with a message for a bad date or start > end.
Span SpanFromDates(const std::optional<std::string>& start, const std::optional<std::string>& end,
                   UtcTime now, const Span& default_span);

// The 24 local clock hours ending with the current one: [hour - 23 h, hour + 1 h) where hour is
// the start of the local hour holding `now` (not of the UTC hour: in India they differ by 30 min).
Span LastDayOfHours(UtcTime now);

// `span` cut where the local hours' shift against UTC hours changes (LocalHourShiftAt; only in a
// zone whose summer time moves by half an hour, such as Lord Howe Island), each piece with its
// shift: the hourly report asks the store for each piece, so every bucket is a local hour.
struct HourPiece {
  Span span;
  Seconds shift;
};
std::vector<HourPiece> LocalHourPieces(const Span& span);

}  // namespace blemon::report
