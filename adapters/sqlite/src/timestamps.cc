#include "timestamps.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "blemon/errors.h"

namespace blemon::sqlite::internal {

std::string FormatUtc(UtcTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return text;
}

namespace {

// Reads exactly `width` decimal digits at `pos`.
bool Digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<UtcTime> ParseUtc(std::string_view text) {
  using namespace std::chrono;
  // 'YYYY-MM-DD HH:MM:SS'; also accept the ISO 'T' separator, which hand-written SQL may use.
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int y, mo, d, h, mi, s;
  if (!Digits(text, 0, 4, y) || !Digits(text, 5, 2, mo) || !Digits(text, 8, 2, d) ||
      !Digits(text, 11, 2, h) || !Digits(text, 14, 2, mi) || !Digits(text, 17, 2, s)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

UtcTime ReadTime(const Statement& row, int column, const Connection& db) {
  const auto text = row.Text(column);
  const auto t = ParseUtc(text);
  if (!t) {
    throw Refused(fmt::format("SQLite database {}: '{}' is not a 'YYYY-MM-DD HH:MM:SS' time",
                              db.path(), text));
  }
  return *t;
}

std::optional<UtcTime> ReadOptionalTime(const Statement& row, int column, const Connection& db) {
  if (row.IsNull(column)) return std::nullopt;
  return ReadTime(row, column, db);
}

}  // namespace blemon::sqlite::internal
