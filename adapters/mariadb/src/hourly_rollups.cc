#include "hourly_rollups.h"

#include <fmt/format.h>
#include <mysqld_error.h>

#include <algorithm>
#include <vector>

#include "connection.h"

namespace blemon::mariadb {
namespace {

constexpr long long kHour = 3600;
// One recomputation statement covers at most this many hours, so `blemon-admin migrate` on a year
// of history reads it a day at a time (idx_interval ranges) instead of in one statement.
constexpr long long kHoursPerStatement = 24;

constexpr std::string_view kStaleHours =
    "SELECT hour_start FROM hourly_rollup_stale ORDER BY hour_start DESC LIMIT ? FOR UPDATE";
constexpr std::string_view kDeleteRollups =
    "DELETE FROM hourly_rollups WHERE hour_start >= ? AND hour_start < ?";
constexpr std::string_view kClearStale =
    "DELETE FROM hourly_rollup_stale WHERE hour_start >= ? AND hour_start < ?";
constexpr std::string_view kCountStale =
    "SELECT COUNT(*) FROM hourly_rollup_stale WHERE hour_start >= ? AND hour_start < ?";

std::string InsertRollupsSql() {
  return "INSERT INTO hourly_rollups (hour_start, monitor_id, unique_devices, total_sightings, "
         "rssi_sum, min_rssi, max_rssi, estimated_devices, public_addresses, random_static, "
         "resolvable_private, non_resolvable, other_class) " +
         HourlyAggregateSql(/*force_interval_index=*/true);
}

// Hours [from, to) recomputed: their rows replaced by the aggregate of device_sightings now.
void RecomputeHours(Session& s, long long from, long long to) {
  s.Prepared(kDeleteRollups).Execute({from, to});
  static const std::string insert = InsertRollupsSql();
  s.Prepared(insert).Execute({0LL, 0LL, from, to});
  s.Prepared(kClearStale).Execute({from, to});
}

}  // namespace

RollupHourScope::RollupHourScope(Session& session, UtcTime interval) : session_(session) {
  const long long hour = ToDb(interval) / kHour * kHour;
  session_.Prepared("INSERT IGNORE INTO hourly_rollup_stale (hour_start) VALUES (?)")
      .Execute({hour});
  session_.Prepared("SET @blemon_rollup_hour = ?").Execute({hour});
}

RollupHourScope::~RollupHourScope() {
  try {
    session_.Prepared("SET @blemon_rollup_hour = NULL").Execute({});
  } catch (const DbError&) {
    // The connection is gone, and the session variable with it.
  }
}

std::string HourlyAggregateSql(bool force_interval_index) {
  // Grouped per address first (one COUNT DISTINCT per hour and monitor instead of seven: MariaDB
  // keeps a tree for each), then joined to the few distinct addresses' classes and links.
  return fmt::format(
      "SELECT g.hour_start AS hour_start, g.monitor_id AS monitor_id, "
      "COUNT(*) AS unique_devices, SUM(g.n) AS total_sightings, SUM(g.rssi_sum) AS rssi_sum, "
      "MIN(g.rssi_min) AS min_rssi, MAX(g.rssi_max) AS max_rssi, "
      "COUNT(DISTINCT COALESCE(l.estimated_device_id, g.device_id)) AS estimated_devices, "
      "SUM(CASE WHEN d.address_class = 'public' THEN 1 ELSE 0 END) AS public_addresses, "
      "SUM(CASE WHEN d.address_class = 'random-static' THEN 1 ELSE 0 END) AS random_static, "
      "SUM(CASE WHEN d.address_class = 'resolvable-private' THEN 1 ELSE 0 END) "
      "AS resolvable_private, "
      "SUM(CASE WHEN d.address_class = 'non-resolvable' THEN 1 ELSE 0 END) AS non_resolvable, "
      "SUM(CASE WHEN d.address_class IS NULL OR d.address_class NOT IN ('public', "
      "'random-static', 'resolvable-private', 'non-resolvable') THEN 1 ELSE 0 END) AS other_class "
      "FROM (SELECT (UNIX_TIMESTAMP(ds.interval_start) - ?) DIV 3600 * 3600 + ? AS hour_start, "
      "ds.monitor_id, ds.device_id, COUNT(*) AS n, SUM(ds.rssi) AS rssi_sum, "
      "MIN(ds.rssi) AS rssi_min, MAX(ds.rssi) AS rssi_max FROM device_sightings ds{} "
      "WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < FROM_UNIXTIME(?) "
      "GROUP BY hour_start, ds.monitor_id, ds.device_id) g "
      "STRAIGHT_JOIN ble_devices d ON d.device_id = g.device_id "
      "LEFT JOIN address_links l ON l.device_id = g.device_id "
      "GROUP BY g.hour_start, g.monitor_id",
      force_interval_index ? " FORCE INDEX (idx_interval)" : "");
}

void DeleteRollupsBefore(Session& session, long long before) {
  const long long first_kept_hour = before / 3600 * 3600;
  for (const char* table : {"hourly_rollups", "hourly_rollup_stale"}) {
    session.Prepared(fmt::format("DELETE FROM {} WHERE hour_start < ?", table))
        .Execute({first_kept_hour});
  }
}

int RefreshStaleRollups(Session& session, int max_hours) {
  const long long limit = max_hours < 0 ? 1LL << 40 : max_hours;
  std::vector<long long> hours;
  for (const Row& r : session.Prepared(kStaleHours).Query({limit})) hours.push_back(r.Int(0));
  // Newest first; each run of consecutive hours (at most a day) is one recomputation.
  std::size_t i = 0;
  while (i < hours.size()) {
    std::size_t j = i + 1;
    while (j < hours.size() && hours[j] == hours[j - 1] - kHour &&
           static_cast<long long>(j - i) < kHoursPerStatement) {
      ++j;
    }
    RecomputeHours(session, hours[j - 1], hours[i] + kHour);
    i = j;
  }
  return static_cast<int>(hours.size());
}

std::optional<std::vector<HourlyRow>> HourlyFromRollups(Session& session,
                                                        const ReportFilter& filter) {
  const long long from = ToDb(filter.from);
  const long long to = ToDb(filter.to);
  if (filter.hour_shift.count() != 0 || from % kHour != 0 || to % kHour != 0) return std::nullopt;
  try {
    if (session.Prepared(kCountStale).QueryOne({from, to}).Int(0) != 0) return std::nullopt;
  } catch (const DbError& e) {
    // A schema before version 15, or an account that may not read the rollups.
    if (e.code() == ER_NO_SUCH_TABLE || e.code() == ER_TABLEACCESS_DENIED_ERROR) {
      return std::nullopt;
    }
    throw;
  }
  std::vector<Value> params{from, to};
  if (filter.monitor) params.emplace_back(*filter.monitor);
  const std::string sql = std::string(
                              "SELECT m.monitor_name, COALESCE(m.location, ''), r.hour_start, "
                              "r.unique_devices, r.total_sightings, r.rssi_sum, r.min_rssi, "
                              "r.max_rssi, r.estimated_devices, r.public_addresses, "
                              "r.random_static, r.resolvable_private, r.non_resolvable, "
                              "r.other_class FROM hourly_rollups r "
                              "STRAIGHT_JOIN monitors m ON m.monitor_id = r.monitor_id "
                              "WHERE r.hour_start >= ? AND r.hour_start < ?") +
                          (filter.monitor ? " AND m.monitor_name = ?" : "") +
                          " ORDER BY r.hour_start, m.monitor_name";
  std::vector<HourlyRow> result;
  for (const Row& r : session.Prepared(sql).Query(params)) result.push_back(HourlyRowOf(r));
  return result;
}

HourlyRow HourlyRowOf(const Row& r) {
  const long long sightings = r.Int(4);
  return {.monitor_name = r.Text(0),
          .location = r.Text(1),
          .hour_start = r.Time(2),
          .unique_devices = r.Int(3),
          .addresses = r.Int(3),
          .estimated_devices = r.Int(8),
          .by_class = {.public_addresses = r.Int(9),
                       .random_static = r.Int(10),
                       .resolvable_private = r.Int(11),
                       .non_resolvable = r.Int(12),
                       .other = r.Int(13)},
          .total_sightings = sightings,
          .avg_rssi =
              sightings == 0 ? 0.0 : static_cast<double>(r.Int(5)) / static_cast<double>(sightings),
          .min_rssi = static_cast<int>(r.Int(6)),
          .max_rssi = static_cast<int>(r.Int(7))};
}

}  // namespace blemon::mariadb
