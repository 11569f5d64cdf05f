#include "blemon/report/reports.h"

#include <map>
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

// The confidences `filter` keeps, as words: what the rooms and devices reports say they show.
std::vector<std::string> ConfidenceWords(const ReportFilter& filter) {
  std::vector<std::string> words;
  for (const Confidence c : filter.confidence) words.emplace_back(ToString(c));
  return words;
}

// The rows `read` gives for each piece of the filter's span with one shift of the local hours
// against UTC, in order.
template <typename Read>
auto InLocalHours(const ReportFilter& filter, Read read) -> decltype(read(filter)) {
  decltype(read(filter)) rows;
  for (const auto& piece : LocalHourPieces({filter.from, filter.to})) {
    ReportFilter local_hours = filter;
    local_hours.from = piece.span.from;
    local_hours.to = piece.span.to;
    local_hours.hour_shift = piece.shift;
    auto piece_rows = read(local_hours);
    rows.insert(rows.end(), piece_rows.begin(), piece_rows.end());
  }
  return rows;
}

Value TextOrNone(const std::optional<std::string>& text) {
  if (!text) return std::monostate{};
  return *text;
}

}  // namespace

Report HourlyReport(const std::vector<HourlyRow>& rows, const ReportFilter& filter) {
  Report report = Base("hourly", "Hourly device counts", filter);
  report.columns = {{"hour_start", "Hour", false},
                    {"monitor_name", "Monitor", false},
                    {"location", "Location", false},
                    {"unique_devices", "Devices", true},
                    {"addresses", "Addresses", true},
                    {"estimated_devices", "Est. devices", true},
                    {"public", "Public", true},
                    {"random_static", "Static", true},
                    {"resolvable_private", "Resolvable", true},
                    {"non_resolvable", "Non-resolv.", true},
                    {"other_class", "Other", true},
                    {"total_sightings", "Sightings", true},
                    {"avg_rssi", "Avg RSSI", true},
                    {"min_rssi", "Min RSSI", true},
                    {"max_rssi", "Max RSSI", true}};
  std::int64_t sightings = 0;
  std::set<std::string> monitors;
  for (const auto& row : rows) {
    report.rows.push_back({row.hour_start, row.monitor_name, row.location, row.unique_devices,
                           row.addresses, row.estimated_devices, row.by_class.public_addresses,
                           row.by_class.random_static, row.by_class.resolvable_private,
                           row.by_class.non_resolvable, row.by_class.other, row.total_sightings,
                           Decimal{row.avg_rssi}, static_cast<std::int64_t>(row.min_rssi),
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
  report.columns = {{"mac_address", "MAC", false},       {"device_name", "Name", false},
                    {"device_class", "Class", false},    {"vendor", "Vendor", false},
                    {"address_class", "Address", false}, {"estimated_device", "Est. device", false},
                    {"monitors", "Won by", false},       {"room", "Room", false},
                    {"confidence", "Confidence", false}, {"sightings", "Sightings", true},
                    {"best_rssi", "Best RSSI", true},    {"avg_rssi", "Avg RSSI", true},
                    {"last_seen", "Last seen", false}};
  report.confidence = ConfidenceWords(filter);
  const auto text_or_null = TextOrNone;
  std::int64_t sightings = 0;
  std::int64_t named = 0;
  std::set<std::string> estimated;
  std::map<std::string, std::int64_t> by_class;
  for (const auto& row : rows) {
    // The original printed "Unknown" for a device never heard with a name.
    report.rows.push_back(
        {row.mac, row.name ? Value(*row.name) : Value(std::string("Unknown")),
         text_or_null(row.device_class), text_or_null(row.vendor), text_or_null(row.address_class),
         row.estimated_device, row.monitors, row.room,
         row.confidence ? Value(std::string(ToString(*row.confidence))) : Value(), row.sightings,
         static_cast<std::int64_t>(row.best_rssi), Decimal{row.avg_rssi}, row.last_seen});
    sightings += row.sightings;
    named += row.name ? 1 : 0;
    estimated.insert(row.estimated_device);
    ++by_class[row.address_class.value_or("unknown")];
  }
  report.totals = {{"devices", static_cast<std::int64_t>(rows.size())},
                   {"named", named},
                   {"sightings", sightings},
                   {"addresses", static_cast<std::int64_t>(rows.size())},
                   {"estimated_devices", static_cast<std::int64_t>(estimated.size())}};
  for (const auto& [address_class, count] : by_class) {
    report.totals.emplace_back(address_class, count);
  }
  return report;
}

Report RoomsReport(const std::vector<RoomHourRow>& rows, const ReportFilter& filter) {
  Report report = Base("rooms", "Devices per stable room", filter);
  report.confidence = ConfidenceWords(filter);
  report.columns = {{"hour_start", "Hour", false},
                    {"room", "Room", false},
                    {"devices", "Devices", true},
                    {"high", "High", true},
                    {"low", "Low", true},
                    {"ambiguous", "Ambiguous", true},
                    {"unknown", "Unknown", true},
                    {"sightings", "Sightings", true},
                    {"raw_winner_elsewhere", "Raw winner elsewhere", true}};
  std::int64_t sightings = 0;
  std::int64_t elsewhere = 0;
  std::set<std::string> rooms;
  for (const auto& row : rows) {
    report.rows.push_back({row.hour_start, row.room, row.devices, row.high, row.low, row.ambiguous,
                           row.unknown, row.sightings, row.raw_winner_elsewhere});
    sightings += row.sightings;
    elsewhere += row.raw_winner_elsewhere;
    rooms.insert(row.room);
  }
  report.totals = {{"rows", static_cast<std::int64_t>(rows.size())},
                   {"rooms", static_cast<std::int64_t>(rooms.size())},
                   {"sightings", sightings},
                   {"raw_winner_elsewhere", elsewhere}};
  return report;
}

std::vector<HourlyRow> LocalHourly(ReportStore& store, const ReportFilter& filter) {
  return InLocalHours(filter, [&](const ReportFilter& hours) { return store.Hourly(hours); });
}

std::vector<RoomHourRow> LocalRoomHours(ReportStore& store, const ReportFilter& filter) {
  return InLocalHours(filter, [&](const ReportFilter& hours) { return store.RoomHours(hours); });
}

bool ByTheHour(std::string_view kind) { return kind == "hourly" || kind == "rooms"; }

bool HonoursConfidence(std::string_view kind) { return kind == "rooms" || kind == "devices"; }

std::optional<Report> ReadReport(ReportStore& store, std::string_view kind,
                                 const ReportFilter& filter) {
  if (kind == "hourly") return HourlyReport(LocalHourly(store, filter), filter);
  if (kind == "monitors") return MonitorsReport(store.Monitors(filter), filter);
  if (kind == "devices") return DevicesReport(store.Devices(filter), filter);
  if (kind == "rooms") return RoomsReport(LocalRoomHours(store, filter), filter);
  return std::nullopt;
}

}  // namespace blemon::report
