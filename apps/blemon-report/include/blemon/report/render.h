#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "blemon/time.h"

namespace blemon::report {

enum class Format { kTable, kCsv, kJson };

// A number shown with one decimal (average RSSI).
struct Decimal {
  double value = 0;
};

// A cell. monostate is "none" (blank in csv, null in json, "-" in tables); a list is the
// monitors that won a device ("; "-joined in csv, an array in json).
using Value = std::variant<std::monostate, std::int64_t, Decimal, std::string, bool, UtcTime,
                           std::vector<std::string>>;

struct Column {
  std::string key;     // csv header and json member name: snake_case, stable for scripts
  std::string header;  // table header for people
  bool right_aligned = false;
};

// A report as data, before it is turned into one of the three formats.
struct Report {
  std::string kind;             // "hourly", "monitors", "devices": json's "report"
  std::string title;            // "Hourly device counts"
  std::optional<UtcTime> from;  // the span covered, [from, to)
  std::optional<UtcTime> to;
  std::optional<std::string> monitor;
  // The confidences kept, for the reports that filter on them (rooms, devices): json's
  // "confidence" (null when empty: all), the table title's "confidence …". nullopt: the report
  // does not filter on confidence and says nothing about it.
  std::optional<std::vector<std::string>> confidence;
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  std::vector<std::pair<std::string, Value>> totals;  // (json key / table label, value)
};

struct Rendered {
  std::string out;      // for stdout
  std::string message;  // for stderr (csv and json: the "No data found" line), may be empty
};

// Table: a title naming the span and the time zone, aligned columns (by display width, untrusted
// text escaped), a total line; an empty report is the single line "No data found for …".
// CSV (RFC 4180, CRLF): a header row and the rows, times ISO 8601 with offset. JSON: one object
// with the span, zone, rows and totals; numbers as numbers, times ISO 8601 with offset.
Rendered Render(const Report& report, Format format);

// "No data found for the hourly report from … to … (monitor X)."
std::string NoDataLine(const Report& report);

}  // namespace blemon::report
