#include "blemon/mariadb/mariadb_report_store.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_store.h"
#include "connection.h"
#include "hourly_rollups.h"
#include "lease_row.h"
#include "migrations.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

constexpr Seconds kDay{86400};

// Times go through ToDb and Row::Time (connection.h), like the Store's: comparisons against
// FROM_UNIXTIME(?) are constant on the column side and use its index, and the clamp keeps an "all
// time" span from becoming NULL, which would match nothing.
std::optional<std::string> NonEmpty(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  return text;
}

// Spans up to a month read device_sightings by idx_interval (the optimizer, left alone, prefers
// idx_monitor_interval with only monitor_id usable, which reads each monitor's whole history).
// Longer spans are left to the optimizer: there a table scan beats millions of index lookups.
std::string IntervalHint(const ReportFilter& filter) {
  return filter.to - filter.from <= std::chrono::days(31) ? " FORCE INDEX (idx_interval)" : "";
}

std::string MonitorClause(const ReportFilter& filter) {
  return filter.monitor ? " AND m.monitor_name = ?" : "";
}
std::vector<Value> FilterParams(const ReportFilter& filter) {
  std::vector<Value> params{ToDb(filter.from), ToDb(filter.to)};
  if (filter.monitor) params.emplace_back(*filter.monitor);
  return params;
}

std::vector<Value> HourlyParams(const ReportFilter& filter) {
  std::vector<Value> params{filter.hour_shift.count(), filter.hour_shift.count()};
  for (auto& param : FilterParams(filter)) params.push_back(std::move(param));
  return params;
}

// A sighting's stable room (r: its room_monitor_id's monitor, the raw winner's before schema
// version 6) and its raw winner's room (w), as room names compared and grouped by their bytes,
// as SQLite does (the columns' collation ignores case and accents).
constexpr std::string_view kStableRoomSql =
    "COALESCE(NULLIF(r.location, ''), r.monitor_name) COLLATE utf8mb4_bin";
constexpr std::string_view kRawRoomSql =
    "COALESCE(NULLIF(w.location, ''), w.monitor_name) COLLATE utf8mb4_bin";
constexpr std::string_view kStableRoomJoinSql =
    " STRAIGHT_JOIN monitors r ON r.monitor_id = COALESCE(ds.room_monitor_id, ds.monitor_id)";

std::optional<Confidence> ConfidenceOf(const std::optional<std::string>& text) {
  return text ? ParseConfidence(*text) : std::nullopt;
}

// Runs a statement of a few fixed shapes through the session's cache (Session::Prepared).
std::vector<Row> Query(Session& s, std::string_view sql, const std::vector<Value>& params) {
  return s.Prepared(sql).Query(params);
}
std::uint64_t Execute(Session& s, std::string_view sql, const std::vector<Value>& params) {
  return s.Prepared(sql).Execute(params);
}
// Runs a statement whose text splices in values (an id list): prepared, run and closed, not cached.
std::uint64_t ExecuteOnce(Session& s, const std::string& sql) {
  Statement statement(s.connection.raw(), sql);
  return statement.Execute({});
}

// The lease as blemon's schema keeps it, else as the original tool's schema does: it has no lease
// table, its claim lives in monitors, valid 10 minutes (read in kLeaseReadSql's columns).
LeaseStatus ReadLease(Session& s) {
  try {
    if (auto status = ReadLeaseRow(s)) return *status;
  } catch (const DbError& e) {
    if (e.code() != ER_NO_SUCH_TABLE) throw;
  }
  return LeaseFromRow(Query(s,
                            "SELECT m.monitor_id, m.monitor_name, 0, "
                            "UNIX_TIMESTAMP(m.processor_claimed_at), "
                            "UNIX_TIMESTAMP(m.processor_claimed_at + INTERVAL 600 SECOND), "
                            "UNIX_TIMESTAMP(NOW()) "
                            "FROM (SELECT 1) one LEFT JOIN monitors m ON m.is_processor = TRUE "
                            "ORDER BY m.processor_claimed_at DESC LIMIT 1",
                            {})
                          .at(0));
}

// The dashboard's steps (MariaDbReportStore::Snapshot).

// The fleet's interval; nullopt before any monitor recorded one, and on the original tool's
// schema, which has no fleet settings.
std::optional<Seconds> ReadFleetInterval(Session& s) {
  try {
    const auto fleet = Query(s,
                             "SELECT CAST(setting_value AS INTEGER) FROM fleet_settings "
                             "WHERE setting_name = 'interval_seconds'",
                             {});
    if (!fleet.empty()) return Seconds(fleet[0].Int(0));
  } catch (const DbError& e) {
    if (e.code() != ER_NO_SUCH_TABLE) throw;
  }
  return std::nullopt;
}

