#include "blemon/report/local_time.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <ctime>

namespace blemon::report {
namespace {

std::tm Local(UtcTime t) {
  const std::time_t seconds = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm local{};
  ::localtime_r(&seconds, &local);
  return local;
}

std::string Offset(int offset_seconds, bool colon) {
  const char sign = offset_seconds < 0 ? '-' : '+';
  const int minutes = std::abs(offset_seconds) / 60;
  return fmt::format("{}{:02}{}{:02}", sign, minutes / 60, colon ? ":" : "", minutes % 60);
}

bool ParseInt(std::string_view text, int* value) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

Zone ZoneAt(UtcTime t) {
  const std::tm local = Local(t);
  return {local.tm_zone != nullptr ? local.tm_zone : "", static_cast<int>(local.tm_gmtoff)};
}

Seconds LocalHourShiftAt(UtcTime t) {
  const int offset = ZoneAt(t).offset_seconds;
  return Seconds(((-offset) % 3600 + 3600) % 3600);
}

std::string ZoneLabel(const Zone& zone) {
  if (zone.offset_seconds == 0 && (zone.abbreviation == "UTC" || zone.abbreviation == "GMT")) {
    return "UTC";
  }
  const std::string offset = "UTC" + Offset(zone.offset_seconds, true);
  // Zones without a letter abbreviation report their offset as the name ("+0530").
  if (zone.abbreviation.empty() || zone.abbreviation[0] == '+' || zone.abbreviation[0] == '-') {
    return offset;
  }
  return fmt::format("{} ({})", zone.abbreviation, offset);
}

std::string FormatLocalMinutes(UtcTime t) {
  const std::tm local = Local(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", local.tm_year + 1900, local.tm_mon + 1,
                     local.tm_mday, local.tm_hour, local.tm_min);
}

std::string Iso8601(UtcTime t) {
  const std::tm local = Local(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", local.tm_year + 1900,
                     local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                     Offset(static_cast<int>(local.tm_gmtoff), true));
}

std::optional<UtcTime> LocalMidnight(std::string_view text, int days_later) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (!ParseInt(text.substr(0, 4), &year) || !ParseInt(text.substr(5, 2), &month) ||
      !ParseInt(text.substr(8, 2), &day)) {
    return std::nullopt;
  }
  std::tm local{};
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_isdst = -1;
  std::tm check = local;
  if (std::mktime(&check) == -1 || check.tm_mday != day || check.tm_mon != month - 1) {
    return std::nullopt;  // 2026-02-30 and friends
  }
  local.tm_mday = day + days_later;
  local.tm_isdst = -1;
  const std::time_t t = std::mktime(&local);
  if (t == -1) return std::nullopt;
  return UtcTime(Seconds(t));
}

std::optional<UtcTime> ParseUtcInstant(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseInt(text.substr(0, 4), &year) || !ParseInt(text.substr(5, 2), &month) ||
      !ParseInt(text.substr(8, 2), &day) || !ParseInt(text.substr(11, 2), &hour) ||
      !ParseInt(text.substr(14, 2), &minute) || !ParseInt(text.substr(17, 2), &second)) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return UtcTime(sys_days(date).time_since_epoch() + hours(hour) + minutes(minute) +
                 Seconds(second));
}

}  // namespace blemon::report
