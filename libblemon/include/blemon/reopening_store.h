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

#include "blemon/ports.h"

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

}  // namespace blemon
