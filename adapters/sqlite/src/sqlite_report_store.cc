#include "blemon/sqlite/sqlite_report_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "blemon/errors.h"
#include "blemon/sqlite/sqlite_store.h"
#include "connection.h"
#include "embedded_schema.h"
#include "lease_row.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::FormatUtc;
using internal::HasTable;
using internal::ReadLease;
using internal::ReadOptionalTime;
using internal::ReadTime;
using internal::Statement;
using internal::WriteTransaction;

constexpr Seconds kDay{86400};

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

int ToInt(std::int64_t v) { return static_cast<int>(v); }

double Average(std::int64_t sum, std::int64_t count) {
  return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count);
}

std::optional<int> SchemaVersion(Connection& db) {
  if (!HasTable(db, "schema_version")) return std::nullopt;
  auto version = db.Prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  version.Step();
  return ToInt(version.Int(0));
}

// The monitor filter is spliced in as a fixed clause with a bound parameter, so each variant is a
// plain statement the planner sees whole (an "?3 IS NULL OR" would hide the index choice).
std::string MonitorClause(const ReportFilter& filter, int index) {
  return filter.monitor ? fmt::format(" AND m.monitor_name = ?{}", index) : std::string();
}

// The dashboard snapshot's parts, one query each (SqliteReportStore::Snapshot puts them together).

// The database's own clock: the dashboard measures every age against it, not the reader's.
UtcTime StoreNow(Connection& db) {
  auto now = db.Prepare("SELECT datetime('now')");
  now.Step();
  return ReadTime(now, 0, db);
}

// The fleet's interval as blemon-admin recorded it; nothing in a database from before that table.
std::optional<Seconds> FleetInterval(Connection& db) {
  if (!HasTable(db, "fleet_settings")) return std::nullopt;
  auto fleet = db.Prepare(
      "SELECT CAST(setting_value AS INTEGER) FROM fleet_settings "
      "WHERE setting_name = 'interval_seconds'");
  if (!fleet.Step()) return std::nullopt;
  return Seconds(fleet.Int(0));
}

// Every monitor with its scan health and the devices it saw since `day_ago`, by name.
std::vector<DashboardMonitor> DashboardMonitors(Connection& db, UtcTime day_ago) {
  auto rows = db.Prepare(
      "SELECT m.monitor_name, coalesce(m.location, ''), m.is_active, m.last_seen, "
      "count(DISTINCT ds.device_id), m.scans_failed, m.last_scan_error, "
      "m.last_scan_error_at, m.last_scan_ok_at, m.empty_scans_in_row "
      "FROM monitors m LEFT JOIN device_sightings ds ON ds.monitor_id = m.monitor_id "
      "AND ds.interval_start >= ?1 GROUP BY m.monitor_id ORDER BY m.monitor_name");
  rows.Bind(1, FormatUtc(day_ago));
  std::vector<DashboardMonitor> monitors;
  while (rows.Step()) {
    DashboardMonitor monitor;
    monitor.monitor_name = rows.Text(0);
    monitor.location = rows.Text(1);
    monitor.is_active = rows.Int(2) != 0;
    monitor.last_seen = ReadOptionalTime(rows, 3, db);
    monitor.devices_24h = rows.Int(4);
    monitor.scans_failed = rows.Int(5);
    monitor.last_scan_error = rows.OptionalText(6);
    monitor.last_scan_error_at = ReadOptionalTime(rows, 7, db);
    monitor.last_scan_ok_at = ReadOptionalTime(rows, 8, db);
    monitor.empty_scans_in_row = rows.Int(9);
    monitors.push_back(std::move(monitor));
  }
  return monitors;
}

// The staging backlog into `snapshot`: unprocessed rows and the oldest interval they belong to.
void ReadStagingBacklog(Connection& db, DashboardSnapshot& snapshot) {
  auto staging =
      db.Prepare("SELECT count(*), min(interval_start) FROM sighting_staging WHERE processed = 0");
  staging.Step();
  snapshot.unprocessed_rows = staging.Int(0);
  snapshot.oldest_unprocessed_interval = ReadOptionalTime(staging, 1, db);
}

