#pragma once

// The ports through which the domain reaches the outside world. Adapters implement them; tests
// swap them for fakes. Each port has one job and is used from one thread at a time (the monitor
// cycle's), unless its comment says otherwise. Failures are reported with the exceptions of
// blemon/errors.h.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/calibration.h"
#include "blemon/presence.h"
#include "blemon/reading.h"
#include "blemon/rooms.h"
#include "blemon/time.h"

namespace blemon {

// --- Scanner ------------------------------------------------------------------------------------

struct ScanResult {
  std::vector<Reading> readings;  // one per device heard in the window, ordered by MAC
  ScanStats stats;
  // Set when the scan ended early or could not run (adapter gone, bluetoothd restarted). The
  // readings gathered until then are still valid and are kept.
  std::optional<std::string> error;
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  Scanner() = default;
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Listens for `window` and returns what was heard in it. Returns early, with what it has, when
  // `stop` is requested. Never throws for a radio or bus fault: that goes into `error`, and the
  // next call tries to reconnect. `scan_time` labels are the caller's business.
  virtual ScanResult Scan(Seconds window, std::stop_token stop) = 0;
};

// --- Advertiser ---------------------------------------------------------------------------------

// What the radio made of a request to advertise.
struct AdvertiseOutcome {
  // The beacon is registered with the radio now, as `beacon` says (the TX power in it is what the
  // adapter reported, or the documented fallback: blemon/beacon.h).
  std::optional<MonitorBeacon> beacon;
  // Why it is not on the air (when beacon is nullopt): refused (too many advertisements, not
  // supported), no adapter, bluetoothd or the bus away. Words a user can act on.
  std::optional<std::string> error;  // The adapter reported no TX power: beacon->tx_power is
                                     // kDefaultBeaconTxPower, and receivers
  // take the advert's TX Power Level field when it has one (blemon/beacon.h).
  bool tx_power_assumed = false;
};

// The monitor's own beacon on the air, so the other monitors recognise it (blemon/beacon.h), a
// port apart from Scanner: advertising lives as long as the monitor, a scan only for its window.
// Used from the monitor cycle's thread only.
class Advertiser {
 public:
  virtual ~Advertiser() = default;
  Advertiser() = default;
  Advertiser(const Advertiser&) = delete;
  Advertiser& operator=(const Advertiser&) = delete;

  // Makes sure `monitor`'s beacon is on the air: registers it the first time and again whenever
  // it was lost or refused before (bluetoothd restarted, the adapter came back); costs a bus
  // round trip when it is already on the air. Never throws for a radio or bus fault: that goes
  // into the outcome's error, and the next call tries again.
  virtual AdvertiseOutcome Start(MonitorId monitor) = 0;
  // Takes the beacon off the air, if it is on. Best effort: never throws.
  virtual void Stop() noexcept = 0;
};

// --- Clock --------------------------------------------------------------------------------------

class Clock {
 public:
  virtual ~Clock() = default;
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  // Wall-clock time at full precision (the cycle times its sleeps with it; what it stores is
  // floored to whole seconds).
  virtual WallTime UtcNow() = 0;
  // Monotonic time, for the cadence.
  virtual SteadyTime SteadyNow() = 0;
  // Blocks until `deadline` or until `stop` is requested; returns false in the second case.
  virtual bool SleepUntil(SteadyTime deadline, std::stop_token stop) = 0;
};

// --- Logger -------------------------------------------------------------------------------------

enum class LogLevel { kDebug, kInfo, kWarning, kError };
std::string_view ToString(LogLevel level);  // "DEBUG", "INFO", "WARNING", "ERROR"

class Logger {
 public:
  virtual ~Logger() = default;
  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  virtual void Log(LogLevel level, std::string_view message) = 0;
};

// --- Stores -------------------------------------------------------------------------------------

// What a monitor registers as. `position` (monitor.position_x/y, metres) is stored when set;
// without one the stored position (set by SQL, say) stays.
struct MonitorInfo {
  MonitorInfo() = default;
  MonitorInfo(std::string monitor_name, std::string monitor_location,
              std::string monitor_description,
              std::optional<MonitorPosition> monitor_position = std::nullopt)
      : name(std::move(monitor_name)),
        location(std::move(monitor_location)),
        description(std::move(monitor_description)),
        position(monitor_position) {}

  std::string name;
  std::string location;
  std::string description;
  std::optional<MonitorPosition> position;
};

// One scan of one monitor, as it travels from the spool to the store. (monitor_id, batch_seq)
// identifies it: storing the same batch twice stores it once.
struct Batch {
  MonitorId monitor_id = 0;
  std::int64_t batch_seq = 0;
  UtcTime interval_start;
  UtcTime scan_time;
  std::vector<Reading> readings;

