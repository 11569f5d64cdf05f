#include "api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "blemon/mac_address.h"
#include "blemon/report/local_time.h"
#include "blemon/report/render.h"
#include "blemon/report/reports.h"
#include "blemon/report/span.h"
#include "frame.h"

namespace blemon::web {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kJsonType = "application/json; charset=utf-8";

// Radio names may hold invalid UTF-8 from old rows; replace it rather than fail the request.
std::string Dump(const Json& json) {
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Reply JsonReply(const Json& json) { return {200, kJsonType, Dump(json)}; }

Problem BadParameter(const std::string& name, const std::string& detail) {
  return Problem(400, "Bad parameter", detail, name);
}

std::optional<std::string> Single(const Query& query, const std::string& name) {
  const auto [first, last] = query.equal_range(name);
  if (first == last) return std::nullopt;
  if (std::next(first) != last) throw BadParameter(name, name + " is given more than once");
  return first->second;
}

int IntegerParameter(const Query& query, const std::string& name, int fallback, int min, int max) {
  const auto text = Single(query, name);
  if (!text) return fallback;
  int value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    throw BadParameter(name, fmt::format("{} must be a whole number from {} to {} (got '{}')", name,
                                         min, max, *text));
  }
  return value;
}

UtcTime NowParameter(const Query& query, UtcTime now) {
  const auto text = Single(query, "now");
  if (!text) return now;
  const auto parsed = report::ParseUtcInstant(*text);
  if (!parsed) {
    throw BadParameter("now", fmt::format("now must be YYYY-MM-DDTHH:MM:SSZ (got '{}')", *text));
  }
  return *parsed;
}

// The span of blemon-report: -s/-e local days, else `fallback`.
ReportFilter FilterFrom(const Query& query, const report::Span& fallback, UtcTime now) {
  const auto start = Single(query, "start_date");
  const auto end = Single(query, "end_date");
  for (const auto& [name, value] : {std::pair{"start_date", start}, std::pair{"end_date", end}}) {
    if (value && !report::LocalMidnight(*value)) {
      throw BadParameter(name, fmt::format("{} '{}' is not a date; use YYYY-MM-DD, e.g. 2026-02-01",
                                           name, *value));
    }
  }
  ReportFilter filter;
  try {
    const auto span = report::SpanFromDates(start, end, now, fallback);
    filter.from = span.from;
    filter.to = span.to;
  } catch (const std::invalid_argument&) {
    throw BadParameter("end_date", fmt::format("start_date {} is after end_date {}",
                                               start.value_or("(now)"), end.value_or("(now)")));
  }
  filter.monitor = Single(query, "monitor");
  return filter;
}

// The `confidence` parameters (repeated and/or comma lists) in the order high, low, ambiguous,
// each once, as blemon-report's --confidence takes them; only for the reports that filter on it.
std::vector<Confidence> ConfidenceParameter(const Query& query, const std::string& kind) {
  std::vector<std::string> words;
  const auto [first, last] = query.equal_range("confidence");
  for (auto it = first; it != last; ++it) {
    std::size_t start = 0;
    while (start <= it->second.size()) {
      const auto comma = std::min(it->second.find(',', start), it->second.size());
      words.push_back(it->second.substr(start, comma - start));
      start = comma + 1;
    }
  }
  if (!words.empty() && !report::HonoursConfidence(kind)) {
    throw BadParameter("confidence", fmt::format("confidence applies to the rooms and devices "
                                                 "reports, not to {}",
                                                 kind));
  }
  for (const auto& word : words) {
    if (!ParseConfidence(word)) {
      throw BadParameter("confidence", fmt::format("confidence must be high, low or ambiguous "
                                                   "(got '{}')",
                                                   word));
    }
  }
  std::vector<Confidence> kept;
  for (const auto c : {Confidence::kHigh, Confidence::kLow, Confidence::kAmbiguous}) {
    if (std::find(words.begin(), words.end(), ToString(c)) != words.end()) kept.push_back(c);
  }
  return kept;
}

Json OptionalConfidence(const std::optional<Confidence>& c) {
  return c ? Json(std::string(ToString(*c))) : Json(nullptr);
}

Json OptionalTime(const std::optional<UtcTime>& t) { return t ? Json(ApiTime(*t)) : Json(nullptr); }
Json OptionalName(const std::optional<std::string>& name) {
  return name ? Json(*name) : Json(nullptr);
}

std::string_view HealthName(dashboard::Health health) {
  switch (health) {
    case dashboard::Health::kOk:
      return "ok";
    case dashboard::Health::kLate:
      return "late";
    case dashboard::Health::kDown:
      return "down";
    case dashboard::Health::kStopped:
      return "stopped";
  }
  return "down";
}

Json MonitorsJson(const DashboardSnapshot& snapshot, Seconds interval) {
  Json monitors = Json::array();
  for (const auto& m : snapshot.monitors) {
    monitors.push_back(
        {{"monitor_name", m.monitor_name},
         {"location", m.location},
         {"is_active", m.is_active},
         {"health", HealthName(dashboard::HealthOf(m, snapshot.store_now, interval))},
         {"last_seen", OptionalTime(m.last_seen)},
         {"last_seen_age_seconds",
          m.last_seen ? Json((snapshot.store_now - *m.last_seen).count()) : Json(nullptr)},
         {"devices_24h", m.devices_24h}});
  }
  return monitors;
}

Json LeaseJson(const LeaseStatus& lease) {
  const bool live = lease.live();
  return {{"holder", lease.holder ? Json(lease.holder_name) : Json(nullptr)},
          {"epoch", lease.epoch},
          {"claimed_at", OptionalTime(lease.claimed_at)},
          {"expires_at", OptionalTime(lease.expires_at)},
          {"live", live}};
}

Json DevicesJson(const std::vector<DeviceSummary>& devices) {
  Json out = Json::array();
  for (const auto& d : devices) {
    out.push_back({{"mac", d.mac},
                   {"name", OptionalName(d.name)},
                   {"monitors", d.monitors},
                   {"room", d.room},
                   {"confidence", OptionalConfidence(d.confidence)},
                   {"sightings", d.sightings},
                   {"best_rssi", d.best_rssi},
                   {"avg_rssi", std::round(d.avg_rssi * 10.0) / 10.0},
                   {"last_seen", ApiTime(d.last_seen)}});
  }
  return out;
}

}  // namespace

