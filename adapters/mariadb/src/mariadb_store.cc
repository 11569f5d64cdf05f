#include "blemon/mariadb/mariadb_store.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

#include "address_links.h"
#include "blemon/calibration_store.h"
#include "blemon/device_class.h"
#include "blemon/errors.h"
#include "blemon/identity.h"
#include "blemon/payload_text.h"
#include "blemon/reading.h"
#include "connection.h"
#include "hourly_rollups.h"
#include "lease_row.h"
#include "migrations.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

// Statements are an enum plus a table of SQL text, prepared once per connection on first use
// (Kea's style). Every value travels as a parameter; timestamps as Unix seconds through
// FROM_UNIXTIME / UNIX_TIMESTAMP, which the UTC session time zone makes exact.
enum StatementId {
  kRegisterMonitor,
  kMonitorIdByName,
  kFleetIntervalInsert,
  kFleetIntervalSelect,
  kHeartbeat,
  kScanHealth,
  kStoreNow,
  kBatchInsert,
  kStagingInsert,
  kLeaseClaim,
  kLeaseMirrorClaim,
  kLeaseRelease,
  kLeaseMirrorRelease,
  kProcessInterval,
  kProcessCounts,
  kRecordRun,
  kPendingIntervals,
  kMarkMerged,
  kMarkCounts,
  kSightings,
  kDeviceName,
  kRoomInputs,
  kRoomHearing,
  kRoomWrite,
  kRoomStateWrite,
  kStagedRows,
  kIdentities,
  kStagedPrivateAddresses,
  kLearnKey,
  kLinkIdentityDevice,
  kProfileRows,
  kSetProfile,
  kSetPosition,
  kBeaconInsert,
  kStatementCount
};