// Every monitor with its scan health and the devices it heard since `since`.
std::vector<DashboardMonitor> DashboardMonitors(Session& s, UtcTime since) {
  std::vector<DashboardMonitor> monitors;
  for (const Row& r : Query(s,
                            "SELECT m.monitor_name, COALESCE(m.location, ''), m.is_active, "
                            "UNIX_TIMESTAMP(m.last_seen), COALESCE(a.devices, 0), m.scans_failed, "
                            "m.last_scan_error, UNIX_TIMESTAMP(m.last_scan_error_at), "
                            "UNIX_TIMESTAMP(m.last_scan_ok_at), m.empty_scans_in_row "
                            "FROM monitors m LEFT JOIN (SELECT ds.monitor_id, "
                            "COUNT(DISTINCT ds.device_id) AS devices "
                            "FROM device_sightings ds FORCE INDEX (idx_interval) "
                            "WHERE ds.interval_start >= FROM_UNIXTIME(?) GROUP BY ds.monitor_id) a "
                            "ON a.monitor_id = m.monitor_id ORDER BY m.monitor_name",
                            {ToDb(since)})) {
    monitors.push_back({.monitor_name = r.Text(0),
                        .location = r.Text(1),
                        .is_active = r.Bool(2),
                        .last_seen = r.OptionalTime(3),
                        .devices_24h = r.Int(4),
                        .scans_failed = r.Int(5),
                        .last_scan_error = r.OptionalText(6),
                        .last_scan_error_at = r.OptionalTime(7),
                        .last_scan_ok_at = r.OptionalTime(8),
                        .empty_scans_in_row = r.Int(9)});
  }
  return monitors;
}

// The staging rows not processed yet and the oldest interval among them.
void ReadUnprocessed(Session& s, DashboardSnapshot& snapshot) {
  const Row staging = Query(s,
                            "SELECT COUNT(*), UNIX_TIMESTAMP(MIN(interval_start)) "
                            "FROM sighting_staging WHERE processed = FALSE",
                            {})
                          .at(0);
  snapshot.unprocessed_rows = staging.Int(0);
  snapshot.oldest_unprocessed_interval = staging.OptionalTime(1);
}

// The newest `limit` sightings since `since`, newest first.
std::vector<RecentSighting> RecentSightings(Session& s, UtcTime since, int limit) {
  std::vector<RecentSighting> recent;
  for (const Row& r :
       Query(s,
             "SELECT UNIX_TIMESTAMP(ds.sighting_timestamp), UNIX_TIMESTAMP(ds.interval_start), "
             "d.mac_address, d.device_name, m.monitor_name, ds.rssi "
             "FROM device_sightings ds FORCE INDEX (idx_interval) "
             "STRAIGHT_JOIN ble_devices d ON d.device_id = ds.device_id "
             "STRAIGHT_JOIN monitors m ON m.monitor_id = ds.monitor_id "
             "WHERE ds.interval_start >= FROM_UNIXTIME(?) "
             "ORDER BY ds.sighting_timestamp DESC, d.mac_address LIMIT ?",
             {ToDb(since), static_cast<long long>(std::max(limit, 0))})) {
    recent.push_back({.sighting_time = r.Time(0),
                      .interval_start = r.Time(1),
                      .mac = r.Text(2),
                      .name = NonEmpty(r.OptionalText(3)),
                      .monitor_name = r.Text(4),
                      .rssi = static_cast<int>(r.Int(5))});
  }
  return recent;
}