// The `limit` latest sightings since `day_ago`, newest first; an empty name reads as none.
std::vector<RecentSighting> RecentSightings(Connection& db, int limit, UtcTime day_ago) {
  auto rows = db.Prepare(
      "SELECT ds.sighting_timestamp, ds.interval_start, d.mac_address, d.device_name, "
      "m.monitor_name, ds.rssi "
      "FROM device_sightings ds JOIN ble_devices d ON d.device_id = ds.device_id "
      "JOIN monitors m ON m.monitor_id = ds.monitor_id WHERE ds.interval_start >= ?2 "
      "ORDER BY ds.sighting_timestamp DESC, d.mac_address LIMIT ?1");
  rows.Bind(1, std::max(limit, 0)).Bind(2, FormatUtc(day_ago));
  std::vector<RecentSighting> recent;
  while (rows.Step()) {
    RecentSighting sighting;
    sighting.sighting_time = ReadTime(rows, 0, db);
    sighting.interval_start = ReadTime(rows, 1, db);
    sighting.mac = rows.Text(2);
    sighting.name = rows.OptionalText(3);
    if (sighting.name && sighting.name->empty()) sighting.name.reset();
    sighting.monitor_name = rows.Text(4);
    sighting.rssi = ToInt(rows.Int(5));
    recent.push_back(std::move(sighting));
  }
  return recent;
}

// What the hourly query adds after count(DISTINCT ds.device_id): distinct estimated devices,
// then distinct addresses per class (AddressClassCounts' order), over device_sightings ds joined
// to ble_devices d and LEFT JOINed to address_links l on l.device_id = ds.device_id.
constexpr std::string_view kHourlyAddressColumnsSql =
    "COUNT(DISTINCT COALESCE(l.estimated_device_id, ds.device_id)), "
    "COUNT(DISTINCT CASE WHEN d.address_class = 'public' THEN ds.device_id END), "
    "COUNT(DISTINCT CASE WHEN d.address_class = 'random-static' THEN ds.device_id END), "
    "COUNT(DISTINCT CASE WHEN d.address_class = 'resolvable-private' THEN ds.device_id END), "
    "COUNT(DISTINCT CASE WHEN d.address_class = 'non-resolvable' THEN ds.device_id END), "
    "COUNT(DISTINCT CASE WHEN d.address_class IS NULL OR d.address_class NOT IN ('public', "
    "'random-static', 'resolvable-private', 'non-resolvable') THEN ds.device_id END)";