constexpr std::array<std::string_view, kStatementCount> kSql = {
    // kRegisterMonitor: the original tool's statement, plus last_seen.
    "INSERT INTO monitors (monitor_name, location, description, is_active, last_seen) "
    "VALUES (?, ?, ?, TRUE, NOW()) ON DUPLICATE KEY UPDATE location = VALUES(location), "
    "description = VALUES(description), is_active = TRUE, last_seen = NOW()",
    // kMonitorIdByName
    "SELECT monitor_id FROM monitors WHERE monitor_name = ?",
    // kFleetIntervalInsert: first writer wins.
    "INSERT IGNORE INTO fleet_settings (setting_name, setting_value) "
    "VALUES ('interval_seconds', ?)",
    // kFleetIntervalSelect
    "SELECT setting_value FROM fleet_settings WHERE setting_name = 'interval_seconds'",
    // kHeartbeat
    "UPDATE monitors SET last_seen = NOW(), is_active = ? WHERE monitor_id = ?",
    // kScanHealth: last_seen kept as it is (the seed's ON UPDATE would move it); NULL parameters
    // leave the stored value.
    "UPDATE monitors SET last_seen = last_seen, scans_failed = scans_failed + ?, "
    "last_scan_error = COALESCE(?, last_scan_error), "
    "last_scan_error_at = COALESCE(FROM_UNIXTIME(?), last_scan_error_at), "
    "last_scan_ok_at = COALESCE(FROM_UNIXTIME(?), last_scan_ok_at), empty_scans_in_row = ? "
    "WHERE monitor_id = ?",
    // kStoreNow
    "SELECT UNIX_TIMESTAMP()",
    // kBatchInsert: the duplicate-key error on (monitor_id, batch_seq) is what makes resends
    // no-ops.
    "INSERT INTO staging_batches (monitor_id, batch_seq, interval_start, scan_time, row_count) "
    "VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?)",
    // kStagingInsert: executed with array binding, one round trip per chunk of rows.
    "INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, interval_start, "
    "scan_timestamp, batch_seq, advert_count, address_class, tx_power, company_ids, "
    "manufacturer_data, service_uuids, appearance, beacon_monitor_id, beacon_tx_power) "
    "VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    // kLeaseClaim: the one conditional UPDATE. The row lock serialises simultaneous claimers and
    // each re-evaluates WHERE against the winner's committed row, so exactly one wins. A live
    // holder renewing keeps its epoch; anyone else (or a holder whose lease ran out) gets epoch+1.
    // epoch and granted_at read the old holder, so they come before holder_monitor_id.
    "UPDATE processor_lease SET "
    "epoch = IF(holder_monitor_id <=> ? AND expires_at > NOW(), epoch, epoch + 1), "
    "granted_at = IF(holder_monitor_id <=> ? AND expires_at > NOW(), granted_at, NOW()), "
    "holder_monitor_id = ?, renewed_at = NOW(), expires_at = NOW() + INTERVAL ? SECOND, "
    "claims = claims + 1 "
    "WHERE lease_id = 1 AND (holder_monitor_id IS NULL OR holder_monitor_id = ? "
    "OR expires_at IS NULL OR expires_at <= NOW())",
    // kLeaseMirrorClaim: the seed's columns stay true to the lease. last_seen = last_seen stops
    // the ON UPDATE clause from making the previous holder look alive.
    "UPDATE monitors SET is_processor = (monitor_id = ?), "
    "processor_claimed_at = IF(monitor_id = ?, NOW(), NULL), last_seen = last_seen "
    "WHERE is_processor = TRUE OR monitor_id = ?",
    // kLeaseRelease: the epoch stays, so the next holder's is higher.
    "UPDATE processor_lease SET holder_monitor_id = NULL, expires_at = NULL, renewed_at = NOW() "
    "WHERE lease_id = 1 AND holder_monitor_id = ? AND epoch = ?",
    // kLeaseMirrorRelease
    "UPDATE monitors SET is_processor = FALSE, processor_claimed_at = NULL, last_seen = last_seen "
    "WHERE monitor_id = ?",
    // kProcessInterval: the schema's procedure, shared with the original tool's entry point.
    "CALL blemon_process_interval(FROM_UNIXTIME(?), @blemon_rows, @blemon_changed, "
    "@blemon_added)",
    // kProcessCounts
    "SELECT @blemon_rows, @blemon_changed, @blemon_added",
    // kRecordRun: the run, in the processing transaction (the lease row is locked by CheckFence).
    "INSERT INTO processing_runs (interval_start, monitor_id, processed_at, duration_ms, "
    "staging_rows) VALUES (FROM_UNIXTIME(?), ?, NOW(), ?, ?)",
    // kPendingIntervals: reads only the unprocessed rows' entries of idx_pending. Since schema
    // version 12 a merged interval's rows stay unprocessed until the marker gets to them, so an
    // interval is pending only if one of its unprocessed rows is outside the marker's queue
    // (marked_through, merged_through] of staging_merges, or it has no queue.
    "SELECT UNIX_TIMESTAMP(p.interval_start) FROM ("
    "SELECT interval_start, MIN(staging_id) AS oldest, MAX(staging_id) AS newest "
    "FROM sighting_staging FORCE INDEX (idx_pending) "
    "WHERE processed = FALSE AND interval_start <= FROM_UNIXTIME(?) GROUP BY interval_start) p "
    "LEFT JOIN staging_merges m ON m.interval_start = p.interval_start "
    "WHERE m.interval_start IS NULL OR p.oldest <= m.marked_through "
    "OR p.newest > m.merged_through ORDER BY p.interval_start",
    // kMarkMerged: one part of the deferred marking (schema version 12), in its own transaction.
    "CALL blemon_mark_merged(@blemon_marked, @blemon_more)",
    // kMarkCounts
    "SELECT @blemon_marked, @blemon_more",
    // kSightings
    "SELECT b.mac_address, UNIX_TIMESTAMP(ds.interval_start), ds.monitor_id, ds.rssi, "
    "UNIX_TIMESTAMP(ds.sighting_timestamp), ds.margin_db, ds.monitors_heard, "
    "CAST(ROUND(ds.calibrated_rssi * 10) AS SIGNED), "
    "CAST(ROUND(ds.calibrated_margin_db * 10) AS SIGNED), ds.room_monitor_id, ds.confidence "
    "FROM device_sightings ds JOIN ble_devices b ON b.device_id = ds.device_id "
    "WHERE ds.interval_start >= FROM_UNIXTIME(?) AND ds.interval_start < FROM_UNIXTIME(?) "
    "ORDER BY ds.interval_start, b.mac_address",
    // kDeviceName
    "SELECT device_name FROM ble_devices WHERE mac_address = ?",
    // kRoomInputs: the interval's sightings (the columns ReadSighting reads, then the decided
    // room and confidence) with each device's room state.
    "SELECT ds.monitor_id, ds.rssi, UNIX_TIMESTAMP(ds.sighting_timestamp), ds.margin_db, "
    "ds.monitors_heard, CAST(ROUND(ds.calibrated_rssi * 10) AS SIGNED), "
    "CAST(ROUND(ds.calibrated_margin_db * 10) AS SIGNED), ds.device_id, ds.room_monitor_id, "
    "ds.confidence, r.monitor_id, UNIX_TIMESTAMP(r.interval_start), r.challenger_monitor_id, "
    "r.challenger_intervals "
    "FROM device_sightings ds LEFT JOIN device_rooms r ON r.device_id = ds.device_id "
    "WHERE ds.interval_start = FROM_UNIXTIME(?)",
    // kRoomHearing: each monitor's best calibrated RSSI (tenths) per device in the interval.
    "SELECT b.device_id, s.monitor_id, "
    "MAX(s.rssi * 10 + COALESCE(ROUND(m.rssi_offset_db * 10), 0)) "
    "FROM sighting_staging s JOIN ble_devices b ON b.mac_address = s.mac_address "
    "LEFT JOIN monitors m ON m.monitor_id = s.monitor_id "
    "WHERE s.interval_start = FROM_UNIXTIME(?) GROUP BY b.device_id, s.monitor_id",
    // kRoomWrite
    "UPDATE device_sightings SET room_monitor_id = ?, confidence = ? "
    "WHERE device_id = ? AND interval_start = FROM_UNIXTIME(?)",
    // kRoomStateWrite
    "INSERT INTO device_rooms (device_id, monitor_id, interval_start, challenger_monitor_id, "
    "challenger_intervals) VALUES (?, ?, FROM_UNIXTIME(?), ?, ?) ON DUPLICATE KEY UPDATE "
    "monitor_id = VALUES(monitor_id), interval_start = VALUES(interval_start), "
    "challenger_monitor_id = VALUES(challenger_monitor_id), "
    "challenger_intervals = VALUES(challenger_intervals)",
    // kStagedRows: an interval's staging rows in batch order; the original tool's rows have no
    // batch_seq and no advert_count.
    "SELECT monitor_id, COALESCE(batch_seq, 0), UNIX_TIMESTAMP(scan_timestamp), mac_address, "
    "address_class, rssi, COALESCE(advert_count, 0), device_name, tx_power, company_ids, "
    "manufacturer_data, service_uuids, appearance, beacon_monitor_id, beacon_tx_power "
    "FROM sighting_staging WHERE interval_start = FROM_UNIXTIME(?) "
    "ORDER BY monitor_id, COALESCE(batch_seq, 0), scan_timestamp, staging_id",
    // kIdentities: every enrolled key with its device row's MAC (schema version 5).
    "SELECT i.identity_id, HEX(i.irk), i.byte_order_known, b.mac_address FROM identities i "
    "LEFT JOIN ble_devices b ON b.device_id = i.device_id ORDER BY i.identity_id",
    // kStagedPrivateAddresses: the interval's resolvable private addresses not yet attributed,
    // read from idx_interval_resolved alone (schema/mariadb/005_identities.sql).
    "SELECT DISTINCT mac_address FROM sighting_staging FORCE INDEX (idx_interval_resolved) "
    "WHERE interval_start = FROM_UNIXTIME(?) AND resolved_mac IS NULL "
    "AND address_class = 'resolvable-private'",
    // kLearnKey: the byte order that resolved, pinned.
    "UPDATE identities SET irk = UNHEX(?), byte_order_known = TRUE WHERE identity_id = ?",
    // kLinkIdentityDevice: after the merge has made the row of the identity's first address.
    "UPDATE identities SET device_id = (SELECT device_id FROM ble_devices WHERE mac_address = ?) "
    "WHERE identity_id = ?",
    // kProfileRows: what the interval's rows can tell of each device's class and vendor, once per
    // distinct payload and name with its strongest RSSI (a hundred monitors hearing one advert
    // give one row, not a hundred).
    "SELECT mac_address, MAX(rssi), device_name, company_ids, manufacturer_data, service_uuids, "
    "appearance FROM sighting_staging WHERE interval_start = FROM_UNIXTIME(?) "
    "AND (company_ids IS NOT NULL OR manufacturer_data IS NOT NULL OR service_uuids IS NOT NULL "
    "OR appearance IS NOT NULL OR device_name <> '') "
    "GROUP BY mac_address, device_name, company_ids, manufacturer_data, service_uuids, "
    "appearance",
    // kSetProfile: the schema's procedure (definer's rights: the processor account may not
    // UPDATE ble_devices itself).
    "CALL blemon_set_device_profile(?, ?, ?)",
    // kSetPosition: monitor.position_x/y, metres, as text so no digit is lost on the way.
    "UPDATE monitors SET position_x = CAST(? AS DOUBLE), position_y = CAST(? AS DOUBLE), "
    "last_seen = last_seen WHERE monitor_name = ?",
    // kBeaconInsert: another monitor's beacon (schema version 13); the key makes a second write
    // a no-op that keeps the strongest reading.
    "INSERT INTO beacon_observations (receiver_monitor_id, batch_seq, sender_monitor_id, "
    "interval_start, rssi, sender_tx_power, observed_at) "
    "VALUES (?, ?, ?, FROM_UNIXTIME(?), ?, ?, FROM_UNIXTIME(?)) "
    "ON DUPLICATE KEY UPDATE rssi = GREATEST(rssi, VALUES(rssi))",
};

