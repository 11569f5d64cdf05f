#pragma once

#include <optional>
#include <string>

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

// The 24 clock hours ending with the current one: [floor_hour(now) - 23 h, floor_hour(now) + 1 h).
Span LastDayOfHours(UtcTime now);

}  // namespace blemon::report