class SqliteReportStore final : public ReportStore {
 public:
  explicit SqliteReportStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    const auto version = SchemaVersion(*db_);
    if (!version) {
      throw Refused(
          fmt::format("SQLite database {} has no blemon schema; run a monitor against it or "
                      "`blemon-admin migrate` first",
                      db_->path()));
    }
  }

  std::vector<HourlyRow> Hourly(const ReportFilter& filter) override {
    auto rows = db_->Prepare(
        "SELECT m.monitor_name, coalesce(m.location, ''), "
        "strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', ds.interval_start) AS INTEGER) - ?4) "
        "/ 3600 * 3600 + ?4, 'unixepoch') AS hour_start, "
        "count(DISTINCT ds.device_id), count(*), sum(ds.rssi), min(ds.rssi), max(ds.rssi), " +
        std::string(kHourlyAddressColumnsSql) +
        " FROM device_sightings ds JOIN monitors m ON m.monitor_id = ds.monitor_id "
        "JOIN ble_devices d ON d.device_id = ds.device_id "
        "LEFT JOIN address_links l ON l.device_id = ds.device_id "
        "WHERE ds.interval_start >= ?1 AND ds.interval_start < ?2" +
        MonitorClause(filter, 3) +
        " GROUP BY hour_start, m.monitor_id ORDER BY hour_start, m.monitor_name");
    BindFilter(rows, filter);
    rows.Bind(4, static_cast<std::int64_t>(filter.hour_shift.count()));
    std::vector<HourlyRow> result;
    while (rows.Step()) {
      HourlyRow row;
      row.monitor_name = rows.Text(0);
      row.location = rows.Text(1);
      row.hour_start = ReadTime(rows, 2, *db_);
      row.unique_devices = rows.Int(3);
      row.total_sightings = rows.Int(4);
      row.avg_rssi = Average(rows.Int(5), row.total_sightings);
      row.min_rssi = ToInt(rows.Int(6));
      row.max_rssi = ToInt(rows.Int(7));
      row.addresses = row.unique_devices;
      row.estimated_devices = rows.Int(8);
      row.by_class = {.public_addresses = rows.Int(9),
                      .random_static = rows.Int(10),
                      .resolvable_private = rows.Int(11),
                      .non_resolvable = rows.Int(12),
                      .other = rows.Int(13)};
      result.push_back(std::move(row));
    }
    return result;
  }

  std::vector<MonitorSummary> Monitors(const ReportFilter& filter) override {
    auto rows = db_->Prepare(
        "SELECT m.monitor_name, coalesce(m.location, ''), m.is_active, m.last_seen, "
        "count(DISTINCT ds.device_id), count(ds.sighting_id), min(ds.sighting_timestamp), "
        "max(ds.sighting_timestamp) "
        "FROM monitors m LEFT JOIN device_sightings ds ON ds.monitor_id = m.monitor_id "
        "AND ds.interval_start >= ?1 AND ds.interval_start < ?2 WHERE 1 = 1" +
        MonitorClause(filter, 3) + " GROUP BY m.monitor_id ORDER BY m.monitor_name");
    BindFilter(rows, filter);
    std::vector<MonitorSummary> result;
    while (rows.Step()) {
      MonitorSummary row;
      row.monitor_name = rows.Text(0);
      row.location = rows.Text(1);
      row.is_active = rows.Int(2) != 0;
      row.last_seen = ReadOptionalTime(rows, 3, *db_);
      row.devices = rows.Int(4);
      row.sightings = rows.Int(5);
      row.first_sighting = ReadOptionalTime(rows, 6, *db_);
      row.last_sighting = ReadOptionalTime(rows, 7, *db_);
      result.push_back(std::move(row));
    }
    return result;
  }

  std::vector<DeviceSummary> Devices(const ReportFilter& filter) override {
    // One pass over the span, per device and winning monitor; folded per device here. (Monitor
    // names are collected as rows, not group_concat'ed: a name may hold any separator.)
    DeviceSummaryFold fold;
    auto rows = db_->Prepare(
        "SELECT ds.device_id, d.mac_address, d.device_name, m.monitor_name, count(*), "
        "max(ds.rssi), sum(ds.rssi), max(ds.sighting_timestamp), d.device_class, d.vendor, "
        "d.address_class, coalesce(e.mac_address, '') "
        "FROM device_sightings ds JOIN ble_devices d ON d.device_id = ds.device_id "
        "JOIN monitors m ON m.monitor_id = ds.monitor_id "
        "LEFT JOIN address_links l ON l.device_id = ds.device_id "
        "LEFT JOIN ble_devices e ON e.device_id = l.estimated_device_id "
        "WHERE ds.interval_start >= ?1 AND ds.interval_start < ?2" +
        MonitorClause(filter, 3) + " GROUP BY ds.device_id, ds.monitor_id");
    BindFilter(rows, filter);
    while (rows.Step()) {
      fold.Add({.device_id = rows.Int(0),
                .mac = rows.Text(1),
                .address_class = rows.OptionalText(10),
                .estimated_device = rows.Text(11),
                .name = rows.OptionalText(2),
                .monitor_name = rows.Text(3),
                .sightings = rows.Int(4),
                .best_rssi = ToInt(rows.Int(5)),
                .rssi_sum = rows.Int(6),
                .last_seen = ReadTime(rows, 7, *db_),
                .device_class = rows.OptionalText(8),
                .vendor = rows.OptionalText(9)});
    }
    return fold.Result();
  }

  DashboardSnapshot Snapshot(int top_devices, int recent) override {
    DashboardSnapshot snapshot;
    snapshot.store_now = StoreNow(*db_);
    const UtcTime day_ago = snapshot.store_now - kDay;
    snapshot.fleet_interval = FleetInterval(*db_);
    snapshot.monitors = DashboardMonitors(*db_, day_ago);
    snapshot.lease = ReadLease(*db_);
    ReadStagingBacklog(*db_, snapshot);
    // The device summary reads a day of sightings: skipped when no top devices are wanted
    // (blemon-web's /metrics and its page ask for none).
    if (top_devices > 0) {
      auto devices = Devices({day_ago, snapshot.store_now + Seconds(1), std::nullopt});
      if (devices.size() > static_cast<std::size_t>(top_devices)) {
        devices.resize(static_cast<std::size_t>(top_devices));
      }
      snapshot.top_devices = std::move(devices);
    }
    snapshot.recent = RecentSightings(*db_, recent, day_ago);
    return snapshot;
  }

  std::optional<UtcTime> LatestProcessedInterval() override {
    auto latest = db_->Prepare("SELECT max(interval_start) FROM device_sightings");
    latest.Step();
    return ReadOptionalTime(latest, 0, *db_);
  }

  RoomsNow LatestRooms() override {
    RoomsNow rooms;
    rooms.interval_start = LatestProcessedInterval();
    if (!rooms.interval_start) return rooms;
    auto rows = db_->Prepare(
        "SELECT d.mac_address, d.device_name, m.monitor_name, "
        "coalesce(nullif(m.location, ''), m.monitor_name) AS room, ds.rssi, "
        "ds.sighting_timestamp "
        "FROM device_sightings ds JOIN ble_devices d ON d.device_id = ds.device_id "
        "JOIN monitors m ON m.monitor_id = ds.monitor_id WHERE ds.interval_start = ?1 "
        "ORDER BY room, ds.rssi DESC, d.mac_address");
    rows.Bind(1, FormatUtc(*rooms.interval_start));
    while (rows.Step()) {
      RoomDevice device{.mac = rows.Text(0),
                        .name = rows.OptionalText(1),
                        .monitor_name = rows.Text(2),
                        .location = rows.Text(3),
                        .rssi = ToInt(rows.Int(4)),
                        .sighting_time = ReadTime(rows, 5, *db_)};
      if (device.name && device.name->empty()) device.name.reset();
      rooms.devices.push_back(std::move(device));
    }
    return rooms;
  }

  std::vector<TrackPoint> Track(const std::string& mac, const ReportFilter& filter,
                                int limit) override {
    auto rows = db_->Prepare(
        "SELECT ds.interval_start, m.monitor_name, "
        "coalesce(nullif(m.location, ''), m.monitor_name), ds.rssi, ds.margin_db "
        "FROM device_sightings ds JOIN ble_devices d ON d.device_id = ds.device_id "
        "JOIN monitors m ON m.monitor_id = ds.monitor_id "
        "WHERE ds.interval_start >= ?1 AND ds.interval_start < ?2" +
        MonitorClause(filter, 3) + " AND d.mac_address = ?4 ORDER BY ds.interval_start LIMIT ?5");
    BindFilter(rows, filter);
    rows.Bind(4, mac).Bind(5, std::max(limit, 0));
    std::vector<TrackPoint> track;
    while (rows.Step()) {
      TrackPoint point{.interval_start = ReadTime(rows, 0, *db_),
                       .monitor_name = rows.Text(1),
                       .location = rows.Text(2),
                       .rssi = ToInt(rows.Int(3)),
                       .margin_db = std::nullopt};
      if (!rows.IsNull(4)) point.margin_db = ToInt(rows.Int(4));
      track.push_back(std::move(point));
    }
    return track;
  }

  std::vector<MonitorBacklog> Backlog() override {
    auto rows = db_->Prepare(
        "SELECT m.monitor_name, count(*) FROM sighting_staging s "
        "JOIN monitors m ON m.monitor_id = s.monitor_id "
        "WHERE s.processed = 0 GROUP BY m.monitor_id ORDER BY m.monitor_name");
    std::vector<MonitorBacklog> backlog;
    while (rows.Step()) backlog.push_back({rows.Text(0), rows.Int(1)});
    return backlog;
  }

  ProcessingHistory Processing(Seconds late_after) override {
    auto row = db_->Prepare(
        "SELECT " + ProcessingHistoryColumns() +
        ", coalesce(sum(strftime('%s', processed_at) - strftime('%s', interval_start) > ?1 + "
        "(SELECT CAST(setting_value AS INTEGER) FROM fleet_settings "
        "WHERE setting_name = 'interval_seconds')), 0) FROM processing_runs");
    row.Bind(1, static_cast<std::int64_t>(late_after.count()));
    std::vector<std::int64_t> columns;
    if (row.Step()) {
      for (std::size_t i = 0; i < kProcessingHistoryColumnCount; ++i) {
        columns.push_back(row.Int(static_cast<int>(i)));
      }
    }
    return ProcessingHistoryOf(columns);
  }

 private:
  void BindFilter(Statement& statement, const ReportFilter& filter) {
    statement.Bind(1, FormatUtc(filter.from)).Bind(2, FormatUtc(filter.to));
    if (filter.monitor) statement.Bind(3, *filter.monitor);
  }

  std::unique_ptr<Connection> db_;
};