// A Sighting from monitor_id, rssi, UNIX_TIMESTAMP(sighting_timestamp), margin_db,
// monitors_heard and the calibrated rssi and margin in tenths, starting at `first`. A row from
// before version 6 has no calibrated values: it was chosen with offset 0, so they are the raw ones.
Sighting ReadSighting(const Row& r, std::size_t first) {
  Sighting s;
  s.monitor_id = r.Int(first);
  s.rssi = static_cast<int>(r.Int(first + 1));
  s.scan_time = r.Time(first + 2);
  if (!r.IsNull(first + 3)) s.margin_db = static_cast<int>(r.Int(first + 3));
  s.monitors_heard = static_cast<int>(r.Int(first + 4));
  if (r.IsNull(first + 5)) {
    s.calibrated_tenths = s.rssi * 10;
    if (s.margin_db) s.calibrated_margin_tenths = *s.margin_db * 10;
  } else {
    s.calibrated_tenths = static_cast<int>(r.Int(first + 5));
    if (!r.IsNull(first + 6)) s.calibrated_margin_tenths = static_cast<int>(r.Int(first + 6));
  }
  return s;
}

Value OrNull(std::optional<long long> v) { return v ? Value(*v) : Value(std::monostate{}); }

// Rows per bulk execution: large enough for one round trip per ordinary scan, small enough that
// 200-character four-byte names stay far below the default 16 MB max_allowed_packet.
constexpr std::size_t kBulkChunk = 4096;

// The Store's statements, prepared once per session.
Statement& Get(Session& session, StatementId id) { return session.Prepared(kSql[id]); }