class MariaDbReportStore final : public ReportStore {
 public:
  explicit MariaDbReportStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/false) {}

  std::vector<HourlyRow> Hourly(const ReportFilter& filter) override {
    return runner_.Run("reading the hourly report", [&](Session& s) {
      // UTC hours with none stale come from the rollups (hours x monitors rows); other hours
      // (India's, Nepal's) and spans with a stale hour from device_sightings.
      if (auto rolled_up = HourlyFromRollups(s, filter)) return std::move(*rolled_up);
      // The hour is computed from Unix seconds, moved by hour_shift so that it is a local clock
      // hour also where the offset is not whole hours. The plan is pinned: left alone, the
      // optimizer drives from the few monitors and reads each one's whole history through
      // idx_monitor_interval (ref on monitor_id only), which grows with the table; a range on
      // idx_interval reads only the span asked for.
      const auto rows =
          Query(s,
                "SELECT m.monitor_name, COALESCE(m.location, ''), a.hour_start, a.unique_devices, "
                "a.total_sightings, a.rssi_sum, a.min_rssi, a.max_rssi, a.estimated_devices, "
                "a.public_addresses, a.random_static, a.resolvable_private, a.non_resolvable, "
                "a.other_class FROM (" +
                    HourlyAggregateSql(!IntervalHint(filter).empty()) +
                    ") a STRAIGHT_JOIN monitors m ON m.monitor_id = a.monitor_id WHERE 1 = 1" +
                    MonitorClause(filter) + " ORDER BY a.hour_start, m.monitor_name",
                HourlyParams(filter));
      std::vector<HourlyRow> result;
      for (const Row& r : rows) result.push_back(HourlyRowOf(r));
      return result;
    });
  }

  std::vector<RoomHourRow> RoomHours(const ReportFilter& filter) override {
    return runner_.Run("reading the rooms report", [&](Session& s) {
      // Per (hour, room, device) first: the device's best confidence there (1 high, 2 low,
      // 3 ambiguous, 4 none), its sightings and those a monitor of another room won raw.
      const std::string stable(kStableRoomSql);
      const auto rows =
          Query(s,
                "SELECT g.hour_start, g.room, COUNT(*), SUM(g.best = 1), SUM(g.best = 2), "
                "SUM(g.best = 3), SUM(g.best = 4), SUM(g.n), SUM(g.elsewhere) FROM (SELECT "
                "(UNIX_TIMESTAMP(ds.interval_start) - ?) DIV 3600 * 3600 + ? AS hour_start, " +
                    stable +
                    " AS room, MIN(CASE ds.confidence WHEN 'high' THEN 1 WHEN 'low' THEN 2 "
                    "WHEN 'ambiguous' THEN 3 ELSE 4 END) AS best, COUNT(*) AS n, SUM(CASE WHEN " +
                    std::string(kRawRoomSql) + " <> " + stable +
                    " THEN 1 ELSE 0 END) AS elsewhere FROM device_sightings ds" +
                    IntervalHint(filter) + std::string(kStableRoomJoinSql) +
                    " STRAIGHT_JOIN monitors w ON w.monitor_id = ds.monitor_id "
                    "WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < "
                    "FROM_UNIXTIME(?)" +
                    (filter.monitor ? " AND r.monitor_name = ?" : "") + ConfidenceClause(filter) +
                    " GROUP BY hour_start, room, ds.device_id) g GROUP BY g.hour_start, g.room",
                HourlyParams(filter));
      std::vector<RoomHourRow> result;
      for (const Row& r : rows) {
        result.push_back({.hour_start = r.Time(0),
                          .room = r.Text(1),
                          .devices = r.Int(2),
                          .high = r.Int(3),
                          .low = r.Int(4),
                          .ambiguous = r.Int(5),
                          .unknown = r.Int(6),
                          .sightings = r.Int(7),
                          .raw_winner_elsewhere = r.Int(8)});
      }
      SortRoomHours(result);
      return result;
    });
  }

  std::vector<MonitorSummary> Monitors(const ReportFilter& filter) override {
    return runner_.Run("reading the monitor summary", [&](Session& s) {
      const auto rows = Query(
          s,  // Aggregated over the span first, then joined to every monitor: a LEFT JOIN from
          // monitors would be planned as a ref on monitor_id alone, reading each monitor's whole
          // history.
          "SELECT m.monitor_name, COALESCE(m.location, ''), m.is_active, "
          "UNIX_TIMESTAMP(m.last_seen), COALESCE(a.devices, 0), COALESCE(a.sightings, 0), "
          "UNIX_TIMESTAMP(a.first_sighting), UNIX_TIMESTAMP(a.last_sighting) "
          "FROM monitors m LEFT JOIN ("
          "SELECT ds.monitor_id, COUNT(DISTINCT ds.device_id) AS devices, COUNT(*) AS sightings, "
          "MIN(ds.sighting_timestamp) AS first_sighting, "
          "MAX(ds.sighting_timestamp) AS last_sighting FROM device_sightings ds" +
              IntervalHint(filter) +
              " WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < "
              "FROM_UNIXTIME(?) GROUP BY ds.monitor_id) a ON a.monitor_id = m.monitor_id "
              "WHERE 1 = 1" +
              MonitorClause(filter) + " ORDER BY m.monitor_name",
          FilterParams(filter));
      std::vector<MonitorSummary> result;
      for (const Row& r : rows) {
        result.push_back({.monitor_name = r.Text(0),
                          .location = r.Text(1),
                          .is_active = r.Bool(2),
                          .last_seen = r.OptionalTime(3),
                          .devices = r.Int(4),
                          .sightings = r.Int(5),
                          .first_sighting = r.OptionalTime(6),
                          .last_sighting = r.OptionalTime(7)});
      }
      return result;
    });
  }

  std::vector<DeviceSummary> Devices(const ReportFilter& filter) override {
    return runner_.Run("reading the device summary",
                       [&](Session& s) { return DevicesOn(s, filter); });
  }

  DashboardSnapshot Snapshot(int top_devices, int recent) override {
    return runner_.Run("reading the dashboard", [&](Session& s) {
      DashboardSnapshot snapshot;
      snapshot.lease = ReadLease(s);
      snapshot.store_now = snapshot.lease.store_now;
      const UtcTime day_ago = snapshot.store_now - kDay;
      snapshot.fleet_interval = ReadFleetInterval(s);
      snapshot.monitors = DashboardMonitors(s, day_ago);
      ReadUnprocessed(s, snapshot);
      // A day's device summary: skipped when no top devices are wanted (blemon-web's /metrics).
      if (top_devices > 0) {
        auto devices = DevicesOn(s, {day_ago, snapshot.store_now + Seconds(1), std::nullopt});
        const auto keep = static_cast<std::size_t>(top_devices);
        if (devices.size() > keep) devices.resize(keep);
        snapshot.top_devices = std::move(devices);
      }
      snapshot.recent = RecentSightings(s, day_ago, recent);
      return snapshot;
    });
  }

  std::optional<UtcTime> LatestProcessedInterval() override {
    return runner_.Run("reading the newest processed interval",
                       [&](Session& s) { return LatestOn(s); });
  }

  RoomsNow LatestRooms() override {
    return runner_.Run("reading the rooms of the newest interval", [&](Session& s) {
      RoomsNow rooms;
      rooms.interval_start = LatestOn(s);
      if (!rooms.interval_start) return rooms;
      for (const Row& r : Query(s,
                                "SELECT d.mac_address, d.device_name, w.monitor_name, " +
                                    std::string(kRawRoomSql) +
                                    ", ds.rssi, UNIX_TIMESTAMP(ds.sighting_timestamp), " +
                                    std::string(kStableRoomSql) +
                                    " AS room, ds.confidence "
                                    "FROM device_sightings ds FORCE INDEX (idx_interval) "
                                    "STRAIGHT_JOIN ble_devices d ON d.device_id = ds.device_id "
                                    "STRAIGHT_JOIN monitors w ON w.monitor_id = ds.monitor_id" +
                                    std::string(kStableRoomJoinSql) +
                                    " WHERE ds.interval_start = FROM_UNIXTIME(?) "
                                    "ORDER BY room, ds.rssi DESC, d.mac_address",
                                {ToDb(*rooms.interval_start)})) {
        rooms.devices.push_back({.mac = r.Text(0),
                                 .name = NonEmpty(r.OptionalText(1)),
                                 .monitor_name = r.Text(2),
                                 .location = r.Text(3),
                                 .rssi = static_cast<int>(r.Int(4)),
                                 .sighting_time = r.Time(5),
                                 .room = r.Text(6),
                                 .confidence = ConfidenceOf(r.OptionalText(7))});
      }
      return rooms;
    });
  }

  std::vector<TrackPoint> Track(const std::string& mac, const ReportFilter& filter,
                                int limit) override {
    return runner_.Run("reading a device's track", [&](Session& s) {
      auto params = FilterParams(filter);
      params.insert(params.begin(), mac);
      params.emplace_back(static_cast<long long>(std::max(limit, 0)));
      std::vector<TrackPoint> track;
      for (const Row& r :
           Query(s,
                 "SELECT UNIX_TIMESTAMP(ds.interval_start), m.monitor_name, "
                 "COALESCE(NULLIF(m.location, ''), m.monitor_name), ds.rssi, ds.margin_db, " +
                     std::string(kStableRoomSql) +
                     ", ds.confidence "
                     "FROM ble_devices d STRAIGHT_JOIN device_sightings ds "
                     "ON ds.device_id = d.device_id "
                     "STRAIGHT_JOIN monitors m ON m.monitor_id = ds.monitor_id" +
                     std::string(kStableRoomJoinSql) +
                     " WHERE d.mac_address = ? AND ds.interval_start >= FROM_UNIXTIME(?) "
                     "AND ds.interval_start < FROM_UNIXTIME(?)" +
                     MonitorClause(filter) + " ORDER BY ds.interval_start LIMIT ?",
                 params)) {
        TrackPoint point{.interval_start = r.Time(0),
                         .monitor_name = r.Text(1),
                         .location = r.Text(2),
                         .rssi = static_cast<int>(r.Int(3)),
                         .margin_db = std::nullopt,
                         .room = r.Text(5),
                         .confidence = ConfidenceOf(r.OptionalText(6))};
        if (!r.IsNull(4)) point.margin_db = static_cast<int>(r.Int(4));
        track.push_back(std::move(point));
      }
      return track;
    });
  }

  std::vector<MonitorBacklog> Backlog() override {
    return runner_.Run("reading the staging backlog", [&](Session& s) {
      std::vector<MonitorBacklog> backlog;
      for (const Row& r :
           Query(s,
                 "SELECT m.monitor_name, COUNT(*) FROM sighting_staging s "
                 "JOIN monitors m ON m.monitor_id = s.monitor_id "
                 "WHERE s.processed = FALSE GROUP BY m.monitor_id ORDER BY m.monitor_name",
                 {})) {
        backlog.push_back({r.Text(0), r.Int(1)});
      }
      return backlog;
    });
  }

  ProcessingHistory Processing(Seconds late_after) override {
    return runner_.Run("reading the processing runs", [&](Session& s) {
      const auto rows =
          Query(s,
                "SELECT " + ProcessingHistoryColumns() +
                    ", COALESCE(SUM(UNIX_TIMESTAMP(processed_at) - UNIX_TIMESTAMP(interval_start) "
                    "> ? + (SELECT CAST(setting_value AS SIGNED) FROM fleet_settings "
                    "WHERE setting_name = 'interval_seconds')), 0) FROM processing_runs",
                {static_cast<long long>(late_after.count())});
      std::vector<std::int64_t> columns;
      for (std::size_t i = 0; !rows.empty() && i < kProcessingHistoryColumnCount; ++i) {
        columns.push_back(rows[0].Int(i));
      }
      return ProcessingHistoryOf(columns);
    });
  }

 private:
  std::optional<UtcTime> LatestOn(Session& s) {
    const auto rows =
        Query(s, "SELECT UNIX_TIMESTAMP(MAX(interval_start)) FROM device_sightings", {});
    if (rows.empty()) return std::nullopt;
    return rows[0].OptionalTime(0);
  }

  std::vector<DeviceSummary> DevicesOn(Session& s, const ReportFilter& filter) {
    // One pass over the span, per device and winning monitor; folded per device here. (Monitor
    // names are collected as rows, not GROUP_CONCAT'ed: a name may hold any separator.)
    DeviceSummaryFold fold;
    for (const Row& r :
         Query(s,
               "SELECT ds.device_id, d.mac_address, d.device_name, m.monitor_name, "
               "COUNT(*), MAX(ds.rssi), SUM(ds.rssi), "
               "UNIX_TIMESTAMP(MAX(ds.sighting_timestamp)), d.device_class, d.vendor, "
               "d.address_class, COALESCE(e.mac_address, '') "
               "FROM device_sightings ds" +
                   IntervalHint(filter) +
                   " STRAIGHT_JOIN ble_devices d ON d.device_id = ds.device_id "
                   "STRAIGHT_JOIN monitors m ON m.monitor_id = ds.monitor_id "
                   "LEFT JOIN address_links l ON l.device_id = ds.device_id "
                   "LEFT JOIN ble_devices e ON e.device_id = l.estimated_device_id "
                   "WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < "
                   "FROM_UNIXTIME(?)" +
                   MonitorClause(filter) + ConfidenceClause(filter) +
                   " GROUP BY ds.device_id, ds.monitor_id",
               FilterParams(filter))) {
      fold.Add({.device_id = r.Int(0),
                .mac = r.Text(1),
                .address_class = r.OptionalText(10),
                .estimated_device = r.Text(11),
                .name = r.OptionalText(2),
                .monitor_name = r.Text(3),
                .sightings = r.Int(4),
                .best_rssi = static_cast<int>(r.Int(5)),
                .rssi_sum = r.Int(6),
                .last_seen = r.Time(7),
                .device_class = r.OptionalText(8),
                .vendor = r.OptionalText(9)});
    }
    ReadLatestRooms(s, filter, fold);
    return fold.Result();
  }

  // Each folded device's room and confidence of its latest sighting among those the filter keeps
  // (device_sightings has one row per device and interval: the latest is one row).
  static void ReadLatestRooms(Session& s, const ReportFilter& filter, DeviceSummaryFold& fold) {
    for (const Row& r :
         Query(s,
               "SELECT ds.device_id, " + std::string(kStableRoomSql) +
                   ", ds.confidence FROM (SELECT ds.device_id, MAX(ds.interval_start) AS latest "
                   "FROM device_sightings ds" +
                   IntervalHint(filter) +
                   " STRAIGHT_JOIN monitors m ON m.monitor_id = ds.monitor_id "
                   "WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < "
                   "FROM_UNIXTIME(?)" +
                   MonitorClause(filter) + ConfidenceClause(filter) +
                   " GROUP BY ds.device_id) t STRAIGHT_JOIN device_sightings ds "
                   "ON ds.device_id = t.device_id AND ds.interval_start = t.latest" +
                   std::string(kStableRoomJoinSql),
               FilterParams(filter))) {
      fold.SetLatest(r.Int(0), r.Text(1), ConfidenceOf(r.OptionalText(2)));
    }
  }

  SessionRunner runner_;
};

