#include "blemon/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "address_links.h"
#include "blemon/calibration_store.h"
#include "blemon/device_class.h"
#include "blemon/errors.h"
#include "blemon/identity.h"
#include "blemon/payload_text.h"
#include "connection.h"
#include "embedded_schema.h"
#include "hourly_rollups.h"
#include "lease_row.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::FormatUtc;
using internal::ReadTime;
using internal::Statement;
using internal::WriteTransaction;

// Brings the file to the newest embedded schema version, or refuses one newer than we know. Runs
// in one immediate transaction, so several monitors opening a fresh file at once apply each
// migration exactly once: the first creates, the others find it done.
void Migrate(Connection& db) {
  const auto migrations = internal::EmbeddedMigrations();
  const int latest = migrations.back().version;
  WriteTransaction tx(db);
  int current = 0;
  if (internal::HasTable(db, "schema_version")) {
    auto version = db.Prepare("SELECT coalesce(max(version), 0) FROM schema_version");
    version.Step();
    current = static_cast<int>(version.Int(0));
  } else {
    auto tables = db.Prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    tables.Step();
    if (tables.Int(0) > 0) {
      throw Refused(fmt::format(
          "SQLite database {} has tables but no schema_version: it was not made by blemon; "
          "point database.path at a new file",
          db.path()));
    }
  }
  if (current > latest) {
    throw Refused(fmt::format(
        "SQLite database {} has schema version {}, newer than this blemon knows ({}); upgrade "
        "blemon",
        db.path(), current, latest));
  }
  for (const auto& migration : migrations) {
    if (migration.version <= current) continue;
    db.Execute(migration.sql, fmt::format("applying schema {}", migration.file_name));
  }
  tx.Commit();
}

// What ProcessInterval learns about one device from the interval's staging rows.
struct DeviceFacts {
  UtcTime first_seen;
  UtcTime last_seen;
  std::optional<std::string> address_class;  // from the latest row
  std::optional<std::string> name;           // latest non-empty
  std::optional<UtcTime> name_seen_at;
};