class MariaDbStore final : public Store {
 public:
  explicit MariaDbStore(DatabaseSettings settings)
      : runner_(std::move(settings), /*require_schema=*/true) {}

  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    return runner_.Run("registering monitor " + info.name, [&](Session& s) {
      Get(s, kRegisterMonitor).Execute({info.name, info.location, info.description});
      if (info.position) {
        Get(s, kSetPosition)
            .Execute({fmt::format("{}", info.position->x), fmt::format("{}", info.position->y),
                      info.name});
      }
      const auto rows = Get(s, kMonitorIdByName).Query({info.name});
      if (rows.empty()) throw Refused("monitor " + info.name + " vanished right after registering");
      return static_cast<MonitorId>(rows[0].Int(0));
    });
  }

  Seconds FleetInterval(Seconds configured) override {
    return runner_.Run("reading the fleet interval", [&](Session& s) {
      Get(s, kFleetIntervalInsert).Execute({std::to_string(configured.count())});
      const auto rows = Get(s, kFleetIntervalSelect).Query({});
      if (rows.empty()) return configured;
      return Seconds(rows[0].Int(0));
    });
  }

  void Heartbeat(MonitorId monitor, bool active) override {
    runner_.Run("sending a heartbeat", [&](Session& s) {
      Get(s, kHeartbeat).Execute({active ? 1LL : 0LL, static_cast<long long>(monitor)});
      return 0;
    });
  }

  UtcTime StoreNow() override {
    return runner_.Run("reading the database's clock",
                       [&](Session& s) { return Get(s, kStoreNow).QueryOne({}).Time(0); });
  }

  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    const auto time_or_null = [](const std::optional<UtcTime>& t) -> Value {
      if (!t) return std::monostate{};
      return ToDb(*t);
    };
    runner_.Run("recording the scan health", [&](Session& s) {
      Get(s, kScanHealth)
          .Execute({static_cast<long long>(update.new_failures),
                    update.last_error ? Value(*update.last_error) : Value(std::monostate{}),
                    time_or_null(update.last_error_at), time_or_null(update.last_ok_at),
                    static_cast<long long>(update.empty_scans_in_row),
                    static_cast<long long>(monitor)});
      return 0;
    });
  }

  bool StageBatch(const Batch& batch) override {
    return runner_.Run(
        fmt::format("staging batch {} of monitor {}", batch.batch_seq, batch.monitor_id),
        [&](Session& s) {
          Transaction tx(s.connection);
          try {
            Get(s, kBatchInsert)
                .Execute({static_cast<long long>(batch.monitor_id),
                          static_cast<long long>(batch.batch_seq), ToDb(batch.interval_start),
                          ToDb(batch.scan_time), static_cast<long long>(batch.readings.size())});
          } catch (const DbError& e) {
            if (e.code() == ER_DUP_ENTRY) return false;  // stored before: a resend
            throw;
          }
          for (const BatchBeacon& beacon : BeaconsOf(batch)) {
            Get(s, kBeaconInsert)
                .Execute({static_cast<long long>(batch.monitor_id),
                          static_cast<long long>(batch.batch_seq),
                          static_cast<long long>(beacon.sender), ToDb(batch.interval_start),
                          static_cast<long long>(beacon.rssi),
                          static_cast<long long>(beacon.sender_tx_power), ToDb(batch.scan_time)});
          }
          // A monitor's beacon is not a device's reading: it stays out of sighting_staging.
          if (std::ranges::any_of(batch.readings, IsMonitorBeacon)) {
            Batch devices = batch;
            std::erase_if(devices.readings, IsMonitorBeacon);
            InsertReadings(Get(s, kStagingInsert), devices);
          } else {
            InsertReadings(Get(s, kStagingInsert), batch);
          }
          tx.Commit();
          return true;
        });
  }

  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    return runner_.Run("claiming the processor lease", [&](Session& s) {
      const auto id = static_cast<long long>(monitor);
      {
        Transaction tx(s.connection);
        if (Get(s, kLeaseClaim).Execute({id, id, id, static_cast<long long>(ttl.count()), id}) ==
            1) {
          Get(s, kLeaseMirrorClaim).Execute({id, id, id});
        }
        tx.Commit();
      }
      // The answer is the lease as committed, read after the commit (a causal read on Galera),
      // not the UPDATE's row count: on a Galera cluster two claimers on two nodes both see their
      // UPDATE change the row, and one was seen told "granted" although the other's claim is the
      // one the cluster kept (its processing was then fenced off by the epoch check).
      const auto rows = s.Prepared(kLeaseReadSql).Query({});
      LeaseAnswer answer;
      if (rows.empty()) return answer;
      const LeaseStatus status = LeaseFromRow(rows[0]);
      answer.granted = status.holder == monitor && status.expires_at.has_value() &&
                       *status.expires_at > status.store_now;
      answer.epoch = status.epoch;
      answer.holder = status.holder;
      answer.holder_name = status.holder_name;
      answer.remaining = Seconds(rows[0].Int(6));
      return answer;
    });
  }

  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    runner_.Run("releasing the processor lease", [&](Session& s) {
      const auto id = static_cast<long long>(monitor);
      Transaction tx(s.connection);
      if (Get(s, kLeaseRelease).Execute({id, static_cast<long long>(epoch)}) == 1) {
        Get(s, kLeaseMirrorRelease).Execute({id});
      }
      tx.Commit();
      return 0;
    });
  }

  LeaseStatus Lease() override {
    return runner_.Run("reading the processor lease",
                       [&](Session& s) { return ReadLeaseRow(s).value_or(LeaseStatus{}); });
  }

  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    std::vector<UtcTime> intervals = runner_.Run("listing pending intervals", [&](Session& s) {
      std::vector<UtcTime> pending;
      for (const Row& r : Get(s, kPendingIntervals).Query({ToDb(latest_due)})) {
        pending.push_back(r.Time(0));
      }
      return pending;
    });
    // A processor that died between an interval's commit and its marking left rows queued; the
    // next processor run finishes them even if no new interval comes (one round trip when none).
    MarkMergedRows();
    return intervals;
  }

  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    const ProcessOutcome merged = runner_.Run(
        fmt::format("processing interval {}", UtcLabel(interval_start)), [&](Session& s) {
          const auto started = std::chrono::steady_clock::now();
          Transaction tx(s.connection);
          CheckFence(s, monitor, epoch, fmt::format("interval {}", UtcLabel(interval_start)));
          const auto assignments = AttributeIdentities(s, interval_start);
          {
            // The procedure writes only this interval's sightings: their hour is marked here
            // and recomputed below, so the triggers need not mark it row by row.
            const RollupHourScope rollup_hour(s, interval_start);
            Get(s, kProcessInterval).Execute({ToDb(interval_start)});
          }
          for (const auto& assignment : assignments) {
            if (!assignment.device_is_new) continue;
            Get(s, kLinkIdentityDevice)
                .Execute({assignment.device_mac.ToString(),
                          static_cast<long long>(assignment.identity_id)});
          }
          const auto counts = Get(s, kProcessCounts).Query({});
          ProcessOutcome outcome;
          if (!counts.empty()) {
            outcome.staging_rows = static_cast<int>(counts[0].Int(0));
            outcome.sightings_changed = static_cast<int>(counts[0].Int(1));
            outcome.devices_added = static_cast<int>(counts[0].Int(2));
          }
          DecideRooms(s, interval_start);
          StoreProfiles(s, interval_start);
          // In the same transaction, so a failover never leaves an interval processed but
          // unlinked.
          outcome.links_added = LinkAddresses(s, interval_start);
          // After everything that may mark hours stale (the procedure's sightings, new links,
          // changed address classes), so the interval's hour and any late row's are exact at
          // commit.
          RefreshStaleRollups(s, kRollupHoursPerInterval);
          Get(s, kRecordRun)
              .Execute({ToDb(interval_start), static_cast<long long>(monitor),
                        static_cast<long long>(MillisecondsSince(started)),
                        static_cast<long long>(outcome.staging_rows)});
          tx.Commit();
          return outcome;
        });
    MarkMergedRows();
    return merged;
  }

  // The deferred marking (schema version 12): the interval's results are committed and readable;
  // now its staging rows, and any a previous processor left unmarked, are marked processed one
  // part (20,000 ids) per short transaction, so no transaction holds 200,000 row locks and a
  // crash in between loses nothing: whoever processes next resumes from the committed cursor.
  void MarkMergedRows() {
    runner_.Run("marking merged staging rows processed", [&](Session& s) {
      bool more = true;
      while (more) {
        Transaction tx(s.connection);
        Get(s, kMarkMerged).Execute({});
        const auto counts = Get(s, kMarkCounts).Query({});
        tx.Commit();
        more = !counts.empty() && counts[0].Int(1) != 0;
      }
      return 0;
    });
  }

  std::vector<StoredSighting> Sightings(UtcTime from, UtcTime to) override {
    return runner_.Run("reading sightings", [&](Session& s) {
      std::vector<StoredSighting> result;
      for (const Row& r : Get(s, kSightings).Query({ToDb(from), ToDb(to)})) {
        auto mac = MacAddress::Parse(r.Text(0));
        if (!mac) continue;  // a malformed MAC written by hand or by the original tool
        const auto& confidence = r.OptionalText(10);
        result.push_back(
            StoredSighting{.mac = *mac,
                           .interval_start = r.Time(1),
                           .sighting = ReadSighting(r, 2),
                           .room_monitor_id = r.OptionalInt(9),
                           .confidence = confidence ? ParseConfidence(*confidence) : std::nullopt});
      }
      return result;
    });
  }

  std::optional<std::optional<std::string>> DeviceName(const MacAddress& mac) override {
    return runner_.Run("reading a device name",
                       [&](Session& s) -> std::optional<std::optional<std::string>> {
                         const auto rows = Get(s, kDeviceName).Query({mac.ToString()});
                         if (rows.empty()) return std::nullopt;
                         return rows[0].OptionalText(0);
                       });
  }

  void ConfigureRooms(const RoomSettings& settings) override { rooms_ = settings; }

  std::vector<Batch> StagedBatches(UtcTime interval_start) override {
    return runner_.Run("reading staged readings", [&](Session& s) {
      std::vector<Batch> batches;
      for (const Row& r : Get(s, kStagedRows).Query({ToDb(interval_start)})) {
        const auto mac = MacAddress::Parse(r.Text(3));
        if (!mac) continue;  // a malformed MAC written by hand or by the original tool
        const MonitorId monitor = r.Int(0);
        const std::int64_t seq = r.Int(1);
        const UtcTime scan_time = r.Time(2);
        if (batches.empty() || batches.back().monitor_id != monitor ||
            batches.back().batch_seq != seq || batches.back().scan_time != scan_time) {
          batches.push_back(Batch{.monitor_id = monitor,
                                  .batch_seq = seq,
                                  .interval_start = interval_start,
                                  .scan_time = scan_time,
                                  .readings = {}});
        }
        batches.back().readings.push_back(StagedReading(*mac, r));
      }
      return batches;
    });
  }

 private:
  void InsertReadings(Statement& statement, const Batch& batch);
  std::vector<IdentityAssignment> AttributeIdentities(Session& s, UtcTime interval_start);

  // Resolution of private addresses to enrolled identities, its cache kept across intervals.
  AddressAttributor attributor_;

  // After the procedure, in its transaction: each device's stable room and the sighting's
  // confidence (blemon/rooms.h DecideRoom), written where they change.
  void DecideRooms(Session& s, UtcTime interval_start) {
    const long long interval = ToDb(interval_start);
    std::map<long long, std::map<MonitorId, int>> hearing;
    for (const Row& r : Get(s, kRoomHearing).Query({interval})) {
      hearing[r.Int(0)][r.Int(1)] = static_cast<int>(r.Int(2));
    }
    for (const Row& r : Get(s, kRoomInputs).Query({interval})) {
      const long long device = r.Int(7);
      RoomInput input{.sighting = ReadSighting(r, 0),
                      .calibrated_by_monitor = std::move(hearing[device]),
                      .decided_room = r.OptionalInt(8),
                      .state = std::nullopt};
      if (!r.IsNull(10)) {
        input.state = RoomState{.monitor_id = r.Int(10),
                                .interval_start = r.Time(11),
                                .challenger = r.OptionalInt(12),
                                .challenger_intervals = static_cast<int>(r.Int(13))};
      }
      // The kept winner may be one whose staging rows were cleaned up: it counts as heard.
      input.calibrated_by_monitor.try_emplace(input.sighting.monitor_id,
                                              input.sighting.calibrated_tenths);
      const RoomDecision d = DecideRoom(input, interval_start, rooms_);
      const std::string confidence(ToString(d.confidence));
      if (input.decided_room != d.room_monitor_id || r.OptionalText(9) != confidence) {
        Get(s, kRoomWrite)
            .Execute({static_cast<long long>(d.room_monitor_id), confidence, device, interval});
      }
      if (d.new_state) {
        Get(s, kRoomStateWrite)
            .Execute({device, static_cast<long long>(d.new_state->monitor_id),
                      ToDb(d.new_state->interval_start), OrNull(d.new_state->challenger),
                      static_cast<long long>(d.new_state->challenger_intervals)});
      }
    }
  }

  // Sets ble_devices' class and vendor from the interval's payloads (blemon/device_class.h), in
  // the processing transaction. C++ rather than SQL: the rules are the domain's, one for both
  // stores.
  static void StoreProfiles(Session& s, UtcTime interval_start) {
    std::vector<Reading> readings;
    for (const Row& r : Get(s, kProfileRows).Query({ToDb(interval_start)})) {
      const auto mac = MacAddress::Parse(r.Text(0));
      if (!mac) continue;
      readings.push_back(ProfileReading(*mac, static_cast<int>(r.Int(1)), r.OptionalText(2),
                                        PayloadColumns{.company_ids = r.OptionalText(3),
                                                       .manufacturer_data = r.OptionalText(4),
                                                       .service_uuids = r.OptionalText(5),
                                                       .appearance = r.OptionalInt(6),
                                                       .beacon_monitor_id = std::nullopt,
                                                       .beacon_tx_power = std::nullopt}));
    }
    for (const auto& [mac, profile] : ProfileDevices(readings)) {
      const Value device_class = profile.device_class == DeviceClass::kUnknown
                                     ? Value(std::monostate{})
                                     : Value(std::string(ToString(profile.device_class)));
      const Value vendor =
          profile.vendor ? Value(std::string(*profile.vendor)) : Value(std::monostate{});
      Get(s, kSetProfile).Execute({mac.ToString(), device_class, vendor});
    }
  }

  // One row of kStagedRows as the reading that was staged. A payload column damaged by hand is
  // left out rather than failing the read.
  static Reading StagedReading(const MacAddress& mac, const Row& r) {
    Reading reading{
        .mac = mac,
        .address_class = AddressClassFromString(r.Text(4)).value_or(AddressClass::kPublic),
        .rssi = static_cast<int>(r.Int(5)),
        .advert_count = static_cast<int>(r.Int(6)),
        .name = r.OptionalText(7),
        .tx_power = std::nullopt,
        .company_ids = {},
        .payload = {}};
    if (auto tx_power = r.OptionalInt(8)) reading.tx_power = static_cast<int>(*tx_power);
    FromPayloadColumns(PayloadColumns{.company_ids = r.OptionalText(9),
                                      .manufacturer_data = r.OptionalText(10),
                                      .service_uuids = r.OptionalText(11),
                                      .appearance = r.OptionalInt(12),
                                      .beacon_monitor_id = r.OptionalInt(13),
                                      .beacon_tx_power = r.OptionalInt(14)},
                       reading);
    return reading;
  }

  // Every unit of work run here is idempotent, as the runner's retry needs: batches by their
  // key, processing by the merge rules, claims by the lease row.
  SessionRunner runner_;
  RoomSettings rooms_;
};