// --- Maintenance ---------------------------------------------------------------------------------

constexpr std::string_view kTables[] = {
    "monitors",        "ble_devices",    "device_sightings", "sighting_staging", "staging_batches",
    "processor_lease", "fleet_settings", "schema_version",   "processing_runs",  "identities"};
constexpr std::string_view kSeedTables[] = {"monitors", "ble_devices", "device_sightings",
                                            "sighting_staging"};
constexpr std::string_view kRoutines[] = {"process_interval_best_rssi", "cleanup_old_staging"};
constexpr std::string_view kViews[] = {"hourly_device_counts", "recent_device_activity"};

// The diagnosis of a failed connection, like the original test_db.py's hints.
std::string Diagnose(const DbError& e, const DatabaseSettings& settings) {
  const bool socket =
      settings.hosts.empty() && (settings.host.empty() || settings.host == "localhost");
  const std::string detail = fmt::format("{} (error {})", e.what(), e.code());
  if (!settings.hosts.empty() && (IsConnectionLost(e.code()) || IsNodeUnusable(e.code()))) {
    return fmt::format(
        "no node of {} serves: {}. Are the nodes running, in the primary component "
        "(SHOW STATUS LIKE 'wsrep_cluster_status' says Primary) and reachable on their ports? "
        "See docs/galera.md",
        DescribeServer(settings), detail);
  }
  switch (e.code()) {
    case CR_CONNECTION_ERROR:
      if (socket) {
        return fmt::format(
            "cannot connect through the local socket: {}. Is the server running "
            "(systemctl status mariadb)? To use TCP instead, set database.host = \"127.0.0.1\"",
            detail);
      }
      [[fallthrough]];
    case CR_CONN_HOST_ERROR:
      return fmt::format(
          "cannot connect to {}:{}: {}. Is the server running (systemctl status mariadb)? A "
          "server that only listens on 127.0.0.1 refuses remote monitors: set bind-address = "
          "0.0.0.0 in /etc/mysql/mariadb.conf.d/50-server.cnf and restart it (netstat -tlnp | "
          "grep 3306 shows 0.0.0.0:3306 when right); a firewall must let port {} through "
          "(ufw allow {}/tcp)",
          settings.host, settings.port, detail, settings.port, settings.port);
    case CR_UNKNOWN_HOST:
      return fmt::format("unknown host {}: {}. Check database.host", settings.host, detail);
    case ER_ACCESS_DENIED_ERROR:
      return fmt::format(
          "access denied for user '{}': {}. Check database.user and the password (or "
          "password_file); the account must exist for the host you connect from, e.g. "
          "CREATE USER '{}'@'%' IDENTIFIED BY '…'; then grant it rights (blemon-admin grants "
          "prints them)",
          settings.user, detail, settings.user);
    case ER_DBACCESS_DENIED_ERROR:
      return fmt::format(
          "user '{}' may not use database {}: {}. Grant it rights (blemon-admin grants)",
          settings.user, settings.database, detail);
    case ER_BAD_DB_ERROR:
      return fmt::format(
          "database {} does not exist: {}. Create it (CREATE DATABASE {} CHARACTER SET "
          "utf8mb4;) and run blemon-admin migrate",
          settings.database, detail, settings.database);
    case CR_SSL_CONNECTION_ERROR:
      return fmt::format(
          "TLS failed: {}. Check database.ssl_ca, ssl_cert, ssl_key and the server's "
          "certificate",
          detail);
    default:
      return fmt::format("the server refused: {}", detail);
  }
}

