#pragma once

// The read side operators look at (reports, the dashboard) and the maintenance side they run
// (blemon-admin). Both are ports: each store adapter implements them beside its Store
// (adapters/<store>/src/<store>_report_store.cc). Pure declarations, no I/O.
//
// Threading: an instance is used from one thread at a time. Failures are reported with the
// exceptions of blemon/errors.h: Unavailable while the store cannot be reached (the dashboard keeps
// running and shows it), Refused when it answers no (access denied, schema missing or too old).
// All times are UTC; turning them into local time is the presentation's job.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon {

// Which sightings a report covers: from <= interval_start < to, optionally one monitor (by
// monitor_name; a name no monitor has gives empty results, not an error).
struct ReportFilter {
  UtcTime from;
  UtcTime to;
  std::optional<std::string> monitor;
  // Hourly only: the hours start this long after each UTC hour, 0 to 3599 s. Local clock hours
  // in India (UTC+05:30) start at UTC :30, so 1800 s; in Nepal (UTC+05:45) at :15, 900 s.
  Seconds hour_shift{0};
};

// One monitor in one hour (a UTC hour moved by the filter's hour_shift: a local clock hour): the
// meaning of the original hourly_device_counts view, plus the RSSI range.
// Distinct addresses by address class (ble_devices.address_class; `other` counts reserved and
// unrecorded classes).
struct AddressClassCounts {
  std::int64_t public_addresses = 0;
  std::int64_t random_static = 0;
  std::int64_t resolvable_private = 0;
  std::int64_t non_resolvable = 0;
  std::int64_t other = 0;

  friend bool operator==(const AddressClassCounts&, const AddressClassCounts&) = default;
};

struct HourlyRow {
  std::string monitor_name;
  std::string location;
  UtcTime hour_start;
  std::int64_t unique_devices = 0;  // distinct addresses: the original view's count
  // The same count under its honest name, and the devices behind those addresses as address
  // linking estimates them (distinct estimated devices, blemon/address_linking.h): a phone that
  // rotated its address four times in the hour is four addresses and, linked, one device.
  std::int64_t addresses = 0;
  std::int64_t estimated_devices = 0;
  AddressClassCounts by_class;
  std::int64_t total_sightings = 0;
  double avg_rssi = 0;
  int min_rssi = 0;
  int max_rssi = 0;
};

// One monitor over the filter's span. Monitors without sightings in the span are listed with
// zero counts and no first/last sighting, so an idle monitor is visible.
struct MonitorSummary {
  std::string monitor_name;
  std::string location;
  bool is_active = false;
  std::optional<UtcTime> last_seen;       // the monitor's heartbeat
  std::int64_t devices = 0;               // distinct devices it won
  std::int64_t sightings = 0;             // device_sightings rows it won
  std::optional<UtcTime> first_sighting;  // of those rows, sighting_timestamp
  std::optional<UtcTime> last_sighting;
};

// One device over the filter's span.
struct DeviceSummary {
  std::string mac;                           // canonical AA:BB:CC:DD:EE:FF
  std::optional<std::string> address_class;  // as ble_devices records it; nullopt: unknown
  std::string estimated_device;     // the MAC its estimated device is known by (itself if unlinked)
  std::optional<std::string> name;  // nullopt: never heard with a name
  std::vector<std::string> monitors;  // monitors that won it, by name, sorted
  std::int64_t sightings = 0;
  int best_rssi = 0;
  double avg_rssi = 0;
  UtcTime last_seen;  // latest sighting_timestamp in the span
  // ble_devices.device_class and vendor (blemon/device_class.h, blemon/vendor.h); nullopt until a
  // reading told them.
  std::optional<std::string> device_class;
  std::optional<std::string> vendor;
};

// Folds the rows of a devices query — one per (device, monitor that won it) — into one summary
// per device, ordered by sightings (most first), then MAC. Both stores use it, so the report reads
// the same whichever backend answered.
class DeviceSummaryFold {
 public:
  struct Row {
    std::int64_t device_id = 0;
    std::string mac;
    std::optional<std::string> address_class;
    std::string estimated_device;     // empty: the device itself
    std::optional<std::string> name;  // empty counts as none
    std::string monitor_name;
    std::int64_t sightings = 0;
    int best_rssi = 0;
    std::int64_t rssi_sum = 0;
    UtcTime last_seen;
    std::optional<std::string> device_class;
    std::optional<std::string> vendor;
  };

  void Add(Row row);
  std::vector<DeviceSummary> Result();

 private:
  struct Device {
    DeviceSummary summary;
    std::int64_t rssi_sum = 0;
  };
  std::map<std::int64_t, Device> devices_;
};