constexpr std::size_t kStagingParameters = 16;

void BindStrings(MYSQL_BIND& bind, std::vector<const char*>& ptrs, std::vector<unsigned long>& lens,
                 char* indicators) {
  bind.buffer_type = MYSQL_TYPE_STRING;
  bind.buffer = ptrs.data();
  bind.length = lens.data();
  bind.u.indicator = indicators;
}

void BindNumbers(MYSQL_BIND& bind, enum_field_types type, void* data, char* indicators) {
  bind.buffer_type = type;
  bind.buffer = data;
  bind.u.indicator = indicators;
}

// The payload columns of kStagingInsert (its last six parameters) for array binding: three
// nullable texts and three nullable integers per row. Must outlive the execution, not be copied.
class PayloadBinds {
 public:
  explicit PayloadBinds(std::size_t n) {
    for (auto& column : texts_) column = TextColumn(n);
    for (auto& column : numbers_) column = NumberColumn(n);
  }
  PayloadBinds(const PayloadBinds&) = delete;
  PayloadBinds& operator=(const PayloadBinds&) = delete;

  void Set(std::size_t i, PayloadColumns columns) {
    std::optional<std::string>* texts[] = {&columns.company_ids, &columns.manufacturer_data,
                                           &columns.service_uuids};
    for (std::size_t c = 0; c < texts_.size(); ++c) texts_[c].Set(i, std::move(*texts[c]));
    const std::optional<std::int64_t> numbers[] = {columns.appearance, columns.beacon_monitor_id,
                                                   columns.beacon_tx_power};
    for (std::size_t c = 0; c < numbers_.size(); ++c) numbers_[c].Set(i, numbers[c]);
  }
  // Fills six binds: company_ids, manufacturer_data, service_uuids, appearance,
  // beacon_monitor_id, beacon_tx_power.
  void Bind(MYSQL_BIND* binds) {
    for (auto& column : texts_) {
      BindStrings(*binds++, column.ptrs, column.lens, column.indicators.data());
    }
    for (auto& column : numbers_) {
      BindNumbers(*binds++, MYSQL_TYPE_LONGLONG, column.values.data(), column.indicators.data());
    }
  }