// What `check` needs to know about the server, beyond the connection: the settings
// docs/database.md calls unsupported, each of which makes every monitor fail.
void CheckServerSettings(Session& s, StoreCheck& check) {
  const Row r = Query(s, "SELECT @@version, @@log_bin, @@binlog_format", {}).at(0);
  const std::string version = r.Text(0);
  int major = 0;
  int minor = 0;
  if (version.find("MariaDB") != std::string::npos &&
      std::sscanf(version.c_str(), "%d.%d", &major, &minor) == 2 &&
      (major < 10 || (major == 10 && minor < 3))) {
    check.problems.push_back(fmt::format(
        "the server is MariaDB {}; blemon needs 10.3 or newer (its migrations use ADD COLUMN IF "
        "NOT EXISTS and CREATE OR REPLACE): upgrade the server",
        version));
  }
  if (r.Int(1) == 1 && r.Text(2) == "STATEMENT") {
    check.problems.push_back(
        "the server writes its binary log with binlog_format = STATEMENT, which refuses "
        "InnoDB writes under READ COMMITTED (error 1665): every monitor's staging and the "
        "processor's merge fail. Set binlog_format = MIXED (or ROW) in the [mysqld] section of "
        "/etc/mysql/mariadb.conf.d/50-server.cnf and restart the server (SET GLOBAL "
        "binlog_format = 'MIXED' helps until the restart, for new connections)");
  }
}

