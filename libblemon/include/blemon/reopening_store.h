#pragma once

// A Store opened on first use, and opened again on a later call when opening failed. The monitor
// wires its store through it, so a store that cannot be reached when the monitor starts (an SQLite
// file another process holds locked, a damaged network) is retried every cycle like a store lost
// later, whichever backend: the scans wait in the spool instead of the monitor exiting.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blemon/alerts.h"
#include "blemon/calibration_store.h"
#include "blemon/ports.h"
#include "blemon/presence_store.h"
#include "blemon/retention.h"

namespace blemon {

class ReopeningStore final : public Store {
 public:
  // `open` makes the real store; it may throw Unavailable (tried again on the next call) or
  // Refused (passed on to the caller, and tried again too: the caller decides to stop).
  using Opener = std::function<std::unique_ptr<Store>()>;
  explicit ReopeningStore(Opener open) : open_(std::move(open)) {}

  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    return Inner().RegisterMonitor(info);
  }
  Seconds FleetInterval(Seconds configured) override { return Inner().FleetInterval(configured); }
  void Heartbeat(MonitorId monitor, bool active) override { Inner().Heartbeat(monitor, active); }
  UtcTime StoreNow() override { return Inner().StoreNow(); }
  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    Inner().RecordScanHealth(monitor, update);
  }
  bool StageBatch(const Batch& batch) override { return Inner().StageBatch(batch); }
  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    return Inner().ClaimLease(monitor, ttl);
  }
  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    Inner().ReleaseLease(monitor, epoch);
  }
  LeaseStatus Lease() override { return Inner().Lease(); }
  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    return Inner().PendingIntervals(latest_due);
  }
  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    return Inner().ProcessInterval(interval_start, monitor, epoch);
  }
  std::vector<StoredSighting> Sightings(UtcTime from, UtcTime to) override {
    return Inner().Sightings(from, to);
  }
  std::optional<std::optional<std::string>> DeviceName(const MacAddress& mac) override {
    return Inner().DeviceName(mac);
  }
  // Kept, and given to every store this opens, so a store opened late decides rooms alike.
  void ConfigureRooms(const RoomSettings& settings) override {
    rooms_ = settings;
    if (inner_) inner_->ConfigureRooms(settings);
  }
  std::vector<Batch> StagedBatches(UtcTime interval_start) override {
    return Inner().StagedBatches(interval_start);
  }

  bool is_open() const { return inner_ != nullptr; }

 private:
  Store& Inner() {
    if (!inner_) {
      inner_ = open_();
      inner_->ConfigureRooms(rooms_);
    }
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<Store> inner_;
  RoomSettings rooms_;
};

// The presence port, opened on first use and again after a failed opening, like ReopeningStore:
// the processor opens it beside its Store, which creates the schema first.
class ReopeningPresenceStore final : public PresenceStore {
 public:
  using Opener = std::function<std::unique_ptr<PresenceStore>()>;
  explicit ReopeningPresenceStore(Opener open) : open_(std::move(open)) {}

  std::vector<WatchEntry> WatchList() override { return Inner().WatchList(); }
  bool AddWatch(const WatchEntry& entry) override { return Inner().AddWatch(entry); }
  bool RemoveWatch(const std::string& name) override { return Inner().RemoveWatch(name); }
  PresenceState LoadPresenceState() override { return Inner().LoadPresenceState(); }
  std::vector<UtcTime> PresenceDueIntervals(std::optional<UtcTime> after, UtcTime up_to) override {
    return Inner().PresenceDueIntervals(after, up_to);
  }
  std::vector<PresenceSighting> IntervalSightings(UtcTime interval) override {
    return Inner().IntervalSightings(interval);
  }
  bool CommitPresence(const PresenceStep& step, MonitorId monitor, std::int64_t epoch) override {
    return Inner().CommitPresence(step, monitor, epoch);
  }
  std::vector<PresenceEvent> UnpublishedEvents(int limit) override {
    return Inner().UnpublishedEvents(limit);
  }
  void MarkPublished(std::span<const std::string> event_ids) override {
    Inner().MarkPublished(event_ids);
  }
  std::optional<PresenceSnapshot> LatestSnapshot() override { return Inner().LatestSnapshot(); }
  std::vector<PresenceEvent> Events(UtcTime from, UtcTime to) override {
    return Inner().Events(from, to);
  }
  std::vector<OccupancyRow> Occupancy(UtcTime from, UtcTime to) override {
    return Inner().Occupancy(from, to);
  }