 private:
  struct TextColumn {
    TextColumn() = default;
    explicit TextColumn(std::size_t n) : values(n), ptrs(n), lens(n), indicators(n) {}
    void Set(std::size_t i, std::optional<std::string> value) {
      indicators[i] = value ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
      values[i] = std::move(value).value_or("");
      ptrs[i] = values[i].c_str();
      lens[i] = values[i].size();
    }
    std::vector<std::string> values;
    std::vector<const char*> ptrs;
    std::vector<unsigned long> lens;
    std::vector<char> indicators;
  };
  struct NumberColumn {
    NumberColumn() = default;
    explicit NumberColumn(std::size_t n) : values(n), indicators(n) {}
    void Set(std::size_t i, std::optional<std::int64_t> value) {
      indicators[i] = value ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
      values[i] = static_cast<long long>(value.value_or(0));
    }
    std::vector<long long> values;
    std::vector<char> indicators;
  };
  std::array<TextColumn, 3> texts_;
  std::array<NumberColumn, 3> numbers_;
};

// One chunk of a batch's readings as kStagingInsert's parameters for array binding: column-wise
// arrays, one per parameter, strings as pointer arrays with lengths, NULLs by indicator. The
// pointers point into this object, so it must outlive the execution and must not be copied.
class StagingColumns {
 public:
  StagingColumns(const Batch& batch, std::size_t first, std::size_t n)
      : macs_(n),
        names_(n),
        mac_ptrs_(n),
        name_ptrs_(n),
        class_ptrs_(n),
        mac_lens_(n),
        name_lens_(n),
        class_lens_(n),
        name_ind_(n),
        tx_ind_(n),
        monitor_(n, batch.monitor_id),
        interval_(n, ToDb(batch.interval_start)),
        scan_(n, ToDb(batch.scan_time)),
        seq_(n, batch.batch_seq),
        rssi_(n),
        adverts_(n),
        tx_power_(n),
        payload_(n) {
    for (std::size_t i = 0; i < n; ++i) Set(i, batch.readings[first + i]);
  }
  StagingColumns(const StagingColumns&) = delete;
  StagingColumns& operator=(const StagingColumns&) = delete;