std::set<std::string> VisibleTables(Session& s) {
  std::set<std::string> present;
  for (const Row& r :
       Query(s, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
             {})) {
    present.insert(r.Text(0));
  }
  return present;
}

std::int64_t CountRows(Session& s, std::string_view table) {
  return Query(s, fmt::format("SELECT COUNT(*) FROM `{}`", table), {}).at(0).Int(0);
}

// Rows of every table `check` knows. information_schema lists only the tables the account may
// use, so a table it does not list is probed: "no such table" is missing, "command denied" is
// hidden from this (least-privilege) account, which cannot know more.
void CountTables(Session& s, const std::set<std::string>& present, StoreCheck& check) {
  std::vector<std::string> hidden;
  for (auto table : kTables) {
    TableCount count{std::string(table), std::nullopt};
    if (present.count(count.table)) {
      count.rows = CountRows(s, table);
    } else {
      try {
        Query(s, fmt::format("SELECT 1 FROM `{}` LIMIT 0", table), {});
      } catch (const DbError& e) {
        if (e.code() == ER_TABLEACCESS_DENIED_ERROR) {
          count.hidden = true;
          hidden.push_back(count.table);
        } else if (e.code() != ER_NO_SUCH_TABLE) {
          throw;
        }
      }
    }
    check.tables.push_back(std::move(count));
  }
  if (present.count("device_sightings_archive")) {
    check.tables.push_back({"device_sightings_archive", CountRows(s, "device_sightings_archive")});
  }
  if (!hidden.empty()) {
    std::string names;
    for (const auto& name : hidden) names += (names.empty() ? "" : ", ") + name;
    check.notes.push_back(fmt::format(
        "this account may not read {}: expected of a least-privilege account (blemon-admin "
        "grants); run check with the admin configuration (-c /etc/blemon/admin.toml) to see "
        "everything",
        names));
  }
}

// The installed version against this build's, telling an interrupted migration (blemon's tables
// there, its version not recorded) from the original tool's schema and from an older one. Only
// version 1 creates tables, so only its interruption shows in `present`; later migrations are
// single statements that either happen or not.
void DiagnoseSchemaVersion(int installed, const std::set<std::string>& present,
                           std::string_view database, StoreCheck& check) {
  const int expected = check.expected_version;
  std::string started;
  for (auto table : {"staging_batches", "fleet_settings", "processor_lease"}) {
    if (present.count(table)) started += (started.empty() ? "" : ", ") + std::string(table);
  }
  if (installed == 0 && !started.empty()) {
    check.problems.push_back(fmt::format(
        "a migration to version 1 was started but did not finish: {} exist, but schema_version "
        "does not record version 1 (it records 0). Run blemon-admin migrate again: every "
        "statement of a migration is safe to rerun, and it finishes the job",
        started));
  } else if (installed < 0) {
    check.problems.push_back(fmt::format(
        "database {} has no blemon tables: create them with blemon-admin migrate", database));
  } else if (installed == 0) {
    check.problems.push_back(
        "this is the original Python tool's schema (version 0): upgrade it in place, data "
        "kept, with blemon-admin migrate");
  } else if (installed < expected) {
    check.problems.push_back(
        fmt::format("schema version {} is older than this blemon's {}: run blemon-admin migrate",
                    installed, expected));
  }
}

