#include "blemon/report/span.h"

#include <fmt/format.h>

#include <stdexcept>

#include "blemon/report/local_time.h"

namespace blemon::report {
namespace {

UtcTime Midnight(const std::string& date, int days_later, const char* flag) {
  const auto t = LocalMidnight(date, days_later);
  if (!t) {
    throw std::invalid_argument(
        fmt::format("{} '{}' is not a date; use YYYY-MM-DD, e.g. 2026-02-01", flag, date));
  }
  return *t;
}

}  // namespace

Span LastDayOfHours(UtcTime now) {
  const Seconds shift = LocalHourShiftAt(now);
  const UtcTime hour = std::chrono::floor<std::chrono::hours>(now - shift) + shift;
  return {hour - std::chrono::hours(23), hour + std::chrono::hours(1)};
}

std::vector<HourPiece> LocalHourPieces(const Span& span) {
  std::vector<HourPiece> pieces{{span, LocalHourShiftAt(span.from)}};
  for (UtcTime t = span.from + std::chrono::hours(1); t < span.to; t += std::chrono::hours(1)) {
    const Seconds shift = LocalHourShiftAt(t);
    if (shift == pieces.back().shift) continue;
    pieces.back().span.to = t;
    pieces.push_back({{t, span.to}, shift});
  }
  return pieces;
}

Span SpanFromDates(const std::optional<std::string>& start, const std::optional<std::string>& end,
                   UtcTime now, const Span& default_span) {
  if (!start && !end) return default_span;
  Span span;
  if (start) {
    span.from = Midnight(*start, 0, "--start-date");
    span.to = end ? Midnight(*end, 1, "--end-date") : LastDayOfHours(now).to;
  } else {
    span.from = Midnight(*end, 0, "--end-date");
    span.to = Midnight(*end, 1, "--end-date");
  }
  if (span.to <= span.from) {
    throw std::invalid_argument(fmt::format("--start-date {} is after --end-date {}",
                                            start.value_or("(now)"), end.value_or("(now)")));
  }
  return span;
}

}  // namespace blemon::report