Problem::Problem(int status, std::string title, const std::string& detail, std::string parameter)
    : std::runtime_error(detail),
      status_(status),
      title_(std::move(title)),
      parameter_(std::move(parameter)) {}

Reply ProblemReply(const Problem& problem, const std::string& instance) {
  Json body = {{"type", "about:blank"},
               {"title", problem.title()},
               {"status", problem.status()},
               {"detail", problem.what()},
               {"instance", instance}};
  if (!problem.parameter().empty()) body["parameter"] = problem.parameter();
  return {problem.status(), "application/problem+json", Dump(body)};
}

std::string ApiTime(UtcTime t) { return report::Iso8601(t); }

void RequireKnownParameters(const Query& query, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : query) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string names;
      for (const auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      throw BadParameter(name, fmt::format("unknown parameter '{}' (known: {})", name,
                                           names.empty() ? "none" : names));
    }
  }
}

Reply ReportReply(const std::string& kind, const Query& query, ReportStore& store, UtcTime now) {
  RequireKnownParameters(
      query, {"start_date", "end_date", "monitor", "hours", "format", "now", "confidence"});
  const std::map<std::string, std::pair<report::Format, const char*>> formats = {
      {"json", {report::Format::kJson, kJsonType}},
      {"csv", {report::Format::kCsv, "text/csv; charset=utf-8; header=present"}},
      {"table", {report::Format::kTable, "text/plain; charset=utf-8"}}};
  const std::string format_name = Single(query, "format").value_or("json");
  const auto format = formats.find(format_name);
  if (format == formats.end()) {
    throw BadParameter("format",
                       fmt::format("format must be json, csv or table (got '{}')", format_name));
  }
  const int hours = IntegerParameter(query, "hours", 24, 1, 24 * 366);
  now = NowParameter(query, now);
  // As blemon-report: hourly and rooms cover the last 24 clock hours, the others the last N hours.
  const report::Span fallback =
      report::ByTheHour(kind) ? report::LastDayOfHours(now)
                              : report::Span{now - std::chrono::hours(hours), now + Seconds(1)};
  ReportFilter filter = FilterFrom(query, fallback, now);
  filter.confidence = ConfidenceParameter(query, kind);
  const auto data = report::ReadReport(store, kind, filter);
  if (!data) {
    throw Problem(404, "Not Found",
                  "no such report: " + kind + " (hourly, monitors, devices, rooms)");
  }
  return {200, format->second.second, report::Render(*data, format->second.first).out};
}