// The tables `check` counts: the seed's four, then blemon's own.
constexpr std::string_view kTables[] = {
    "monitors",        "ble_devices",    "device_sightings", "sighting_staging", "staging_batches",
    "processor_lease", "fleet_settings", "schema_version",   "processing_runs",  "identities"};

constexpr std::string_view kArchiveTable = "device_sightings_archive";

// The table's row count; nullopt rows when the table is missing.
TableCount CountRows(Connection& db, std::string_view table) {
  TableCount count{std::string(table), std::nullopt};
  if (HasTable(db, table)) {
    auto rows = db.Prepare(fmt::format("SELECT count(*) FROM {}", table));
    rows.Step();
    count.rows = rows.Int(0);
  }
  return count;
}

class SqliteAdminStore final : public AdminStore {
 public:
  explicit SqliteAdminStore(std::string path) : path_(std::move(path)) {}

  StoreCheck Check() override {
    StoreCheck check;
    check.expected_version = internal::EmbeddedMigrations().back().version;
    check.server = fmt::format("SQLite {} (library {})", path_, sqlite3_libversion());
    if (!FileExists(path_)) {
      check.problems.push_back(fmt::format(
          "{} does not exist: check database.path (relative paths are taken from the working "
          "directory), or create it with `blemon-admin migrate`",
          path_));
      return check;
    }
    try {
      auto& db = Db();
      check.connected = true;
      check.schema_version = SchemaVersion(db);
      for (auto table : kTables) check.tables.push_back(CountRows(db, table));
      // Counted once `blemon-admin archive` made it, as on MariaDB.
      if (HasTable(db, kArchiveTable)) check.tables.push_back(CountRows(db, kArchiveTable));
    } catch (const std::exception& e) {
      check.problems.push_back(fmt::format("cannot read {}: {}", path_, e.what()));
      return check;
    }
    if (!check.schema_version) {
      check.problems.push_back(
          "no blemon schema: create it with `blemon-admin migrate` (or start a monitor)");
    } else if (*check.schema_version < check.expected_version) {
      check.problems.push_back(fmt::format(
          "schema version {} is older than this blemon's {}: run `blemon-admin migrate`",
          *check.schema_version, check.expected_version));
    } else if (*check.schema_version > check.expected_version) {
      check.problems.push_back(
          fmt::format("schema version {} is newer than this blemon knows ({}): upgrade blemon",
                      *check.schema_version, check.expected_version));
    }
    for (const auto& table : check.tables) {
      if (!table.rows && check.schema_version) {
        check.problems.push_back(fmt::format(
            "table {} is missing although the schema says version {}: the file was edited by "
            "hand; restore it from a backup",
            table.table, *check.schema_version));
      }
    }
    return check;
  }