 private:
  PresenceStore& Inner() {
    if (!inner_) inner_ = open_();
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<PresenceStore> inner_;
};

// The alert delivery log, opened on first use and again after a failed opening, like
// ReopeningPresenceStore: the processor sets up its alerts before its Store has created the
// schema. Not thread-safe (the alert dispatcher serialises its calls).
class ReopeningDeliveryLog final : public DeliveryLog {
 public:
  using Opener = std::function<std::unique_ptr<DeliveryLog>()>;
  explicit ReopeningDeliveryLog(Opener open) : open_(std::move(open)) {}

  void Owe(std::string_view channel, std::span<const AlertMessage> alerts) override {
    Inner().Owe(channel, alerts);
  }
  std::vector<AlertMessage> Owed(std::string_view channel, int limit) override {
    return Inner().Owed(channel, limit);
  }
  DeliveryState StateOf(std::string_view event_id, std::string_view channel) override {
    return Inner().StateOf(event_id, channel);
  }
  void Record(const DeliveryRecord& record) override { Inner().Record(record); }
  std::vector<DeliveryRecord> Recent(int limit) override { return Inner().Recent(limit); }

 private:
  DeliveryLog& Inner() {
    if (!inner_) inner_ = open_();
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<DeliveryLog> inner_;
};

// The calibration store, opened on first use and kept (like ReopeningPresenceStore): the
// processor's auto_calibrate step and the simulated scanner's peers start before the store may.
class ReopeningCalibrationStore final : public CalibrationStore {
 public:
  using Opener = std::function<std::unique_ptr<CalibrationStore>()>;
  explicit ReopeningCalibrationStore(Opener open) : open_(std::move(open)) {}

  std::vector<CalibrationMonitor> CalibrationMonitors() override {
    return Inner().CalibrationMonitors();
  }
  std::vector<BeaconObservation> RecentBeaconObservations(int intervals,
                                                          std::optional<UtcTime> up_to) override {
    return Inner().RecentBeaconObservations(intervals, up_to);
  }
  std::vector<WinnerSighting> RecentWinners(const MacAddress& device, int intervals) override {
    return Inner().RecentWinners(device, intervals);
  }
  void SetOffsets(const RssiOffsets& offsets) override { Inner().SetOffsets(offsets); }
  void ApplyOffsets(const RssiOffsets& offsets, MonitorId monitor, std::int64_t epoch) override {
    Inner().ApplyOffsets(offsets, monitor, epoch);
  }

 private:
  CalibrationStore& Inner() {
    if (!inner_) inner_ = open_();
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<CalibrationStore> inner_;
};

// The retention store, opened on first use and kept (like ReopeningPresenceStore).
class ReopeningRetentionStore final : public RetentionStore {
 public:
  using Opener = std::function<std::unique_ptr<RetentionStore>()>;
  explicit ReopeningRetentionStore(Opener open) : open_(std::move(open)) {}

  RetentionOutcome ApplyRetention(const RetentionSettings& settings, MonitorId monitor,
                                  std::int64_t epoch, int max_batches) override {
    return Inner().ApplyRetention(settings, monitor, epoch, max_batches);
  }
  std::vector<RetentionLayout> Layout() override { return Inner().Layout(); }
  ConversionStep ConvertStep(std::string_view table, int batch_rows) override {
    return Inner().ConvertStep(table, batch_rows);
  }

 private:
  RetentionStore& Inner() {
    if (!inner_) inner_ = open_();
    return *inner_;
  }

  Opener open_;
  std::unique_ptr<RetentionStore> inner_;
};

}  // namespace blemon
