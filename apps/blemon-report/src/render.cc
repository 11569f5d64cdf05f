#include "blemon/report/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "blemon/app/terminal.h"
#include "blemon/report/local_time.h"
#include "blemon/report/text.h"

namespace blemon::report {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string DecimalText(double value) {
  // One decimal, and never "-0.0".
  const double rounded = std::round(value * 10.0) / 10.0;
  return fmt::format("{:.1f}", rounded == 0.0 ? 0.0 : rounded);
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// Every zone the report's times fall in: one in the usual case, two when the span crosses a
// daylight-saving change.
std::vector<Zone> ZonesOf(const Report& report) {
  std::vector<Zone> zones;
  const auto add = [&](UtcTime t) {
    const Zone zone = ZoneAt(t);
    if (std::find(zones.begin(), zones.end(), zone) == zones.end()) zones.push_back(zone);
  };
  if (report.from) add(*report.from);
  for (const auto& row : report.rows) {
    for (const auto& value : row) {
      if (const auto* t = std::get_if<UtcTime>(&value)) add(*t);
    }
  }
  if (report.to) add(*report.to - Seconds(1));
  if (zones.empty()) zones.push_back(ZoneAt(UtcTime(Seconds(0))));
  return zones;
}

std::string ZonesLabel(const std::vector<Zone>& zones) {
  std::vector<std::string> labels;
  for (const auto& zone : zones) labels.push_back(ZoneLabel(zone));
  return Join(labels, " / ");
}

// Local times in tables carry no offset, so when two zones are in play each time names its own
// (the repeated hour of a fall-back night would otherwise read twice the same).
std::string TableTime(UtcTime t, bool name_zone) {
  std::string text = FormatLocalMinutes(t);
  if (name_zone) {
    const Zone zone = ZoneAt(t);
    text += " " + (zone.abbreviation.empty() ? ZoneLabel(zone) : zone.abbreviation);
  }
  return text;
}

std::string TableCell(const Value& value, bool name_zone) {
  return std::visit(Overloaded{[](std::monostate) { return std::string("-"); },
                               [](std::int64_t v) { return std::to_string(v); },
                               [](Decimal v) { return DecimalText(v.value); },
                               [](const std::string& v) { return app::EscapeForTerminal(v); },
                               [](bool v) { return std::string(v ? "yes" : "no"); },
                               [&](UtcTime v) { return TableTime(v, name_zone); },
                               [](const std::vector<std::string>& v) {
                                 std::vector<std::string> safe;
                                 for (const auto& item : v)
                                   safe.push_back(app::EscapeForTerminal(item));
                                 return Join(safe, ", ");
                               }},
                    value);
}

// RFC 4180 has no place for control characters, and a CSV file is often just cat'ed: they are
// shown as the same visible escapes as in tables.
std::string Safe(const std::string& text) { return app::EscapeForTerminal(text); }

std::string CsvCell(const Value& value) {
  return std::visit(
      Overloaded{[](std::monostate) { return std::string(); },
                 [](std::int64_t v) { return std::to_string(v); },
                 [](Decimal v) { return DecimalText(v.value); },
                 [](const std::string& v) { return CsvField(Safe(v)); },
                 [](bool v) { return std::string(v ? "true" : "false"); },
                 [](UtcTime v) { return Iso8601(v); },
                 [](const std::vector<std::string>& v) { return CsvField(Safe(Join(v, "; "))); }},
      value);
}

std::string JsonValue(const Value& value) {
  return std::visit(Overloaded{[](std::monostate) { return std::string("null"); },
                               [](std::int64_t v) { return std::to_string(v); },
                               [](Decimal v) { return DecimalText(v.value); },
                               [](const std::string& v) { return JsonString(v); },
                               [](bool v) { return std::string(v ? "true" : "false"); },
                               [](UtcTime v) { return JsonString(Iso8601(v)); },
                               [](const std::vector<std::string>& v) {
                                 std::vector<std::string> items;
                                 for (const auto& item : v) items.push_back(JsonString(item));
                                 return "[" + Join(items, ", ") + "]";
                               }},
                    value);
}

std::string Scope(const Report& report, const std::vector<Zone>& zones, bool name_zone) {
  std::string scope;
  if (report.from && report.to) {
    scope = fmt::format("from {} to {}", TableTime(*report.from, name_zone),
                        TableTime(*report.to, name_zone));
  }
  if (report.monitor) {
    if (!scope.empty()) scope += ", ";
    scope += "monitor " + app::EscapeForTerminal(*report.monitor);
  }
  if (report.confidence && !report.confidence->empty()) {
    if (!scope.empty()) scope += ", ";
    scope += "confidence " + Join(*report.confidence, ", ");
  }
  if (!scope.empty()) scope += ", ";
  scope += "times in " + ZonesLabel(zones);
  return scope;
}

std::string RenderTable(const Report& report) {
  const auto zones = ZonesOf(report);
  const bool name_zone = zones.size() > 1;
  std::vector<std::vector<std::string>> cells;
  std::vector<int> widths;
  for (const auto& column : report.columns) widths.push_back(DisplayWidth(column.header));
  for (const auto& row : report.rows) {
    std::vector<std::string> line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line.push_back(TableCell(row[c], name_zone));
      widths[c] = std::max(widths[c], DisplayWidth(line.back()));
    }
    cells.push_back(std::move(line));
  }
  const auto format_line = [&](const std::vector<std::string>& line) {
    std::string out;
    for (std::size_t c = 0; c < line.size(); ++c) {
      if (c > 0) out += "  ";
      const bool last = c + 1 == line.size();
      if (report.columns[c].right_aligned) {
        out += PadLeft(line[c], widths[c]);
      } else {
        out += last ? line[c] : PadRight(line[c], widths[c]);
      }
    }
    return out + "\n";
  };
  std::string out = fmt::format("{} — {}\n\n", report.title, Scope(report, zones, name_zone));
  std::vector<std::string> headers;
  std::vector<std::string> rules;
  for (std::size_t c = 0; c < report.columns.size(); ++c) {
    headers.push_back(report.columns[c].header);
    rules.push_back(std::string(static_cast<std::size_t>(widths[c]), '-'));
  }
  out += format_line(headers);
  out += format_line(rules);
  for (const auto& line : cells) out += format_line(line);
  if (!report.totals.empty()) {
    std::vector<std::string> parts;
    for (const auto& [label, value] : report.totals) {
      parts.push_back(fmt::format("{} {}", TableCell(value, name_zone), label));
    }
    out += "\nTotal: " + Join(parts, ", ") + "\n";
  }
  return out;
}

std::string RenderCsv(const Report& report) {
  std::vector<std::string> header;
  for (const auto& column : report.columns) header.push_back(CsvField(column.key));
  std::string out = Join(header, ",") + "\r\n";
  for (const auto& row : report.rows) {
    std::vector<std::string> line;
    for (const auto& value : row) line.push_back(CsvCell(value));
    out += Join(line, ",") + "\r\n";
  }
  return out;
}

std::string RenderJson(const Report& report) {
  const auto zones = ZonesOf(report);
  std::string out = "{\n";
  out += fmt::format("  \"report\": {},\n", JsonString(report.kind));
  out += fmt::format("  \"time_zone\": {},\n", JsonString(ZonesLabel(zones)));
  out += fmt::format("  \"from\": {},\n",
                     report.from ? JsonString(Iso8601(*report.from)) : std::string("null"));
  out += fmt::format("  \"to\": {},\n",
                     report.to ? JsonString(Iso8601(*report.to)) : std::string("null"));
  out += fmt::format("  \"monitor\": {},\n",
                     report.monitor ? JsonString(*report.monitor) : std::string("null"));
  if (report.confidence) {
    out += fmt::format("  \"confidence\": {},\n", report.confidence->empty()
                                                      ? std::string("null")
                                                      : JsonValue(*report.confidence));
  }
  out += "  \"rows\": [";
  for (std::size_t r = 0; r < report.rows.size(); ++r) {
    std::vector<std::string> members;
    for (std::size_t c = 0; c < report.columns.size(); ++c) {
      members.push_back(
          fmt::format("{}: {}", JsonString(report.columns[c].key), JsonValue(report.rows[r][c])));
    }
    out += fmt::format("{}\n    {{{}}}", r == 0 ? "" : ",", Join(members, ", "));
  }
  out += report.rows.empty() ? "],\n" : "\n  ],\n";
  std::vector<std::string> totals;
  for (const auto& [key, value] : report.totals) {
    totals.push_back(fmt::format("{}: {}", JsonString(key), JsonValue(value)));
  }
  out += "  \"totals\": {" + Join(totals, ", ") + "}\n}\n";
  return out;
}

}  // namespace

std::string NoDataLine(const Report& report) {
  const auto zones = ZonesOf(report);
  return fmt::format("No data found for the {} report {}.\n", report.kind,
                     Scope(report, zones, zones.size() > 1));
}

Rendered Render(const Report& report, Format format) {
  const bool empty = report.rows.empty();
  switch (format) {
    case Format::kTable:
      return {empty ? NoDataLine(report) : RenderTable(report), ""};
    case Format::kCsv:
      // Scripts still get a parsable document; the person at the terminal gets the line.
      return {RenderCsv(report), empty ? NoDataLine(report) : ""};
    case Format::kJson:
      return {RenderJson(report), empty ? NoDataLine(report) : ""};
  }
  return {};
}

}  // namespace blemon::report