// The dashboard's view of the fleet.
struct DashboardMonitor {
  std::string monitor_name;
  std::string location;
  bool is_active = false;
  std::optional<UtcTime> last_seen;
  std::int64_t devices_24h = 0;  // distinct devices it won in the 24 h before store_now
  // What the monitor reported about its scans (ScanHealthUpdate); see blemon/scan_health.h.
  // Initialised here, so aggregate initialisations that predate them need not name them.
  std::int64_t scans_failed = 0;
  std::optional<std::string> last_scan_error{};
  std::optional<UtcTime> last_scan_error_at{};
  std::optional<UtcTime> last_scan_ok_at{};
  std::int64_t empty_scans_in_row = 0;
};

struct RecentSighting {
  UtcTime sighting_time;  // sighting_timestamp
  UtcTime interval_start;
  std::string mac;
  std::optional<std::string> name;
  std::string monitor_name;
  int rssi = 0;
};

struct DashboardSnapshot {
  UtcTime store_now;                       // the store's clock, against which ages are measured
  std::optional<Seconds> fleet_interval;   // nullopt when no monitor has recorded one yet
  std::vector<DashboardMonitor> monitors;  // ordered by name
  LeaseStatus lease;
  std::int64_t unprocessed_rows = 0;
  std::optional<UtcTime> oldest_unprocessed_interval;
  std::vector<DeviceSummary> top_devices;  // most sightings in 24 h first
  std::vector<RecentSighting> recent;      // newest first
};

// blemon-web's live views: where each device was in the newest processed interval, and one
// device's rooms over time. A room is the winning monitor's location (its name when it has none).
struct RoomDevice {
  std::string mac;
  std::optional<std::string> name;
  std::string monitor_name;
  std::string location;
  int rssi = 0;
  UtcTime sighting_time;
};

struct RoomsNow {
  std::optional<UtcTime> interval_start;  // nullopt: nothing processed yet
  std::vector<RoomDevice> devices;        // ordered by location, then RSSI (strongest first), MAC
};

struct TrackPoint {
  UtcTime interval_start;
  std::string monitor_name;
  std::string location;
  int rssi = 0;
  std::optional<int> margin_db;  // over the best other monitor; nullopt when heard alone
};

// Per monitor: readings staged and not yet processed (the processor's backlog per source).
struct MonitorBacklog {
  std::string monitor_name;
  std::int64_t unprocessed_rows = 0;
};

// The upper bounds, in seconds, of the processing-duration histogram's buckets: declared once, so
// every store counts into the same buckets and /metrics labels them alike.
inline constexpr std::array<double, 9> kProcessingDurationBuckets = {0.1, 0.25, 0.5, 1, 2.5,
                                                                     5,   10,   30,  60};

// What the processor recorded of its committed runs (table processing_runs), one run per
// processed interval, since the table was created.
struct ProcessingHistory {
  std::int64_t runs = 0;        // intervals processed
  double duration_seconds = 0;  // sum of the runs' processing durations
  // Runs whose duration was at most kProcessingDurationBuckets[i] (cumulative, as Prometheus'
  // histogram buckets are).
  std::array<std::int64_t, kProcessingDurationBuckets.size()> at_most{};
  std::int64_t late = 0;  // runs committed more than late_after after their interval ended
};

// The SQL select list, portable to both stores, of what ProcessingHistory counts over
// processing_runs: COUNT, the sum of duration_ms, then per bucket the runs at most its bound. A
// store appends its own count of late runs (its time arithmetic differs) and reads the row, as
// integers in that order, with ProcessingHistoryOf.
std::string ProcessingHistoryColumns();
// The columns of ProcessingHistoryColumns and the late count: what ProcessingHistoryOf reads.
inline constexpr std::size_t kProcessingHistoryColumnCount = 3 + kProcessingDurationBuckets.size();
// Zeros when `columns` does not hold kProcessingHistoryColumnCount values (no row).
ProcessingHistory ProcessingHistoryOf(const std::vector<std::int64_t>& columns);

class ReportStore {
 public:
  virtual ~ReportStore() = default;
  ReportStore() = default;
  ReportStore(const ReportStore&) = delete;
  ReportStore& operator=(const ReportStore&) = delete;