// Folds one staging row into what the interval says about its device: the earliest first_seen,
// the latest last_seen with that row's address class, and the latest non-empty name. Rows come
// in insertion order, so on equal times the later-stored row wins.
void FoldDeviceFacts(std::map<MacAddress, DeviceFacts>& devices, const MacAddress& mac,
                     UtcTime scan_time, std::optional<std::string> name,
                     std::optional<std::string> address_class) {
  if (name && name->empty()) name.reset();
  auto [it, fresh] = devices.try_emplace(mac, DeviceFacts{scan_time, scan_time, {}, {}, {}});
  DeviceFacts& facts = it->second;
  facts.first_seen = std::min(facts.first_seen, scan_time);
  if (fresh || scan_time >= facts.last_seen) {
    facts.last_seen = scan_time;
    facts.address_class = std::move(address_class);
  }
  if (name && (!facts.name_seen_at || scan_time >= *facts.name_seen_at)) {
    facts.name = std::move(name);
    facts.name_seen_at = scan_time;
  }
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Connection> db) : db_(std::move(db)) { Migrate(*db_); }

  // --- ScanStore ---

  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    WriteTransaction tx(*db_);
    MonitorId id = 0;
    {
      auto upsert = db_->Prepare(
          "INSERT INTO monitors (monitor_name, location, description, is_active, last_seen) "
          "VALUES (?1, ?2, ?3, 1, datetime('now')) "
          "ON CONFLICT (monitor_name) DO UPDATE SET location = excluded.location, "
          "description = excluded.description, is_active = 1, last_seen = excluded.last_seen "
          "RETURNING monitor_id");
      upsert.Bind(1, info.name).Bind(2, info.location).Bind(3, info.description);
      upsert.Step();
      id = upsert.Int(0);
      upsert.Run();
    }
    if (info.position) {
      db_->Prepare("UPDATE monitors SET position_x = ?2, position_y = ?3 WHERE monitor_id = ?1")
          .Bind(1, id)
          .Bind(2, info.position->x)
          .Bind(3, info.position->y)
          .Run();
    }
    tx.Commit();
    return id;
  }

  Seconds FleetInterval(Seconds configured) override {
    WriteTransaction tx(*db_);
    db_->Prepare(
           "INSERT INTO fleet_settings (setting_name, setting_value) "
           "VALUES ('interval_seconds', ?1) ON CONFLICT (setting_name) DO NOTHING")
        .Bind(1, std::to_string(configured.count()))
        .Run();
    std::int64_t stored = 0;
    {
      auto read = db_->Prepare(
          "SELECT CAST(setting_value AS INTEGER) FROM fleet_settings "
          "WHERE setting_name = 'interval_seconds'");
      read.Step();
      stored = read.Int(0);
    }
    tx.Commit();
    return Seconds(stored);
  }

  void Heartbeat(MonitorId monitor, bool active) override {
    WriteTransaction tx(*db_);
    db_->Prepare(
           "UPDATE monitors SET last_seen = datetime('now'), is_active = ?2 "
           "WHERE monitor_id = ?1")
        .Bind(1, monitor)
        .Bind(2, active ? 1 : 0)
        .Run();
    tx.Commit();
  }

  UtcTime StoreNow() override {
    auto now = db_->Prepare("SELECT unixepoch('now')");
    now.Step();
    return UtcTime(Seconds(now.Int(0)));
  }

  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    const auto text_or_null = [](const std::optional<UtcTime>& t) -> std::optional<std::string> {
      if (!t) return std::nullopt;
      return FormatUtc(*t);
    };
    WriteTransaction tx(*db_);
    db_->Prepare(
           "UPDATE monitors SET scans_failed = scans_failed + ?2, "
           "last_scan_error = coalesce(?3, last_scan_error), "
           "last_scan_error_at = coalesce(?4, last_scan_error_at), "
           "last_scan_ok_at = coalesce(?5, last_scan_ok_at), empty_scans_in_row = ?6 "
           "WHERE monitor_id = ?1")
        .Bind(1, monitor)
        .Bind(2, update.new_failures)
        .Bind(3, update.last_error)
        .Bind(4, text_or_null(update.last_error_at))
        .Bind(5, text_or_null(update.last_ok_at))
        .Bind(6, update.empty_scans_in_row)
        .Run();
    tx.Commit();
  }

  bool StageBatch(const Batch& batch) override {
    WriteTransaction tx(*db_);
    const auto interval_start = FormatUtc(batch.interval_start);
    const auto scan_time = FormatUtc(batch.scan_time);
    db_->Prepare(
           "INSERT INTO staging_batches (monitor_id, batch_seq, interval_start, scan_time, "
           "row_count) VALUES (?1, ?2, ?3, ?4, ?5) "
           "ON CONFLICT (monitor_id, batch_seq) DO NOTHING")
        .Bind(1, batch.monitor_id)
        .Bind(2, batch.batch_seq)
        .Bind(3, interval_start)
        .Bind(4, scan_time)
        .Bind(5, static_cast<std::int64_t>(batch.readings.size()))
        .Run();
    if (db_->Changes() == 0) return false;  // stored before: a resend after a lost answer
    StageBeacons(batch, interval_start, scan_time);
    for (const auto& r : batch.readings) {
      if (IsMonitorBeacon(r)) continue;  // a monitor, not a device: in beacon_observations
      const PayloadColumns payload = ToPayloadColumns(r);
      db_->Prepare(
             "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, "
             "interval_start, scan_timestamp, processed, batch_seq, address_class, advert_count, "
             "tx_power, company_ids, manufacturer_data, service_uuids, appearance, "
             "beacon_monitor_id, beacon_tx_power) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")
          .Bind(1, r.mac.ToString())
          .Bind(2, r.name)
          .Bind(3, batch.monitor_id)
          .Bind(4, r.rssi)
          .Bind(5, interval_start)
          .Bind(6, scan_time)
          .Bind(7, batch.batch_seq)
          .Bind(8, ToString(r.address_class))
          .Bind(9, r.advert_count)
          .Bind(10, r.tx_power)
          .Bind(11, payload.company_ids)
          .Bind(12, payload.manufacturer_data)
          .Bind(13, payload.service_uuids)
          .Bind(14, payload.appearance)
          .Bind(15, payload.beacon_monitor_id)
          .Bind(16, payload.beacon_tx_power)
          .Run();
    }
    tx.Commit();
    return true;
  }

  // --- ProcessorStore ---

  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    WriteTransaction tx(*db_);
    // One conditional UPDATE on the store's clock decides: free, expired or ours. The SET
    // expressions see the old row, so the epoch moves on exactly when the holder changes (or our
    // own lease had already expired, when another term may have begun in our absence).
    db_->Prepare(
           "UPDATE processor_lease SET "
           "epoch = CASE WHEN holder_monitor_id = ?1 AND expires_at > datetime('now') "
           "THEN epoch ELSE epoch + 1 END, "
           "granted_at = CASE WHEN holder_monitor_id = ?1 AND expires_at > datetime('now') "
           "THEN granted_at ELSE datetime('now') END, "
           "holder_monitor_id = ?1, renewed_at = datetime('now'), "
           "expires_at = datetime('now', ?2), claims = claims + 1 "
           "WHERE lease_id = 1 AND (holder_monitor_id IS NULL OR holder_monitor_id = ?1 "
           "OR expires_at IS NULL OR expires_at <= datetime('now'))")
        .Bind(1, monitor)
        .Bind(2, fmt::format("+{} seconds", ttl.count()))
        .Run();
    const bool granted = db_->Changes() == 1;
    if (granted) {
      // Keep the seed's columns true to the lease: the holder is the only processor, and its
      // processor_claimed_at is its latest claim or renewal, as the original tool's heartbeat.
      db_->Prepare(
             "UPDATE monitors SET is_processor = (monitor_id = ?1), "
             "processor_claimed_at = CASE WHEN monitor_id = ?1 THEN datetime('now') END "
             "WHERE is_processor <> 0 OR monitor_id = ?1")
          .Bind(1, monitor)
          .Run();
    }
    LeaseAnswer answer;
    answer.granted = granted;
    {
      auto lease = db_->Prepare(
          "SELECT l.holder_monitor_id, m.monitor_name, l.epoch, "
          "max(0, unixepoch(l.expires_at) - unixepoch('now')) "
          "FROM processor_lease l LEFT JOIN monitors m ON m.monitor_id = l.holder_monitor_id "
          "WHERE l.lease_id = 1 AND l.expires_at > datetime('now')");
      if (lease.Step()) {
        answer.holder = lease.OptionalInt(0);
        answer.holder_name = lease.OptionalText(1).value_or("");
        answer.epoch = lease.Int(2);
        answer.remaining = Seconds(lease.Int(3));
      }
    }
    tx.Commit();
    return answer;
  }

  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    WriteTransaction tx(*db_);
    // The epoch stays, so the next holder's is higher than any this one used.
    db_->Prepare(
           "UPDATE processor_lease SET holder_monitor_id = NULL, expires_at = NULL, "
           "renewed_at = datetime('now') WHERE lease_id = 1 AND holder_monitor_id = ?1 "
           "AND epoch = ?2")
        .Bind(1, monitor)
        .Bind(2, epoch)
        .Run();
    if (db_->Changes() == 1) {
      db_->Prepare(
             "UPDATE monitors SET is_processor = 0, processor_claimed_at = NULL "
             "WHERE monitor_id = ?1")
          .Bind(1, monitor)
          .Run();
    }
    tx.Commit();
  }

  LeaseStatus Lease() override { return internal::ReadLease(*db_); }

  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    auto pending = db_->Prepare(
        "SELECT DISTINCT interval_start FROM sighting_staging "
        "WHERE processed = 0 AND interval_start <= ?1 ORDER BY interval_start");
    pending.Bind(1, FormatUtc(latest_due));
    std::vector<UtcTime> intervals;
    while (pending.Step()) intervals.push_back(ReadTime(pending, 0, *db_));
    return intervals;
  }

  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    const auto started = std::chrono::steady_clock::now();
    WriteTransaction tx(*db_);
    CheckFence(monitor, epoch);
    const auto interval = FormatUtc(interval_start);
    const auto assignments = AttributeIdentities(interval_start, interval);
    BestRssiMerge merge(MonitorOffsets());
    std::map<MacAddress, DeviceFacts> devices;
    ReadStagedInterval(interval_start, interval, merge, devices);

    ProcessOutcome outcome;
    std::map<MacAddress, std::int64_t> device_ids;
    for (const auto& [mac, facts] : devices) {
      auto [id, added] = UpsertDevice(mac, facts);
      device_ids.emplace(mac, id);
      if (added) ++outcome.devices_added;
    }
    LinkNewIdentityDevices(assignments, device_ids);
    for (const auto& [key, computed] : merge.Result()) {
      if (MergeSighting(device_ids.at(key.first), key.first, interval, computed)) {
        ++outcome.sightings_changed;
      }
      DecideRoom(device_ids.at(key.first), interval_start, interval,
                 merge.CalibratedByMonitor(key));
    }
    db_->Prepare(
           "UPDATE sighting_staging SET processed = 1 WHERE interval_start = ?1 AND processed = 0")
        .Bind(1, interval)
        .Run();
    outcome.staging_rows = db_->Changes();
    // In the same transaction, so a failover never leaves an interval processed but unlinked.
    outcome.links_added = internal::LinkAddresses(*db_, interval_start);

    StoreProfiles(interval_start);
    // After everything that may mark hours stale (the merged sightings, new links, changed
    // address classes), so the interval's hour and any late row's are exact at commit.
    internal::RefreshStaleRollups(*db_, internal::kRollupHoursPerInterval);

    // The lease could have run out while we worked: fence again right before committing.
    CheckFence(monitor, epoch);
    db_->Prepare(
           "INSERT INTO processing_runs (interval_start, monitor_id, processed_at, duration_ms, "
           "staging_rows) VALUES (?1, ?2, datetime('now'), ?3, ?4)")
        .Bind(1, interval)
        .Bind(2, monitor)
        .Bind(3, MillisecondsSince(started))
        .Bind(4, outcome.staging_rows)
        .Run();
    tx.Commit();
    return outcome;
  }

  void ConfigureRooms(const RoomSettings& settings) override { rooms_ = settings; }

  // --- ReadStore ---

  std::vector<StoredSighting> Sightings(UtcTime from, UtcTime to) override {
    auto rows = db_->Prepare(
        "SELECT d.mac_address, s.interval_start, s.monitor_id, s.rssi, s.sighting_timestamp, "
        "s.margin_db, s.monitors_heard, s.calibrated_rssi, s.calibrated_margin_db, "
        "s.room_monitor_id, s.confidence "
        "FROM device_sightings s JOIN ble_devices d ON d.device_id = s.device_id "
        "WHERE s.interval_start >= ?1 AND s.interval_start < ?2 "
        "ORDER BY s.interval_start, d.mac_address");
    rows.Bind(1, FormatUtc(from)).Bind(2, FormatUtc(to));
    std::vector<StoredSighting> sightings;
    while (rows.Step()) {
      const auto mac_text = rows.Text(0);
      const auto mac = MacAddress::Parse(mac_text);
      if (!mac) {
        throw Refused(fmt::format("SQLite database {}: ble_devices holds '{}', not a MAC address",
                                  db_->path(), mac_text));
      }
      const auto confidence = rows.OptionalText(10);
      sightings.push_back(
          StoredSighting{.mac = *mac,
                         .interval_start = ReadTime(rows, 1, *db_),
                         .sighting = ReadSighting(rows, 2),
                         .room_monitor_id = rows.OptionalInt(9),
                         .confidence = confidence ? ParseConfidence(*confidence) : std::nullopt});
    }
    return sightings;
  }

  std::optional<std::optional<std::string>> DeviceName(const MacAddress& mac) override {
    auto row = db_->Prepare("SELECT device_name FROM ble_devices WHERE mac_address = ?1");
    row.Bind(1, mac.ToString());
    if (!row.Step()) return std::nullopt;
    return row.OptionalText(0);
  }

  std::vector<Batch> StagedBatches(UtcTime interval_start) override {
    auto rows = db_->Prepare(
        "SELECT monitor_id, coalesce(batch_seq, 0), scan_timestamp, mac_address, address_class, "
        "rssi, coalesce(advert_count, 0), device_name, tx_power, company_ids, manufacturer_data, "
        "service_uuids, appearance, beacon_monitor_id, beacon_tx_power "
        "FROM sighting_staging WHERE interval_start = ?1 "
        "ORDER BY monitor_id, coalesce(batch_seq, 0), scan_timestamp, staging_id");
    rows.Bind(1, FormatUtc(interval_start));
    std::vector<Batch> batches;
    while (rows.Step()) {
      const MonitorId monitor = rows.Int(0);
      const std::int64_t seq = rows.Int(1);
      const UtcTime scan_time = ReadTime(rows, 2, *db_);
      if (batches.empty() || batches.back().monitor_id != monitor ||
          batches.back().batch_seq != seq || batches.back().scan_time != scan_time) {
        batches.push_back(Batch{.monitor_id = monitor,
                                .batch_seq = seq,
                                .interval_start = interval_start,
                                .scan_time = scan_time,
                                .readings = {}});
      }
      batches.back().readings.push_back(ReadStagedReading(rows));
    }
    return batches;
  }

 private:
  void CheckFence(MonitorId monitor, std::int64_t epoch) {
    internal::CheckFence(*db_, monitor, epoch);
  }

  // The batch's beacons of other monitors into beacon_observations (schema version 13), in the
  // batch's staging transaction. The key makes a second write of one a no-op that keeps the
  // strongest reading.
  void StageBeacons(const Batch& batch, const std::string& interval_start,
                    const std::string& scan_time) {
    for (const BatchBeacon& beacon : BeaconsOf(batch)) {
      db_->Prepare(
             "INSERT INTO beacon_observations (receiver_monitor_id, batch_seq, "
             "sender_monitor_id, interval_start, rssi, sender_tx_power, observed_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
             "ON CONFLICT (receiver_monitor_id, batch_seq, sender_monitor_id) "
             "DO UPDATE SET rssi = max(rssi, excluded.rssi)")
          .Bind(1, batch.monitor_id)
          .Bind(2, batch.batch_seq)
          .Bind(3, beacon.sender)
          .Bind(4, interval_start)
          .Bind(5, beacon.rssi)
          .Bind(6, beacon.sender_tx_power)
          .Bind(7, scan_time)
          .Run();
    }
  }

  // Attributes the interval's resolvable private addresses to enrolled identities, in the
  // processing transaction: sets sighting_staging.resolved_mac (the raw address stays in
  // mac_address) and pins keys whose byte order resolved. Returns what it assigned, so new device
  // rows can be linked once the merge has made them.
  std::vector<IdentityAssignment> AttributeIdentities(UtcTime interval_start,
                                                      const std::string& interval) {
    std::vector<EnrolledIdentity> identities;
    {
      auto rows = db_->Prepare(
          "SELECT i.identity_id, hex(i.irk), i.byte_order_known, b.mac_address FROM identities i "
          "LEFT JOIN ble_devices b ON b.device_id = i.device_id ORDER BY i.identity_id");
      while (rows.Step()) {
        const auto irk = Irk::Parse(rows.Text(1));
        if (!irk) {
          throw Refused(
              fmt::format("SQLite database {}: identities holds a key that is not 16 "
                          "bytes; re-add that identity",
                          db_->path()));
        }
        EnrolledIdentity identity{.known = {.identity_id = rows.Int(0),
                                            .irk = *irk,
                                            .byte_order_known = rows.Int(2) != 0},
                                  .device_mac = std::nullopt};
        if (auto mac = rows.OptionalText(3)) identity.device_mac = MacAddress::Parse(*mac);
        identities.push_back(std::move(identity));
      }
    }
    std::vector<MacAddress> addresses;
    if (!identities.empty()) {
      auto rows = db_->Prepare(
          "SELECT DISTINCT mac_address FROM sighting_staging WHERE interval_start = ?1 AND "
          "resolved_mac IS NULL AND address_class = 'resolvable-private'");
      rows.Bind(1, interval);
      while (rows.Step()) {
        if (auto mac = MacAddress::Parse(rows.Text(0))) addresses.push_back(*mac);
      }
    }
    auto assignments = AssignAddresses(attributor_, identities, addresses, interval_start);
    for (const auto& assignment : assignments) {
      if (assignment.learned_key) {
        const auto& key = assignment.learned_key->bytes();
        auto learn = db_->Prepare(
            "UPDATE identities SET irk = ?2, byte_order_known = 1 WHERE identity_id = ?1");
        learn.Bind(1, assignment.identity_id);
        learn.BindBlob(2, key.data(), key.size());
        learn.Run();
      }
      const auto device_mac = assignment.device_mac.ToString();
      for (const auto& address : assignment.addresses) {
        db_->Prepare(
               "UPDATE sighting_staging SET resolved_mac = ?1 WHERE interval_start = ?2 AND "
               "mac_address = ?3 AND resolved_mac IS NULL")
            .Bind(1, device_mac)
            .Bind(2, interval)
            .Bind(3, address.ToString())
            .Run();
      }
    }
    return assignments;
  }

  void LinkNewIdentityDevices(const std::vector<IdentityAssignment>& assignments,
                              const std::map<MacAddress, std::int64_t>& device_ids) {
    for (const auto& assignment : assignments) {
      const auto found = device_ids.find(assignment.device_mac);
      if (!assignment.device_is_new || found == device_ids.end()) continue;
      db_->Prepare("UPDATE identities SET device_id = ?2 WHERE identity_id = ?1")
          .Bind(1, assignment.identity_id)
          .Bind(2, found->second)
          .Run();
    }
  }

  // Reads the interval's staging rows into `merge` and `devices`. The interval is recomputed from
  // all its staging rows of the devices with unprocessed ones, processed or not, so a late row
  // (replayed from a spool after the interval was processed) is judged against every reading the
  // interval ever had, exactly as the domain's BestRssiMerge judges it.
  void ReadStagedInterval(UtcTime interval_start, const std::string& interval, BestRssiMerge& merge,
                          std::map<MacAddress, DeviceFacts>& devices) {
    // A resolved address counts as its identity's device (schema version 5): rows are grouped
    // by coalesce(resolved_mac, mac_address), and mac_address keeps the raw address.
    auto rows = db_->Prepare(
        "SELECT monitor_id, coalesce(resolved_mac, mac_address), rssi, scan_timestamp, "
        "device_name, address_class FROM sighting_staging WHERE interval_start = ?1 AND "
        "coalesce(resolved_mac, mac_address) IN (SELECT coalesce(resolved_mac, mac_address) "
        "FROM sighting_staging WHERE interval_start = ?1 AND processed = 0) ORDER BY staging_id");
    rows.Bind(1, interval);
    while (rows.Step()) {
      const auto mac_text = rows.Text(1);
      const auto mac = MacAddress::Parse(mac_text);
      if (!mac) {
        throw Refused(fmt::format(
            "SQLite database {}: sighting_staging holds '{}', not a MAC address; fix or delete "
            "the row",
            db_->path(), mac_text));
      }
      const auto scan_time = ReadTime(rows, 3, *db_);
      merge.Add(StagedReading{.monitor_id = rows.Int(0),
                              .mac = *mac,
                              .interval_start = interval_start,
                              .rssi = static_cast<int>(rows.Int(2)),
                              .scan_time = scan_time,
                              .offset_tenths = 0});
      FoldDeviceFacts(devices, *mac, scan_time, rows.OptionalText(4), rows.OptionalText(5));
    }
  }

  // Adds the device if it is new (true) or folds in what this interval says about it: the
  // earliest first_seen, the latest last_seen and address class, and the name heard latest, so
  // a late row from an old interval never overwrites a newer name.
  std::pair<std::int64_t, bool> UpsertDevice(const MacAddress& mac, const DeviceFacts& facts) {
    const auto mac_text = mac.ToString();
    const auto first_seen = FormatUtc(facts.first_seen);
    const auto last_seen = FormatUtc(facts.last_seen);
    std::optional<std::string> name_seen_at;
    if (facts.name_seen_at) name_seen_at = FormatUtc(*facts.name_seen_at);
    std::optional<std::int64_t> id;
    {
      auto find = db_->Prepare("SELECT device_id FROM ble_devices WHERE mac_address = ?1");
      find.Bind(1, mac_text);
      if (find.Step()) id = find.Int(0);
    }
    if (!id) {
      db_->Prepare(
             "INSERT INTO ble_devices (mac_address, device_name, address_class, first_seen, "
             "last_seen, name_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
          .Bind(1, mac_text)
          .Bind(2, facts.name)
          .Bind(3, facts.address_class)
          .Bind(4, first_seen)
          .Bind(5, last_seen)
          .Bind(6, name_seen_at)
          .Run();
      return {db_->LastInsertRowId(), true};
    }
    db_->Prepare(
           "UPDATE ble_devices SET "
           "device_name = CASE WHEN ?2 IS NOT NULL AND (name_seen_at IS NULL OR ?6 >= "
           "name_seen_at) THEN ?2 ELSE device_name END, "
           "name_seen_at = CASE WHEN ?2 IS NOT NULL AND (name_seen_at IS NULL OR ?6 >= "
           "name_seen_at) THEN ?6 ELSE name_seen_at END, "
           "address_class = CASE WHEN ?5 >= last_seen OR address_class IS NULL "
           "THEN coalesce(?3, address_class) ELSE address_class END, "
           "first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?5) "
           "WHERE device_id = ?1")
        .Bind(1, *id)
        .Bind(2, facts.name)
        .Bind(3, facts.address_class)
        .Bind(4, first_seen)
        .Bind(5, last_seen)
        .Bind(6, name_seen_at)
        .Run();
    return {*id, false};
  }

  // The sighting stored for the device and interval, with its row id, if there is one.
  std::optional<std::pair<std::int64_t, Sighting>> FindSighting(std::int64_t device_id,
                                                                const std::string& interval) {
    auto find = db_->Prepare(
        "SELECT sighting_id, monitor_id, rssi, sighting_timestamp, margin_db, monitors_heard, "
        "calibrated_rssi, calibrated_margin_db "
        "FROM device_sightings WHERE device_id = ?1 AND interval_start = ?2");
    find.Bind(1, device_id).Bind(2, interval);
    if (!find.Step()) return std::nullopt;
    return std::make_pair(find.Int(0), ReadSighting(find, 1));
  }

  // A Sighting from the columns monitor_id, rssi, sighting_timestamp, margin_db, monitors_heard,
  // calibrated_rssi, calibrated_margin_db starting at `first`. A row from before version 6 has
  // no calibrated values: it was chosen with offset 0, so they are the raw ones.
  Sighting ReadSighting(const Statement& row, int first) {
    Sighting s;
    s.monitor_id = row.Int(first);
    s.rssi = static_cast<int>(row.Int(first + 1));
    s.scan_time = ReadTime(row, first + 2, *db_);
    if (auto margin = row.OptionalInt(first + 3)) s.margin_db = static_cast<int>(*margin);
    s.monitors_heard = static_cast<int>(row.Int(first + 4));
    const auto tenths = [&row](int column) -> std::optional<int> {
      if (row.IsNull(column)) return std::nullopt;
      return static_cast<int>(std::lround(row.Double(column) * 10));
    };
    s.calibrated_tenths = tenths(first + 5).value_or(s.rssi * 10);
    s.calibrated_margin_tenths = tenths(first + 6);
    if (row.IsNull(first + 5) && s.margin_db) s.calibrated_margin_tenths = *s.margin_db * 10;
    return s;
  }

  // monitors.rssi_offset_db of every monitor with one, in tenths.
  RssiOffsets MonitorOffsets() {
    RssiOffsets offsets;
    auto rows = db_->Prepare("SELECT monitor_id, rssi_offset_db FROM monitors");
    while (rows.Step()) {
      const auto tenths = static_cast<int>(std::lround(rows.Double(1) * 10));
      if (tenths != 0) offsets.emplace(rows.Int(0), tenths);
    }
    return offsets;
  }

  // The stable room and confidence of the device's sighting in the interval, and its room state
  // moved on (blemon/rooms.h DecideRoom).
  void DecideRoom(std::int64_t device_id, UtcTime interval_start, const std::string& interval,
                  const std::map<MonitorId, int>& calibrated_by_monitor) {
    RoomInput input{.sighting = {},
                    .calibrated_by_monitor = calibrated_by_monitor,
                    .decided_room = std::nullopt,
                    .state = ReadRoomState(device_id)};
    {
      auto stored = db_->Prepare(
          "SELECT monitor_id, rssi, sighting_timestamp, margin_db, monitors_heard, "
          "calibrated_rssi, calibrated_margin_db, room_monitor_id FROM device_sightings "
          "WHERE device_id = ?1 AND interval_start = ?2");
      stored.Bind(1, device_id).Bind(2, interval);
      if (!stored.Step()) return;
      input.sighting = ReadSighting(stored, 0);
      input.decided_room = stored.OptionalInt(7);
    }
    // The kept winner may be one whose staging rows were cleaned up: it counts as heard.
    input.calibrated_by_monitor.try_emplace(input.sighting.monitor_id,
                                            input.sighting.calibrated_tenths);
    const RoomDecision decision = blemon::DecideRoom(input, interval_start, rooms_);
    db_->Prepare(
           "UPDATE device_sightings SET room_monitor_id = ?3, confidence = ?4 "
           "WHERE device_id = ?1 AND interval_start = ?2")
        .Bind(1, device_id)
        .Bind(2, interval)
        .Bind(3, decision.room_monitor_id)
        .Bind(4, ToString(decision.confidence))
        .Run();
    if (decision.new_state) WriteRoomState(device_id, *decision.new_state);
  }

  std::optional<RoomState> ReadRoomState(std::int64_t device_id) {
    auto row = db_->Prepare(
        "SELECT monitor_id, interval_start, challenger_monitor_id, challenger_intervals "
        "FROM device_rooms WHERE device_id = ?1");
    row.Bind(1, device_id);
    if (!row.Step()) return std::nullopt;
    return RoomState{.monitor_id = row.Int(0),
                     .interval_start = ReadTime(row, 1, *db_),
                     .challenger = row.OptionalInt(2),
                     .challenger_intervals = static_cast<int>(row.Int(3))};
  }

  void WriteRoomState(std::int64_t device_id, const RoomState& state) {
    db_->Prepare(
           "INSERT INTO device_rooms (device_id, monitor_id, interval_start, "
           "challenger_monitor_id, challenger_intervals) VALUES (?1, ?2, ?3, ?4, ?5) "
           "ON CONFLICT (device_id) DO UPDATE SET monitor_id = excluded.monitor_id, "
           "interval_start = excluded.interval_start, "
           "challenger_monitor_id = excluded.challenger_monitor_id, "
           "challenger_intervals = excluded.challenger_intervals")
        .Bind(1, device_id)
        .Bind(2, state.monitor_id)
        .Bind(3, FormatUtc(state.interval_start))
        .Bind(4, state.challenger)
        .Bind(5, state.challenger_intervals)
        .Run();
  }

  // interval_end is the interval's start plus the fleet's recorded interval (300 s when none is
  // recorded).
  void InsertSighting(std::int64_t device_id, const std::string& interval,
                      const Sighting& computed) {
    db_->Prepare(
           "INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, "
           "interval_end, sighting_timestamp, margin_db, monitors_heard, calibrated_rssi, "
           "calibrated_margin_db) "
           "VALUES (?1, ?2, ?3, ?4, datetime(?4, '+' || coalesce((SELECT setting_value FROM "
           "fleet_settings WHERE setting_name = 'interval_seconds'), 300) || ' seconds'), "
           "?5, ?6, ?7, ?8, ?9)")
        .Bind(1, device_id)
        .Bind(2, computed.monitor_id)
        .Bind(3, computed.rssi)
        .Bind(4, interval)
        .Bind(5, FormatUtc(computed.scan_time))
        .Bind(6, computed.margin_db)
        .Bind(7, computed.monitors_heard)
        .Bind(8, computed.calibrated_tenths / 10.0)
        .Bind(9, Decibels(computed.calibrated_margin_tenths))
        .Run();
  }

  static std::optional<double> Decibels(std::optional<int> tenths) {
    if (!tenths) return std::nullopt;
    return *tenths / 10.0;
  }

  void ReplaceSighting(std::int64_t sighting_id, const Sighting& computed) {
    db_->Prepare(
           "UPDATE device_sightings SET monitor_id = ?2, rssi = ?3, sighting_timestamp = ?4, "
           "margin_db = ?5, monitors_heard = ?6, calibrated_rssi = ?7, "
           "calibrated_margin_db = ?8, interval_end = datetime(interval_start, '+' || "
           "coalesce((SELECT setting_value FROM fleet_settings "
           "WHERE setting_name = 'interval_seconds'), 300) || ' seconds') WHERE sighting_id = ?1")
        .Bind(1, sighting_id)
        .Bind(2, computed.monitor_id)
        .Bind(3, computed.rssi)
        .Bind(4, FormatUtc(computed.scan_time))
        .Bind(5, computed.margin_db)
        .Bind(6, computed.monitors_heard)
        .Bind(7, computed.calibrated_tenths / 10.0)
        .Bind(8, Decibels(computed.calibrated_margin_tenths))
        .Run();
  }

  // Writes the recomputed sighting unless the stored one is better (possible only when cleanup
  // removed staging rows the stored winner came from). Returns whether the row changed.
  bool MergeSighting(std::int64_t device_id, const MacAddress& mac, const std::string& interval,
                     const Sighting& computed) {
    const auto found = FindSighting(device_id, interval);
    if (!found) {
      InsertSighting(device_id, interval, computed);
      return true;
    }
    const auto& [sighting_id, stored] = *found;
    const auto as_reading = [&](const Sighting& x) {
      return StagedReading{.monitor_id = x.monitor_id,
                           .mac = mac,
                           .interval_start = {},
                           .rssi = x.rssi,
                           .scan_time = x.scan_time,
                           .offset_tenths = x.calibrated_tenths - x.rssi * 10};
    };
    if (Beats(as_reading(stored), as_reading(computed))) {
      // The kept row beats everything still in staging (its rows were cleaned up): keep it; only
      // the count of monitors that heard the device can grow.
      if (computed.monitors_heard <= stored.monitors_heard) return false;
      db_->Prepare("UPDATE device_sightings SET monitors_heard = ?2 WHERE sighting_id = ?1")
          .Bind(1, sighting_id)
          .Bind(2, computed.monitors_heard)
          .Run();
      return true;
    }
    // The recomputed winner is at least as good: take it with its exact margin and count.
    if (stored == computed) return false;
    ReplaceSighting(sighting_id, computed);
    return true;
  }

  // Sets ble_devices' class and vendor from the interval's payloads (blemon/device_class.h); NULL
  // keeps what is known.
  void StoreProfiles(UtcTime interval_start) {
    std::vector<Reading> readings;
    // Once per distinct payload and name, with its strongest RSSI: many monitors hearing one
    // advert give one row.
    auto rows = db_->Prepare(
        "SELECT mac_address, max(rssi), device_name, company_ids, manufacturer_data, "
        "service_uuids, appearance FROM sighting_staging WHERE interval_start = ?1 "
        "AND (company_ids IS NOT NULL OR manufacturer_data IS NOT NULL OR service_uuids IS NOT "
        "NULL OR appearance IS NOT NULL OR device_name <> '') GROUP BY mac_address, device_name, "
        "company_ids, manufacturer_data, service_uuids, appearance");
    rows.Bind(1, FormatUtc(interval_start));
    while (rows.Step()) {
      const auto mac = MacAddress::Parse(rows.Text(0));
      if (!mac) continue;  // ReadStagedInterval has refused such a row already
      readings.push_back(ProfileReading(*mac, static_cast<int>(rows.Int(1)), rows.OptionalText(2),
                                        PayloadColumns{.company_ids = rows.OptionalText(3),
                                                       .manufacturer_data = rows.OptionalText(4),
                                                       .service_uuids = rows.OptionalText(5),
                                                       .appearance = rows.OptionalInt(6),
                                                       .beacon_monitor_id = std::nullopt,
                                                       .beacon_tx_power = std::nullopt}));
    }
    for (const auto& [mac, profile] : ProfileDevices(readings)) {
      std::optional<std::string_view> device_class;
      if (profile.device_class != DeviceClass::kUnknown)
        device_class = ToString(profile.device_class);
      db_->Prepare(
             "UPDATE ble_devices SET device_class = coalesce(?1, device_class), "
             "vendor = coalesce(?2, vendor) WHERE mac_address = ?3")
          .Bind(1, device_class)
          .Bind(2, profile.vendor)
          .Bind(3, mac.ToString())
          .Run();
    }
  }

  // One row of StagedBatches' query (columns 3 on) as the reading that was staged. A payload
  // column damaged by hand is left out rather than failing the read.
  Reading ReadStagedReading(const Statement& rows) {
    const auto mac_text = rows.Text(3);
    const auto mac = MacAddress::Parse(mac_text);
    if (!mac) {
      throw Refused(
          fmt::format("SQLite database {}: sighting_staging holds '{}', not a MAC address",
                      db_->path(), mac_text));
    }
    Reading reading{.mac = *mac,
                    .address_class = AddressClassFromString(rows.OptionalText(4).value_or(""))
                                         .value_or(AddressClass::kPublic),
                    .rssi = static_cast<int>(rows.Int(5)),
                    .advert_count = static_cast<int>(rows.Int(6)),
                    .name = rows.OptionalText(7),
                    .tx_power = std::nullopt,
                    .company_ids = {},
                    .payload = {}};
    if (auto tx_power = rows.OptionalInt(8)) reading.tx_power = static_cast<int>(*tx_power);
    FromPayloadColumns(PayloadColumns{.company_ids = rows.OptionalText(9),
                                      .manufacturer_data = rows.OptionalText(10),
                                      .service_uuids = rows.OptionalText(11),
                                      .appearance = rows.OptionalInt(12),
                                      .beacon_monitor_id = rows.OptionalInt(13),
                                      .beacon_tx_power = rows.OptionalInt(14)},
                       reading);
    return reading;
  }

  std::unique_ptr<Connection> db_;
  // Resolution of private addresses to enrolled identities, its cache kept across intervals.
  AddressAttributor attributor_;
  RoomSettings rooms_;
};

}  // namespace

std::unique_ptr<Store> OpenStore(const std::string& path) {
  return std::make_unique<SqliteStore>(Connection::Open(path));
}

}  // namespace blemon::sqlite