  std::pair<int, int> Migrate() override {
    int before = -1;
    if (FileExists(path_)) {
      auto version = SchemaVersion(Db());
      before = version ? *version : -1;
    }
    db_.reset();
    // Opening the Store applies every missing migration in one transaction.
    (void)sqlite::OpenStore(path_);
    const auto after = SchemaVersion(Db());
    return {before, after.value_or(0)};
  }

  CleanupResult CleanupStaging(Seconds older_than) override {
    auto& db = Db();
    const std::string cutoff = Cutoff(db, older_than);
    CleanupResult result;
    WriteTransaction tx(db);
    db.Prepare("DELETE FROM sighting_staging WHERE processed = 1 AND interval_start < ?1")
        .Bind(1, cutoff)
        .Run();
    result.deleted = db.Changes();
    {
      auto left = db.Prepare(
          "SELECT count(*), min(interval_start) FROM sighting_staging "
          "WHERE processed = 0 AND interval_start < ?1");
      left.Bind(1, cutoff);
      left.Step();
      result.unprocessed_old = left.Int(0);
      result.oldest_unprocessed = ReadOptionalTime(left, 1, db);
    }
    tx.Commit();
    return result;
  }

  ArchivePlan PlanArchive(Seconds older_than) override {
    auto& db = Db();
    ArchivePlan plan;
    WriteTransaction tx(db);
    archive_columns_ = PrepareArchiveTable(db);
    const std::string cutoff = Cutoff(db, older_than);
    plan.cutoff = *internal::ParseUtc(cutoff);
    {
      auto rows = db.Prepare("SELECT count(*) FROM device_sightings WHERE interval_start < ?1");
      rows.Bind(1, cutoff);
      rows.Step();
      plan.rows = rows.Int(0);
    }
    tx.Commit();
    return plan;
  }