// The seed's tables, procedures and views, which blemon and the original README's SQL use.
void CheckSeedObjects(Session& s, const std::set<std::string>& present, StoreCheck& check) {
  for (const TableCount& table : check.tables) {
    const bool seed = std::find(std::begin(kSeedTables), std::end(kSeedTables), table.table) !=
                      std::end(kSeedTables);
    if (seed && !table.rows && !table.hidden) {
      check.problems.push_back(
          fmt::format("table {} is missing: run blemon-admin migrate to recreate it", table.table));
    }
  }
  std::set<std::string> routines;
  for (const Row& r : Query(s,
                            "SELECT routine_name FROM information_schema.routines "
                            "WHERE routine_schema = DATABASE()",
                            {})) {
    routines.insert(r.Text(0));
  }
  const bool partial_view = !check.notes.empty();
  for (auto routine : kRoutines) {
    if (routines.count(std::string(routine))) continue;
    if (partial_view) continue;  // information_schema hides routines this account may not run
    check.problems.push_back(
        fmt::format("procedure {} is missing: run blemon-admin migrate", routine));
  }
  for (auto view : kViews) {
    if (present.count(std::string(view)) || partial_view) continue;
    check.problems.push_back(fmt::format("view {} is missing: run blemon-admin migrate", view));
  }
}