Reply FleetReply(const Query& query, ReportStore& store, Seconds interval) {
  RequireKnownParameters(query, {"top", "recent"});
  const int top = IntegerParameter(query, "top", 10, 0, 100);
  const int recent = IntegerParameter(query, "recent", 10, 0, 100);
  const DashboardSnapshot snapshot = store.Snapshot(top, recent);
  const Seconds fleet_interval = snapshot.fleet_interval.value_or(interval);
  Json backlog = Json::array();
  for (const auto& b : store.Backlog()) {
    backlog.push_back({{"monitor_name", b.monitor_name}, {"unprocessed_rows", b.unprocessed_rows}});
  }
  Json recent_json = Json::array();
  for (const auto& r : snapshot.recent) {
    recent_json.push_back({{"sighting_time", ApiTime(r.sighting_time)},
                           {"interval_start", ApiTime(r.interval_start)},
                           {"mac", r.mac},
                           {"name", OptionalName(r.name)},
                           {"monitor_name", r.monitor_name},
                           {"rssi", r.rssi}});
  }
  return JsonReply(
      {{"store_now", ApiTime(snapshot.store_now)},
       {"interval_seconds", fleet_interval.count()},
       {"monitors", MonitorsJson(snapshot, fleet_interval)},
       {"lease", LeaseJson(snapshot.lease)},
       {"staging",
        {{"unprocessed_rows", snapshot.unprocessed_rows},
         {"oldest_unprocessed_interval", OptionalTime(snapshot.oldest_unprocessed_interval)},
         {"by_monitor", backlog}}},
       {"top_devices", DevicesJson(snapshot.top_devices)},
       {"recent", recent_json}});
}

Reply RoomsNowReply(const Query& query, ReportStore& store) {
  RequireKnownParameters(query, {});
  const RoomsNow now = store.LatestRooms();
  Json rooms = Json::array();
  for (const auto& device : now.devices) {
    if (rooms.empty() || rooms.back()["room"] != device.room) {
      rooms.push_back(
          {{"room", device.room}, {"count", 0}, {"high", 0}, {"devices", Json::array()}});
    }
    Json& room = rooms.back();
    room["count"] = room["count"].get<int>() + 1;
    if (device.confidence == Confidence::kHigh) room["high"] = room["high"].get<int>() + 1;
    room["devices"].push_back({{"mac", device.mac},
                               {"name", OptionalName(device.name)},
                               {"confidence", OptionalConfidence(device.confidence)},
                               {"monitor_name", device.monitor_name},
                               {"raw_room", device.location},
                               {"rssi", device.rssi},
                               {"sighting_time", ApiTime(device.sighting_time)}});
  }
  return JsonReply({{"interval_start", OptionalTime(now.interval_start)},
                    {"devices", now.devices.size()},
                    {"rooms", rooms}});
}

Reply TrackReply(const std::string& mac, const Query& query, ReportStore& store, UtcTime now) {
  RequireKnownParameters(query, {"start_date", "end_date", "monitor", "hours", "limit", "now"});
  const auto canonical = MacAddress::Parse(mac);
  if (!canonical) {
    throw BadParameter("mac", fmt::format("'{}' is not a MAC address like AA:BB:CC:DD:EE:FF", mac));
  }
  const int hours = IntegerParameter(query, "hours", 24, 1, 24 * 31);
  const int limit = IntegerParameter(query, "limit", 2000, 1, 10000);
  now = NowParameter(query, now);
  const ReportFilter filter =
      FilterFrom(query, {now - std::chrono::hours(hours), now + Seconds(1)}, now);
  Json points = Json::array();
  for (const auto& p : store.Track(canonical->ToString(), filter, limit)) {
    points.push_back({{"interval_start", ApiTime(p.interval_start)},
                      {"room", p.location},
                      {"monitor_name", p.monitor_name},
                      {"rssi", p.rssi},
                      {"margin_db", p.margin_db ? Json(*p.margin_db) : Json(nullptr)},
                      {"stable_room", p.room},
                      {"confidence", OptionalConfidence(p.confidence)}});
  }
  return JsonReply({{"mac", canonical->ToString()},
                    {"from", ApiTime(filter.from)},
                    {"to", ApiTime(filter.to)},
                    {"track", points}});
}

}  // namespace blemon::web