  // `after` is not needed here: SQLite removes a deleted row's index entries at once, so the scan
  // from the start of the cut-off range finds the next rows straight away.
  ArchiveStep ArchiveChunk(const ArchivePlan& plan, const std::optional<ArchivePosition>& /*after*/,
                           int chunk) override {
    auto& db = Db();
    const std::string cutoff = FormatUtc(plan.cutoff);
    ArchiveStep step;
    WriteTransaction tx(db);
    // The chunk's ids, oldest first, once: the same ids are copied and then deleted, so exactly
    // the rows copied leave device_sightings. OR IGNORE makes a rerun after a manual, partial
    // archive harmless.
    db.Execute(
        "CREATE TEMP TABLE IF NOT EXISTS archive_chunk (sighting_id INTEGER PRIMARY KEY);"
        "DELETE FROM temp.archive_chunk;",
        "preparing an archive chunk");
    db.Prepare(
          "INSERT INTO temp.archive_chunk SELECT sighting_id FROM device_sightings "
          "WHERE interval_start < ?1 ORDER BY interval_start, sighting_id LIMIT ?2")
        .Bind(1, cutoff)
        .Bind(2, chunk)
        .Run();
    if (archive_columns_.empty()) archive_columns_ = PrepareArchiveTable(db);
    db.Execute(fmt::format("INSERT OR IGNORE INTO device_sightings_archive ({0}) SELECT {0} FROM "
                           "device_sightings WHERE sighting_id IN temp.archive_chunk",
                           archive_columns_),
               "copying an archive chunk");
    {
      auto last = db.Prepare(
          "SELECT interval_start, sighting_id FROM device_sightings "
          "WHERE sighting_id IN temp.archive_chunk ORDER BY interval_start DESC, sighting_id DESC "
          "LIMIT 1");
      if (last.Step()) {
        step.last =
            ArchivePosition{.interval_start = ReadTime(last, 0, db), .sighting_id = last.Int(1)};
      }
    }
    db.Execute("DELETE FROM device_sightings WHERE sighting_id IN temp.archive_chunk",
               "deleting an archive chunk");
    step.moved = db.Changes();
    tx.Commit();
    return step;
  }

