#include "blemon/report/presence_reports.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace blemon::report {
namespace {

constexpr std::string_view kAllClasses = "all";

Report Base(std::string kind, std::string title, const ReportFilter& filter) {
  Report report;
  report.kind = std::move(kind);
  report.title = std::move(title);
  report.from = filter.from;
  report.to = filter.to;
  return report;
}

std::int64_t Minutes(Seconds s) {
  return std::chrono::duration_cast<std::chrono::minutes>(s).count();
}

}  // namespace

Report OccupancyReport(const std::vector<OccupancyRow>& rows, const ReportFilter& filter) {
  Report report = Base("occupancy", "Room occupancy", filter);
  report.columns = {{"room", "Room", false},
                    {"device_class", "Class", false},
                    {"mean_devices", "Mean devices", true},
                    {"max_devices", "Max devices", true}};
  // Per (room, class) the devices per interval; "all" sums the classes.
  std::set<UtcTime> intervals;
  std::map<std::pair<std::string, std::string>, std::map<UtcTime, int>> counts;
  for (const auto& row : rows) {
    intervals.insert(row.interval_start);
    counts[{row.room, row.device_class}][row.interval_start] += row.devices;
    counts[{row.room, std::string(kAllClasses)}][row.interval_start] += row.devices;
  }
  std::set<std::string> rooms;
  for (const auto& [key, per_interval] : counts) {
    int total = 0;
    int most = 0;
    for (const auto& [interval, devices] : per_interval) {
      total += devices;
      most = std::max(most, devices);
    }
    const double mean = static_cast<double>(total) / static_cast<double>(intervals.size());
    report.rows.push_back({key.first, key.second, Decimal{mean}, static_cast<std::int64_t>(most)});
    rooms.insert(key.first);
  }
  // "all" first within each room, then the classes by name.
  std::ranges::stable_sort(report.rows, [](const auto& a, const auto& b) {
    const auto& room_a = std::get<std::string>(a[0]);
    const auto& room_b = std::get<std::string>(b[0]);
    if (room_a != room_b) return room_a < room_b;
    return (std::get<std::string>(a[1]) == kAllClasses) >
           (std::get<std::string>(b[1]) == kAllClasses);
  });
  report.totals = {{"rooms", static_cast<std::int64_t>(rooms.size())},
                   {"intervals", static_cast<std::int64_t>(intervals.size())}};
  return report;
}

Report VisitsReport(const std::vector<PresenceEvent>& events, UtcTime open_until,
                    const ReportFilter& filter) {
  Report report = Base("visits", "Visits and dwell time", filter);
  report.columns = {{"watch_name", "Watched", false},
                    {"room", "Room", false},
                    {"visits", "Visits", true},
                    {"dwell_minutes", "Dwell (min)", true},
                    {"longest_minutes", "Longest (min)", true}};
  const auto visits = VisitsOf(events, open_until);
  std::int64_t dwell = 0;
  for (const auto& row : DwellOf(visits)) {
    report.rows.push_back({row.watch_name, row.room, static_cast<std::int64_t>(row.visits),
                           Minutes(row.dwell), Minutes(row.longest)});
    dwell += Minutes(row.dwell);
  }
  report.totals = {{"visits", static_cast<std::int64_t>(visits.size())}, {"minutes", dwell}};
  return report;
}

Report PresenceReport(const std::vector<PresenceEvent>& events, const ReportFilter& filter) {
  Report report = Base("presence", "Presence events", filter);
  report.columns = {{"interval_start", "Interval", false}, {"watch_name", "Watched", false},
                    {"device", "Device", false},           {"event", "Event", false},
                    {"from_room", "From", false},          {"to_room", "To", false}};
  std::int64_t arrivals = 0;
  std::int64_t departures = 0;
  const auto room = [](const std::string& r) { return r.empty() ? Value() : Value(r); };
  for (const auto& e : events) {
    report.rows.push_back({e.interval_start, e.watch_name, e.device, std::string(ToString(e.kind)),
                           room(e.from_room), room(e.to_room)});
    arrivals += e.kind == PresenceEventKind::kArrive ? 1 : 0;
    departures += e.kind == PresenceEventKind::kLeave ? 1 : 0;
  }
  report.totals = {{"events", static_cast<std::int64_t>(events.size())},
                   {"arrivals", arrivals},
                   {"departures", departures}};
  return report;
}

bool IsPresenceReport(std::string_view kind) {
  return kind == "occupancy" || kind == "visits" || kind == "presence";
}

std::optional<Report> ReadPresenceReport(PresenceStore& store, std::string_view kind,
                                         const ReportFilter& filter, Seconds interval_length) {
  if (kind == "occupancy") return OccupancyReport(store.Occupancy(filter.from, filter.to), filter);
  if (kind == "presence") return PresenceReport(store.Events(filter.from, filter.to), filter);
  if (kind != "visits") return std::nullopt;
  UtcTime open_until = filter.to;
  if (const auto through = store.LoadPresenceState().through) {
    open_until = std::min(open_until, *through + interval_length);
  }
  return VisitsReport(store.Events(filter.from, filter.to), open_until, filter);
}

}  // namespace blemon::report