  // Ordered by (hour_start, monitor_name). Reads only the filter's interval_start range through
  // an index, never the whole table.
  virtual std::vector<HourlyRow> Hourly(const ReportFilter& filter) = 0;
  // Ordered by monitor_name.
  virtual std::vector<MonitorSummary> Monitors(const ReportFilter& filter) = 0;
  // Ordered by sightings descending, then MAC.
  virtual std::vector<DeviceSummary> Devices(const ReportFilter& filter) = 0;
  // At most `top_devices` devices and `recent` sightings.
  virtual DashboardSnapshot Snapshot(int top_devices, int recent) = 0;
  // The newest interval_start in device_sightings (an index lookup), nullopt when empty.
  virtual std::optional<UtcTime> LatestProcessedInterval() = 0;
  // Every device of the newest processed interval with the room that won it.
  virtual RoomsNow LatestRooms() = 0;
  // The device's sightings with filter.from <= interval_start < filter.to, oldest first, at most
  // `limit`; `mac` is canonical (AA:BB:CC:DD:EE:FF). Unknown MAC: empty. filter.monitor applies.
  virtual std::vector<TrackPoint> Track(const std::string& mac, const ReportFilter& filter,
                                        int limit) = 0;
  // Monitors with unprocessed staging rows, by name.
  virtual std::vector<MonitorBacklog> Backlog() = 0;
  // The processor's recorded runs. A run is late when it was committed (store's clock) more than
  // `late_after` after its interval ended (interval_start + the fleet's interval length); with no
  // fleet interval recorded yet, none is late.
  virtual ProcessingHistory Processing(Seconds late_after) = 0;
};

// --- Maintenance
// ----------------------------------------------------------------------------------

struct TableCount {
  std::string table;
  std::optional<std::int64_t> rows;  // nullopt: the table is missing, or hidden
  // The account checking may not read the table (a least-privilege account): it cannot tell
  // whether the table exists, so it is not reported missing.
  bool hidden = false;
};

// What `blemon-admin check` shows. Connection failures are not thrown by Check: they become
// `connected = false` and a diagnosis, since diagnosing them is the point.
struct StoreCheck {
  bool connected = false;
  std::string server;  // "MariaDB 10.11.6 on 127.0.0.1:3306, database ble_monitor" / "SQLite ..."
  std::optional<int> schema_version;  // nullopt: no schema_version table (none or seed schema)
  int expected_version = 0;           // what this build writes
  // The schema's tables, then device_sightings_archive once `archive` has made it.
  std::vector<TableCount> tables;
  // Each problem says what is wrong and what to do; empty when all is well.
  std::vector<std::string> problems;
  // What is worth knowing but not wrong, e.g. tables this account may not read.
  std::vector<std::string> notes;
};

struct CleanupResult {
  std::int64_t deleted = 0;          // processed staging rows removed
  std::int64_t unprocessed_old = 0;  // unprocessed rows older than the cut-off, kept
  std::optional<UtcTime> oldest_unprocessed;
};

// An archive run, fixed at its start: the cut-off comes from the store's clock once, so rows do
// not become old enough while the run goes on, and the count is the run's progress total.
struct ArchivePlan {
  UtcTime cutoff{};       // sightings whose interval_start is before this are archived
  std::int64_t rows = 0;  // how many there were when the plan was made
};

// A sighting in archive order (interval_start, then sighting_id): where a run has got to.
struct ArchivePosition {
  UtcTime interval_start{};
  std::int64_t sighting_id = 0;
};

struct ArchiveStep {
  std::int64_t moved = 0;               // rows moved by this step; 0 when nothing is left
  std::optional<ArchivePosition> last;  // the last row moved, in archive order (none if none)
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;
  AdminStore() = default;
  AdminStore(const AdminStore&) = delete;
  AdminStore& operator=(const AdminStore&) = delete;

  virtual StoreCheck Check() = 0;
  // Creates or upgrades the schema; safe to rerun. Returns the version before (-1: empty) and
  // after.
  virtual std::pair<int, int> Migrate() = 0;
  // Deletes processed staging rows whose interval started before now - older_than (store's
  // clock); unprocessed rows are never deleted, only counted.
  virtual CleanupResult CleanupStaging(Seconds older_than) = 0;
  // Starts an archive run: creates device_sightings_archive when missing (like device_sightings),
  // fixes the cut-off at the store's now - older_than and counts the sightings before it.
  virtual ArchivePlan PlanArchive(Seconds older_than) = 0;
  // Moves the next (at most `chunk`) device_sightings rows before plan.cutoff, oldest first, into
  // device_sightings_archive in one transaction: each step is complete or not done at all, so an
  // interrupted run loses nothing, and a new run (a new plan) picks up the rows still there.
  // `after` is the previous step's last row: the scan may start behind it (MariaDB keeps deleted
  // index entries until its purge has run, so scanning from the start each time rereads them all).
  // A row written behind it during the run (a late sighting of an interval that old) may then be
  // left for the next run: nothing is lost, it stays in device_sightings.
  virtual ArchiveStep ArchiveChunk(const ArchivePlan& plan,
                                   const std::optional<ArchivePosition>& after, int chunk) = 0;
  virtual LeaseStatus Lease() = 0;
  // The original's manual "clear stale claim": frees the lease whoever holds it (the epoch stays,
  // so a fenced-out holder cannot commit). Returns the monitor that held it, if any.
  virtual std::optional<std::string> ReleaseLease() = 0;
};

}  // namespace blemon