  // The binds, in the order of kStagingInsert's parameters.
  std::array<MYSQL_BIND, kStagingParameters> Binds() {
    std::array<MYSQL_BIND, kStagingParameters> b{};
    BindStrings(b[0], mac_ptrs_, mac_lens_, nullptr);
    BindStrings(b[1], name_ptrs_, name_lens_, name_ind_.data());
    BindNumbers(b[2], MYSQL_TYPE_LONGLONG, monitor_.data(), nullptr);
    BindNumbers(b[3], MYSQL_TYPE_LONG, rssi_.data(), nullptr);
    BindNumbers(b[4], MYSQL_TYPE_LONGLONG, interval_.data(), nullptr);
    BindNumbers(b[5], MYSQL_TYPE_LONGLONG, scan_.data(), nullptr);
    BindNumbers(b[6], MYSQL_TYPE_LONGLONG, seq_.data(), nullptr);
    BindNumbers(b[7], MYSQL_TYPE_LONG, adverts_.data(), nullptr);
    BindStrings(b[8], class_ptrs_, class_lens_, nullptr);
    BindNumbers(b[9], MYSQL_TYPE_LONG, tx_power_.data(), tx_ind_.data());
    payload_.Bind(b.data() + 10);
    return b;
  }

 private:
  void Set(std::size_t i, const Reading& r) {
    macs_[i] = r.mac.ToString();
    mac_ptrs_[i] = macs_[i].c_str();
    mac_lens_[i] = macs_[i].size();
    // Names are sanitised by the scanner already; doing it again (idempotent) guarantees no
    // batch is refused forever for a name the column cannot hold.
    std::optional<std::string> name = r.name ? SanitizeDeviceName(*r.name) : std::nullopt;
    name_ind_[i] = name ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
    if (name) names_[i] = std::move(*name);
    name_ptrs_[i] = names_[i].c_str();
    name_lens_[i] = names_[i].size();
    const std::string_view cls = ToString(r.address_class);
    class_ptrs_[i] = cls.data();
    class_lens_[i] = cls.size();
    rssi_[i] = r.rssi;
    adverts_[i] = r.advert_count;
    tx_ind_[i] = r.tx_power ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
    tx_power_[i] = r.tx_power.value_or(0);
    payload_.Set(i, ToPayloadColumns(r));
  }
  std::vector<std::string> macs_, names_;
  std::vector<const char*> mac_ptrs_, name_ptrs_, class_ptrs_;
  std::vector<unsigned long> mac_lens_, name_lens_, class_lens_;
  std::vector<char> name_ind_, tx_ind_;
  std::vector<long long> monitor_, interval_, scan_, seq_;
  std::vector<int> rssi_, adverts_, tx_power_;
  PayloadBinds payload_;
};