  LeaseStatus Lease() override { return ReadLease(Db()); }

  std::optional<std::string> ReleaseLease() override {
    auto& db = Db();
    WriteTransaction tx(db);
    std::optional<std::string> holder;
    {
      auto who = db.Prepare(
          "SELECT m.monitor_name FROM processor_lease l "
          "JOIN monitors m ON m.monitor_id = l.holder_monitor_id WHERE l.lease_id = 1");
      if (who.Step()) holder = who.Text(0);
    }
    db.Execute(
        "UPDATE processor_lease SET holder_monitor_id = NULL, "
        "expires_at = NULL WHERE lease_id = 1;"
        "UPDATE monitors SET is_processor = 0, processor_claimed_at = NULL "
        "WHERE is_processor <> 0 OR processor_claimed_at IS NOT NULL;",
        "releasing the processor lease");
    tx.Commit();
    return holder;
  }

 private:
  Connection& Db() {
    if (!db_) db_ = Connection::Open(path_);
    return *db_;
  }

  static std::string Cutoff(Connection& db, Seconds older_than) {
    auto now = db.Prepare("SELECT datetime('now')");
    now.Step();
    return FormatUtc(ReadTime(now, 0, db) - older_than);
  }

  // Makes device_sightings_archive hold every column device_sightings has: created with them
  // (sighting_id its key, no foreign keys, so archived rows pin no device or monitor), or, made by
  // an older blemon, given the columns added since (NULL in its old rows). Returns the quoted
  // column list to copy, so archiving drops no column.
  static std::string PrepareArchiveTable(Connection& db) {
    struct Column {
      std::string name, type;
    };
    const auto columns_of = [&db](std::string_view table) {
      std::vector<Column> columns;
      auto info = db.Prepare(fmt::format("SELECT name, type FROM pragma_table_info('{}')", table));
      while (info.Step()) columns.push_back({info.Text(0), info.Text(1)});
      return columns;
    };
    const std::vector<Column> source = columns_of("device_sightings");
    std::vector<Column> archive = columns_of("device_sightings_archive");
    if (archive.empty()) {
      std::string definition = "sighting_id INTEGER PRIMARY KEY";
      for (const Column& c : source) {
        if (c.name != "sighting_id") definition += fmt::format(", \"{}\" {}", c.name, c.type);
      }
      db.Execute(fmt::format("CREATE TABLE device_sightings_archive ({});"
                             "CREATE INDEX IF NOT EXISTS idx_archive_interval ON "
                             "device_sightings_archive (interval_start);",
                             definition),
                 "creating device_sightings_archive");
      archive = source;
    }
    std::string list;
    for (const Column& c : source) {
      const bool present = std::any_of(archive.begin(), archive.end(),
                                       [&](const Column& a) { return a.name == c.name; });
      if (!present) {
        db.Execute(fmt::format("ALTER TABLE device_sightings_archive ADD COLUMN \"{}\" {}", c.name,
                               c.type),
                   "adding a column to device_sightings_archive");
      }
      list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", c.name);
    }
    return list;
  }

  std::string path_;
  std::unique_ptr<Connection> db_;
  std::string archive_columns_;  // set by PlanArchive
};

}  // namespace

std::unique_ptr<ReportStore> OpenReportStore(const std::string& path) {
  if (!FileExists(path)) {
    throw Unavailable(fmt::format(
        "no SQLite database at {}: check database.path in the config (relative paths are taken "
        "from the working directory)",
        path));
  }
  return std::make_unique<SqliteReportStore>(Connection::Open(path));
}

std::unique_ptr<AdminStore> OpenAdminStore(const std::string& path) {
  return std::make_unique<SqliteAdminStore>(path);
}

}  // namespace blemon::sqlite
