#include "blemon/report/reports.h"

#include <set>
#include <string>

#include "blemon/report/span.h"

namespace blemon::report {
namespace {

Value Time(const std::optional<UtcTime>& t) {
  if (!t) return std::monostate{};
  return *t;
}

Report Base(std::string kind, std::string title, const ReportFilter& filter) {
  Report report;
  report.kind = std::move(kind);
  report.title = std::move(title);
  report.from = filter.from;
  report.to = filter.to;
  report.monitor = filter.monitor;
  return report;
}

}  // namespace

Report HourlyReport(const std::vector<HourlyRow>& rows, const ReportFilter& filter) {
  Report report = Base("hourly", "Hourly device counts", filter);
  report.columns = {{"hour_start", "Hour", false},          {"monitor_name", "Monitor", false},
                    {"location", "Location", false},        {"unique_devices", "Devices", true},
                    {"total_sightings", "Sightings", true}, {"avg_rssi", "Avg RSSI", true},
                    {"min_rssi", "Min RSSI", true},         {"max_rssi", "Max RSSI", true}};
  std::int64_t sightings = 0;
  std::set<std::string> monitors;
  for (const auto& row : rows) {
    report.rows.push_back({row.hour_start, row.monitor_name, row.location, row.unique_devices,
                           row.total_sightings, Decimal{row.avg_rssi},
                           static_cast<std::int64_t>(row.min_rssi),
                           static_cast<std::int64_t>(row.max_rssi)});
    sightings += row.total_sightings;
    monitors.insert(row.monitor_name);
  }
  report.totals = {{"rows", static_cast<std::int64_t>(rows.size())},
                   {"monitors", static_cast<std::int64_t>(monitors.size())},
                   {"sightings", sightings}};
  return report;
}

Report MonitorsReport(const std::vector<MonitorSummary>& rows, const ReportFilter& filter) {
  Report report = Base("monitors", "Monitor summary", filter);
  report.columns = {{"monitor_name", "Monitor", false},
                    {"location", "Location", false},
                    {"is_active", "Active", false},
                    {"last_seen", "Last seen", false},
                    {"devices", "Devices", true},
                    {"sightings", "Sightings", true},
                    {"first_sighting", "First sighting", false},
                    {"last_sighting", "Last sighting", false}};
  std::int64_t sightings = 0;
  std::int64_t active = 0;
  for (const auto& row : rows) {
    report.rows.push_back({row.monitor_name, row.location, row.is_active, Time(row.last_seen),
                           row.devices, row.sightings, Time(row.first_sighting),
                           Time(row.last_sighting)});
    sightings += row.sightings;
    active += row.is_active ? 1 : 0;
  }
  report.totals = {{"monitors", static_cast<std::int64_t>(rows.size())},
                   {"active", active},
                   {"sightings", sightings}};
  return report;
}

Report DevicesReport(const std::vector<DeviceSummary>& rows, const ReportFilter& filter) {
  Report report = Base("devices", "Device summary", filter);
  report.columns = {{"mac_address", "MAC", false},    {"device_name", "Name", false},
                    {"device_class", "Class", false}, {"vendor", "Vendor", false},
                    {"monitors", "Won by", false},    {"sightings", "Sightings", true},
                    {"best_rssi", "Best RSSI", true}, {"avg_rssi", "Avg RSSI", true},
                    {"last_seen", "Last seen", false}};
  const auto text_or_null = [](const std::optional<std::string>& text) -> Value {
    if (!text) return std::monostate{};
    return *text;
  };
  std::int64_t sightings = 0;
  std::int64_t named = 0;
  for (const auto& row : rows) {
    // The original printed "Unknown" for a device never heard with a name.
    report.rows.push_back({row.mac, row.name ? Value(*row.name) : Value(std::string("Unknown")),
                           text_or_null(row.device_class), text_or_null(row.vendor), row.monitors,
                           row.sightings, static_cast<std::int64_t>(row.best_rssi),
                           Decimal{row.avg_rssi}, row.last_seen});
    sightings += row.sightings;
    named += row.name ? 1 : 0;
  }
  report.totals = {{"devices", static_cast<std::int64_t>(rows.size())},
                   {"named", named},
                   {"sightings", sightings}};
  return report;
}

std::vector<HourlyRow> LocalHourly(ReportStore& store, const ReportFilter& filter) {
  std::vector<HourlyRow> rows;
  for (const auto& piece : LocalHourPieces({filter.from, filter.to})) {
    ReportFilter local_hours = filter;
    local_hours.from = piece.span.from;
    local_hours.to = piece.span.to;
    local_hours.hour_shift = piece.shift;
    auto piece_rows = store.Hourly(local_hours);
    rows.insert(rows.end(), piece_rows.begin(), piece_rows.end());
  }
  return rows;
}

std::optional<Report> ReadReport(ReportStore& store, std::string_view kind,
                                 const ReportFilter& filter) {
  if (kind == "hourly") return HourlyReport(LocalHourly(store, filter), filter);
  if (kind == "monitors") return MonitorsReport(store.Monitors(filter), filter);
  if (kind == "devices") return DevicesReport(store.Devices(filter), filter);
  return std::nullopt;
}

}  // namespace blemon::report