// Attributes the interval's resolvable private addresses to enrolled identities before
// blemon_process_interval merges it, in the same transaction: sets sighting_staging.resolved_mac
// (the raw address stays in mac_address) and pins keys whose byte order resolved. Returns what it
// assigned, so the caller can link new device rows after the merge. With no identity enrolled it
// costs one query of an empty table.
std::vector<IdentityAssignment> MariaDbStore::AttributeIdentities(Session& s,
                                                                  UtcTime interval_start) {
  std::vector<EnrolledIdentity> identities;
  for (const Row& r : Get(s, kIdentities).Query({})) {
    const auto irk = Irk::Parse(r.Text(1));
    if (!irk) throw Refused("identities holds a key that is not 16 bytes; re-add that identity");
    EnrolledIdentity identity{
        .known = {.identity_id = r.Int(0), .irk = *irk, .byte_order_known = r.Bool(2)},
        .device_mac = std::nullopt};
    if (r.OptionalText(3)) identity.device_mac = MacAddress::Parse(*r.OptionalText(3));
    identities.push_back(std::move(identity));
  }
  std::vector<MacAddress> addresses;
  if (!identities.empty()) {
    for (const Row& r : Get(s, kStagedPrivateAddresses).Query({ToDb(interval_start)})) {
      if (auto mac = MacAddress::Parse(r.Text(0))) addresses.push_back(*mac);
    }
  }
  auto assignments = AssignAddresses(attributor_, identities, addresses, interval_start);
  for (const auto& assignment : assignments) {
    if (assignment.learned_key) {
      Get(s, kLearnKey)
          .Execute(
              {assignment.learned_key->ToHex(), static_cast<long long>(assignment.identity_id)});
    }
    // The addresses are canonical MACs (parsed above), so they are safe to splice into the list.
    std::string list;
    for (const auto& address : assignment.addresses) {
      list += fmt::format("{}'{}'", list.empty() ? "" : ", ", address.ToString());
    }
    Statement attribute(
        s.connection.raw(),
        fmt::format("UPDATE sighting_staging FORCE INDEX (idx_mac_interval) SET resolved_mac = ? "
                    "WHERE interval_start = FROM_UNIXTIME(?) AND resolved_mac IS NULL "
                    "AND mac_address IN ({})",
                    list));
    attribute.Execute({assignment.device_mac.ToString(), ToDb(interval_start)});
  }
  return assignments;
}

void MariaDbStore::InsertReadings(Statement& statement, const Batch& batch) {
  MYSQL_STMT* stmt = statement.raw();
  const std::size_t total = batch.readings.size();
  for (std::size_t first = 0; first < total; first += kBulkChunk) {
    const std::size_t n = std::min(kBulkChunk, total - first);
    StagingColumns columns(batch, first, n);
    std::array<MYSQL_BIND, kStagingParameters> binds = columns.Binds();
    unsigned int rows = static_cast<unsigned int>(n);
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &rows) != 0) statement.Fail();
    if (mysql_stmt_bind_param(stmt, binds.data()) != 0) statement.Fail();
    if (mysql_stmt_execute(stmt) != 0) statement.Fail();
    statement.DrainResults();
  }
}

}  // namespace

std::unique_ptr<Store> OpenStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbStore>(settings);
}

MigrationResult Migrate(const DatabaseSettings& settings, MigrationListener* listener) {
  const std::string where = DescribeServer(settings);
  try {
    Connection connection(settings, /*select_database=*/false);
    std::string quoted = settings.database;
    std::string escaped;
    for (char c : quoted) {
      if (c == '`') escaped.push_back('`');
      escaped.push_back(c);
    }
    // Only when missing: on Galera the statement runs in total order even when the database
    // exists, and would abort another node's migration working in it.
    if (!SchemaExists(connection, settings.database)) {
      connection.ExecuteText(
          fmt::format("CREATE DATABASE IF NOT EXISTS `{}` CHARACTER SET utf8mb4 "
                      "COLLATE utf8mb4_general_ci",
                      escaped));
    }
    if (mysql_select_db(connection.raw(), settings.database.c_str()) != 0) connection.Fail();
    return ApplyMigrations(connection, listener);
  } catch (const DbError& e) {
    ThrowTranslated(e, "migrating the schema", where);
  }
}

}  // namespace blemon::mariadb