  friend bool operator==(const Batch&, const Batch&) = default;
};

// What the monitor learned about its own scans since it last told the store (monitors.scans_failed
// and the columns beside it), so the dashboard and `blemon-admin check` can tell a monitor whose
// radio fails, or hears nothing, from one in an empty room.
struct ScanHealthUpdate {
  std::int64_t new_failures = 0;          // scans that did not really listen, to add to the count
  std::optional<std::string> last_error;  // the latest of them, at most kMaxScanErrorBytes
  std::optional<UtcTime> last_error_at;
  std::optional<UtcTime> last_ok_at;  // the latest scan that listened
  // Scans in a row, as of now, that listened and heard nothing (absolute, not a delta).
  std::int64_t empty_scans_in_row = 0;
};
inline constexpr std::size_t kMaxScanErrorBytes = 250;

// The writing side every monitor uses.
class ScanStore {
 public:
  virtual ~ScanStore() = default;
  ScanStore() = default;
  ScanStore(const ScanStore&) = delete;
  ScanStore& operator=(const ScanStore&) = delete;

  // Creates or updates the monitor by name (location, description, active) and returns its id.
  virtual MonitorId RegisterMonitor(const MonitorInfo& info) = 0;
  // The fleet's interval length. Records `configured` if the fleet has none yet; returns what the
  // store holds, which the caller compares with its own.
  virtual Seconds FleetInterval(Seconds configured) = 0;
  // Marks the monitor alive now (last_seen = store's clock) and active or, on shutdown, inactive.
  virtual void Heartbeat(MonitorId monitor, bool active) = 0;
  // The store's clock now (MariaDB's NOW(), SQLite's 'now'): the fleet's one clock, against which
  // the monitor checks its own before stamping readings.
  virtual UtcTime StoreNow() = 0;
  // Adds `update` to the monitor's scan health: scans_failed grows by new_failures, the other
  // fields replace the stored ones when set (empty_scans_in_row always).
  virtual void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) = 0;
  // Stores the batch's readings as unprocessed staging rows, atomically. Returns false (and
  // changes nothing) when (monitor_id, batch_seq) was stored before.
  virtual bool StageBatch(const Batch& batch) = 0;
};

// The processor lease as the store answered a claim.
struct LeaseAnswer {
  bool granted = false;    // the claimer holds the lease now
  std::int64_t epoch = 0;  // fencing token (granted) or the holder's epoch (refused)
  std::optional<MonitorId> holder;
  std::string holder_name;
  Seconds remaining{0};  // time to expiry by the store's clock; 0 when nobody holds it
};

struct LeaseStatus {
  std::optional<MonitorId> holder;
  std::string holder_name;
  std::int64_t epoch = 0;
  std::optional<UtcTime> claimed_at;  // store's clock
  std::optional<UtcTime> expires_at;  // store's clock
  UtcTime store_now;

  // A monitor holds the lease and it has not expired by the store's clock: the one rule every
  // view of the lease (dashboard, admin, web, metrics) shows.
  bool live() const { return holder && expires_at && *expires_at > store_now; }
};

struct ProcessOutcome {
  int staging_rows = 0;       // rows of the interval newly merged (and marked processed)
  int sightings_changed = 0;  // device_sightings rows inserted or improved
  int devices_added = 0;      // MACs new to ble_devices
  int links_added = 0;        // address_links rows (blemon/address_linking.h)
};

// The processor's side.
class ProcessorStore {
 public:
  virtual ~ProcessorStore() = default;
  ProcessorStore() = default;
  ProcessorStore(const ProcessorStore&) = delete;
  ProcessorStore& operator=(const ProcessorStore&) = delete;

  // Takes the lease if nobody holds it or it has expired, renews it if `monitor` holds it — one
  // atomic step on the store's clock, so of any number of simultaneous claimers exactly one wins.
  // A new holder gets a new, higher epoch; a renewal keeps it.
  virtual LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) = 0;
  // Gives the lease up if `monitor` holds it under `epoch`; otherwise does nothing.
  virtual void ReleaseLease(MonitorId monitor, std::int64_t epoch) = 0;
  virtual LeaseStatus Lease() = 0;

  // Interval starts, oldest first, that have unprocessed staging rows not yet merged and start at
  // or before `latest_due`. MariaDB first finishes any deferred marking a previous call left
  // (see ProcessInterval).
  virtual std::vector<UtcTime> PendingIntervals(UtcTime latest_due) = 0;
  // Merges the interval's unprocessed rows into device_sightings with the BestRssiMerge rules and
  // marks them processed, in one transaction that commits only if `monitor` still holds the lease
  // under `epoch` (else throws LeaseLost and changes nothing). On MariaDB (schema version 12) the
  // marking follows the commit, in short transactions of its own, before this returns; a failure
  // between the two leaves the results committed and the rows to the next call of either method.
  // The same transaction then decides each device's stable room and the sighting's confidence
  // (DecideRoom of blemon/rooms.h, with the settings given to ConfigureRooms).
  virtual ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                         std::int64_t epoch) = 0;
  // The rules ProcessInterval decides rooms by; RoomSettings{} until called. Stores that keep no
  // rooms (test fakes) ignore them.
  virtual void ConfigureRooms(const RoomSettings& settings) { (void)settings; }
};