class MariaDbAdminStore final : public AdminStore {
 public:
  explicit MariaDbAdminStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/false) {}

  StoreCheck Check() override {
    StoreCheck check;
    check.expected_version = LatestSchemaVersion();
    const auto& settings = runner_.settings();
    check.server =
        fmt::format("{}, database {}, user {}", runner_.where(), settings.database, settings.user);
    std::unique_ptr<Session> session;
    try {
      session = std::make_unique<Session>(settings, /*require_schema=*/false);
    } catch (const DbError& e) {
      check.problems.push_back(Diagnose(e, settings));
      return check;
    } catch (const std::exception& e) {
      check.problems.push_back(e.what());
      return check;
    }
    check.connected = true;
    try {
      check.server = fmt::format("{} (server {}), database {}, user {}", runner_.where(),
                                 mysql_get_server_info(session->connection.raw()),
                                 settings.database, settings.user);
      CheckServerSettings(*session, check);
      const std::set<std::string> present = VisibleTables(*session);
      CountTables(*session, present, check);
      const int installed = InstalledSchemaVersion(session->connection);
      if (installed >= 0) check.schema_version = installed;
      DiagnoseSchemaVersion(installed, present, settings.database, check);
      if (installed >= 0) CheckSeedObjects(*session, present, check);
    } catch (const DbError& e) {
      check.problems.push_back(Diagnose(e, settings));
    } catch (const Refused& e) {
      check.problems.push_back(e.what());
    }
    return check;
  }

  std::pair<int, int> Migrate(MigrationListener* listener) override {
    const auto result = mariadb::Migrate(runner_.settings(), listener);
    // The history a migration marked stale (version 15) rolled up now, a day per transaction, so
    // the first reports are fast and the processor's transactions stay short. Not after a run
    // stopped short of the latest version (Ctrl-C): the rollup tables may not exist yet, and the
    // next `migrate` does it.
    if (result.to_version < LatestSchemaVersion()) return {result.from_version, result.to_version};
    while (runner_.Run("rolling up the history", [](Session& s) {
      Transaction tx(s.connection);
      const int hours = RefreshStaleRollups(s, 24);
      tx.Commit();
      return hours;
    }) > 0) {
    }
    return {result.from_version, result.to_version};
  }

  CleanupResult CleanupStaging(Seconds older_than) override {
    return runner_.Run("cleaning up staging", [&](Session& s) {
      CleanupResult result;
      const auto cutoff =
          Query(s, "SELECT UNIX_TIMESTAMP(NOW()) - ?", {older_than.count()}).at(0).Int(0);
      // In chunks, each its own autocommitted statement, so a big backlog never holds locks the
      // monitors' inserts would wait on for long.
      constexpr long long kChunk = 10'000;
      for (;;) {
        const auto deleted = Execute(s,
                                     "DELETE FROM sighting_staging WHERE processed = TRUE "
                                     "AND interval_start < FROM_UNIXTIME(?) LIMIT ?",
                                     {cutoff, kChunk});
        result.deleted += static_cast<std::int64_t>(deleted);
        if (deleted < static_cast<std::uint64_t>(kChunk)) break;
      }
      const auto left =
          Query(s,
                "SELECT COUNT(*), UNIX_TIMESTAMP(MIN(interval_start)) FROM sighting_staging "
                "WHERE processed = FALSE AND interval_start < FROM_UNIXTIME(?)",
                {cutoff});
      result.unprocessed_old = left.at(0).Int(0);
      result.oldest_unprocessed = left.at(0).OptionalTime(1);
      return result;
    });
  }

  ArchivePlan PlanArchive(Seconds older_than) override {
    return runner_.Run("planning the archive", [&](Session& s) {
      archive_columns_ = PrepareArchiveTable(s);
      ArchivePlan plan;
      plan.cutoff =
          Query(s, "SELECT UNIX_TIMESTAMP(NOW()) - ?", {older_than.count()}).at(0).Time(0);
      plan.rows = Query(s,
                        "SELECT COUNT(*) FROM device_sightings "
                        "WHERE interval_start < FROM_UNIXTIME(?)",
                        {ToDb(plan.cutoff)})
                      .at(0)
                      .Int(0);
      return plan;
    });
  }

  ArchiveStep ArchiveChunk(const ArchivePlan& plan, const std::optional<ArchivePosition>& after,
                           int chunk) override {
    return runner_.Run("archiving old sightings", [&](Session& s) {
      if (archive_columns_.empty()) archive_columns_ = PrepareArchiveTable(s);
      ArchiveStep step;
      Transaction tx(s.connection);
      // Lock the chunk first, then copy and delete exactly those ids: each step moves whole rows
      // or nothing, and a rerun picks up where an interrupted one stopped. After the first chunk
      // the range starts behind the last row moved: InnoDB keeps deleted rows' index entries until
      // its purge gets to them, and a scan from the start would step over all of them every time.
      const std::vector<Row> rows =
          after
              ? Query(s,
                      "SELECT sighting_id, UNIX_TIMESTAMP(interval_start) FROM device_sightings "
                      "WHERE interval_start >= FROM_UNIXTIME(?) "
                      "AND interval_start < FROM_UNIXTIME(?) "
                      "AND (interval_start > FROM_UNIXTIME(?) OR sighting_id > ?) "
                      "ORDER BY interval_start, sighting_id LIMIT ? FOR UPDATE",
                      {ToDb(after->interval_start), ToDb(plan.cutoff), ToDb(after->interval_start),
                       static_cast<long long>(after->sighting_id), static_cast<long long>(chunk)})
              : Query(s,
                      "SELECT sighting_id, UNIX_TIMESTAMP(interval_start) FROM device_sightings "
                      "WHERE interval_start < FROM_UNIXTIME(?) "
                      "ORDER BY interval_start, sighting_id LIMIT ? FOR UPDATE",
                      {ToDb(plan.cutoff), static_cast<long long>(chunk)});
      std::string ids;
      for (const Row& r : rows) {
        if (!ids.empty()) ids += ",";
        ids += std::to_string(r.Int(0));  // integers from the server: safe to splice
      }
      if (!rows.empty()) {
        ExecuteOnce(s, fmt::format("INSERT IGNORE INTO device_sightings_archive ({0}) SELECT {0} "
                                   "FROM device_sightings WHERE sighting_id IN ({1})",
                                   archive_columns_, ids));
        step.moved = static_cast<std::int64_t>(ExecuteOnce(
            s, fmt::format("DELETE FROM device_sightings WHERE sighting_id IN ({})", ids)));
        step.last = ArchivePosition{.interval_start = rows.back().Time(1),
                                    .sighting_id = rows.back().Int(0)};
        // The moved rows' hours (marked stale by the delete) recomputed in the same transaction.
        RefreshStaleRollups(s, kRollupHoursPerInterval);
      }
      tx.Commit();
      return step;
    });
  }

  LeaseStatus Lease() override {
    return runner_.Run("reading the processor lease", [&](Session& s) { return ReadLease(s); });
  }

  std::optional<std::string> ReleaseLease() override {
    return runner_.Run("releasing the processor lease", [&](Session& s) {
      const LeaseStatus before = ReadLease(s);
      Transaction tx(s.connection);
      try {
        Execute(s,
                "UPDATE processor_lease SET holder_monitor_id = NULL, expires_at = NULL "
                "WHERE lease_id = 1",
                {});
      } catch (const DbError& e) {
        if (e.code() != ER_NO_SUCH_TABLE) throw;  // the seed schema keeps the claim in monitors
      }
      // last_seen is kept as it was: the seed's ON UPDATE CURRENT_TIMESTAMP would otherwise make
      // a dead processor look alive.
      Execute(s,
              "UPDATE monitors SET is_processor = FALSE, processor_claimed_at = NULL, "
              "last_seen = last_seen "
              "WHERE is_processor = TRUE OR processor_claimed_at IS NOT NULL",
              {});
      tx.Commit();
      return before.holder ? std::optional<std::string>(before.holder_name) : std::nullopt;
    });
  }

 private:
  // Makes device_sightings_archive hold every column device_sightings has: created LIKE it (as the
  // original README does: columns and indexes, not foreign keys, so archived rows never pin
  // devices or monitors), or, made by hand from the seed schema or by an older blemon, given the
  // columns added since (NULL in its old rows). Returns the quoted column list to copy, so
  // archiving drops no column.
  static std::string PrepareArchiveTable(Session& s) {
    s.connection.ExecuteText(
        "CREATE TABLE IF NOT EXISTS device_sightings_archive LIKE device_sightings");
    std::string columns;
    for (const Row& r :
         Query(s,
               "SELECT s.column_name, s.column_type, a.column_name IS NOT NULL "
               "FROM information_schema.columns s LEFT JOIN information_schema.columns a "
               "ON a.table_schema = s.table_schema AND a.table_name = 'device_sightings_archive' "
               "AND a.column_name = s.column_name "
               "WHERE s.table_schema = DATABASE() AND s.table_name = 'device_sightings' "
               "ORDER BY s.ordinal_position",
               {})) {
      // Names and types come from the server's catalogue: safe to splice.
      if (!r.Bool(2)) {
        s.connection.ExecuteText(fmt::format(
            "ALTER TABLE device_sightings_archive ADD COLUMN IF NOT EXISTS `{}` {} NULL", r.Text(0),
            r.Text(1)));
      }
      if (!columns.empty()) columns += ", ";
      columns += "`" + r.Text(0) + "`";
    }
    return columns;
  }

  SessionRunner runner_;
  std::string archive_columns_;  // set by PlanArchive
};

}  // namespace

std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbReportStore>(settings);
}

std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbAdminStore>(settings);
}

}  // namespace blemon::mariadb