// What was kept for one device in one interval, read back from device_sightings.
struct StoredSighting {
  MacAddress mac;
  UtcTime interval_start;
  Sighting sighting;
  // The stable room's monitor and the sighting's confidence (blemon/rooms.h); nullopt for rows
  // processed before schema version 6 or by the original tool.
  std::optional<MonitorId> room_monitor_id;
  std::optional<Confidence> confidence;
};

// The reading side: what reports, the dashboard and the contract tests look at.
class ReadStore {
 public:
  virtual ~ReadStore() = default;
  ReadStore() = default;
  ReadStore(const ReadStore&) = delete;
  ReadStore& operator=(const ReadStore&) = delete;

  // device_sightings with from <= interval_start < to, ordered by (interval_start, mac).
  virtual std::vector<StoredSighting> Sightings(UtcTime from, UtcTime to) = 0;
  // ble_devices' name for the MAC: nullopt when the device is unknown, an empty optional name
  // when it is known without one.
  virtual std::optional<std::optional<std::string>> DeviceName(const MacAddress& mac) = 0;
  // The interval's staging rows, processed or not, as the batches they came in: ordered by
  // monitor_id, batch_seq and scan time, readings in the order stored, each with its payload.
  // Rows the original tool's monitors wrote have no batch (batch_seq 0), no advert count (0) and
  // no payload; their rows of one monitor and scan time form one batch.
  virtual std::vector<Batch> StagedBatches(UtcTime interval_start) = 0;
};

// A complete store, as the adapters provide it.
class Store : public ScanStore, public ProcessorStore, public ReadStore {};

// --- Publisher ----------------------------------------------------------------------------------

// Where the processor sends presence after each processed interval (MQTT in adapters/mqtt). The
// processor calls it from its own thread only.
class Publisher {
 public:
  virtual ~Publisher() = default;
  Publisher() = default;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Sends the state after `snapshot.interval_start` (latest wins: a snapshot may be sent again or
  // superseded) and `events`, oldest first, which the store holds as not yet published. Returns
  // only when the peer has taken all of them; the caller then marks the events published. Throws
  // Unavailable when it could not (nothing is marked; the same events come again later, so a
  // consumer may see an event_id twice after a crash between sending and marking, never lose one),
  // Refused when retrying cannot help (bad credentials, topic denied).
  virtual void Publish(const PresenceSnapshot& snapshot, std::span<const PresenceEvent> events) = 0;
};

// --- Spool --------------------------------------------------------------------------------------

struct SpooledBatch {
  std::int64_t batch_seq = 0;
  UtcTime interval_start;
  UtcTime scan_time;
  std::vector<Reading> readings;
};

// Beyond these the oldest batches are dropped. Also the [spool] section of the config
// (SpoolSettings): these are its defaults.
struct SpoolLimits {
  Seconds max_age{72 * 3600};
  std::int64_t max_batches = 10'000;
};

// The monitor's local, durable queue of scans not yet committed by the store.
class Spool {
 public:
  virtual ~Spool() = default;
  Spool() = default;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Durably records a scan and returns its batch_seq. Sequence numbers increase strictly for the
  // life of the monitor, even if the spool file is lost and recreated (they start from the wall
  // clock in microseconds), so the store's (monitor_id, batch_seq) key never collides.
  virtual std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                              const std::vector<Reading>& readings) = 0;
  // The oldest batch still waiting, if any.
  std::optional<SpooledBatch> Oldest() { return OldestAfter(kBeforeEveryBatch); }
  // The oldest batch with a batch_seq above `batch_seq`: how the sender steps past a batch the
  // store refused without losing its place.
  virtual std::optional<SpooledBatch> OldestAfter(std::int64_t batch_seq) = 0;
  static constexpr std::int64_t kBeforeEveryBatch = 0;
  // Forgets a batch the store has committed.
  virtual void Remove(std::int64_t batch_seq) = 0;
  // Drops, oldest first, the batches beyond the limits; returns how many were dropped.
  virtual int Trim(const SpoolLimits& limits, UtcTime now) = 0;
  virtual std::int64_t Pending() = 0;
};

}  // namespace blemon
