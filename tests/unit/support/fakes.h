#pragma once

// In-memory stand-ins for the domain's ports, for the monitor cycle's unit tests. They keep state
// the way the real adapters promise to (ports.h), so a test reads as a story ("the store goes
// down, two scans later it comes back") instead of a wall of mock expectations. Fault switches
// follow leveldb's FaultInjectionTestEnv: flip a flag, the next call fails the way the real
// adapter would.

#include <gmock/gmock.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blemon/errors.h"
#include "blemon/ports.h"

namespace blemon::testing {

inline UtcTime At(long long seconds) { return UtcTime{Seconds{seconds}}; }

// Wall clock and steady clock that move together unless a test makes the wall clock jump.
// SleepUntil returns at once, having advanced time to the deadline, so a cycle that sleeps five
// minutes takes microseconds.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UtcTime utc_start) : utc_(utc_start) {}

  WallTime UtcNow() override { return utc_; }
  // The same instant as UtcNow(), already whole seconds, for arranging and asserting.
  UtcTime Utc() const { return utc_; }
  SteadyTime SteadyNow() override { return steady_; }
  bool SleepUntil(SteadyTime deadline, std::stop_token stop) override {
    sleeps_.push_back(deadline);
    if (stop.stop_requested()) return false;
    if (deadline > steady_) Advance(std::chrono::duration_cast<Seconds>(deadline - steady_));
    return !stop.stop_requested();
  }

  void Advance(Seconds by) {
    utc_ += by;
    steady_ += by;
  }
  // An NTP step or an administrator's `date -s`: the steady clock does not notice.
  void JumpWallClock(Seconds by) { utc_ += by; }

  const std::vector<SteadyTime>& sleeps() const { return sleeps_; }

 private:
  UtcTime utc_;
  SteadyTime steady_{Seconds{1'000'000}};
  std::vector<SteadyTime> sleeps_;
};

// A radio that hears the same devices every scan unless told otherwise, and takes the window's
// time on the fake clock.
class FakeScanner final : public Scanner {
 public:
  struct Call {
    UtcTime started;
    Seconds window;
  };

  explicit FakeScanner(FakeClock& clock) : clock_(clock) {}

  ScanResult Scan(Seconds window, std::stop_token stop) override {
    calls_.push_back({clock_.Utc(), window});
    if (on_scan_) on_scan_(static_cast<int>(calls_.size()));
    ScanResult result;
    if (!queued_.empty()) {
      result = queued_.front();
      queued_.pop_front();
    } else {
      result.readings = heard_;
    }
    if (!stop.stop_requested()) clock_.Advance(window);
    return result;
  }

  void Hear(std::vector<Reading> readings) { heard_ = std::move(readings); }
  void QueueResult(ScanResult result) { queued_.push_back(std::move(result)); }
  // Runs before each scan with its 1-based number, e.g. to request a stop.
  void OnScan(std::function<void(int)> hook) { on_scan_ = std::move(hook); }
  const std::vector<Call>& calls() const { return calls_; }

 private:
  FakeClock& clock_;
  std::vector<Reading> heard_;
  std::deque<ScanResult> queued_;
  std::function<void(int)> on_scan_;
  std::vector<Call> calls_;
};

// The radio's advertising side: the beacon is on the air after Start unless `refusal` is set,
// which makes Start fail with that reason, as an adapter out of advertising sets does.
class FakeAdvertiser final : public Advertiser {
 public:
  std::optional<std::string> refusal;
  int tx_power = -4;              // dBm, what the adapter "reports"
  bool tx_power_unknown = false;  // the adapter reports none

  AdvertiseOutcome Start(MonitorId monitor) override {
    starts_.push_back(monitor);
    if (refusal) {
      on_air_.reset();
      return {.beacon = std::nullopt, .error = refusal};
    }
    on_air_ =
        MonitorBeacon{.monitor_id = static_cast<std::uint32_t>(monitor), .tx_power = tx_power};
    return {.beacon = on_air_, .error = std::nullopt, .tx_power_assumed = tx_power_unknown};
  }
  void Stop() noexcept override {
    ++stops_;
    on_air_.reset();
  }

  const std::optional<MonitorBeacon>& on_air() const { return on_air_; }
  const std::vector<MonitorId>& starts() const { return starts_; }
  int stops() const { return stops_; }

 private:
  std::optional<MonitorBeacon> on_air_;
  std::vector<MonitorId> starts_;
  int stops_ = 0;
};

// How a fake port call fails when a test asks it to: the store fake and the spool fake share
// these switches. `down` fails every call with Unavailable; the sets name single calls ("stage",
// "append", ...) that fail with Unavailable or Refused, as the real adapter would.
struct FaultSwitches {
  bool down = false;
  std::set<std::string> unavailable_calls;
  std::set<std::string> refused_calls;

  // Throws for `call` if a switch says so; `owner` names the port in the message.
  void Reach(const std::string& owner, const std::string& call) const {
    if (down || unavailable_calls.contains(call)) {
      throw Unavailable(owner + " unavailable during " + call);
    }
    if (refused_calls.contains(call)) throw Refused(owner + " refused " + call);
  }
};

// The local spool, in memory, with the bounds a real one enforces. Its faults are those of the
// SQLite spool: Unavailable for an I/O error or a full disk, Refused for a damaged file. Calls:
// "append", "oldest", "remove", "trim", "pending".
class FakeSpool final : public Spool {
 public:
  FaultSwitches faults;

  std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                      const std::vector<Reading>& readings) override {
    Reach("append");
    batches_.push_back({++last_seq_, interval_start, scan_time, readings});
    if (journal_) journal_->push_back("append " + std::to_string(last_seq_));
    ++appended_;
    return last_seq_;
  }
  std::optional<SpooledBatch> OldestAfter(std::int64_t batch_seq) override {
    Reach("oldest");
    for (const auto& b : batches_) {
      if (b.batch_seq > batch_seq) return b;
    }
    return std::nullopt;
  }
  void Remove(std::int64_t batch_seq) override {
    Reach("remove");
    if (journal_) journal_->push_back("remove " + std::to_string(batch_seq));
    std::erase_if(batches_, [&](const SpooledBatch& b) { return b.batch_seq == batch_seq; });
  }
  int Trim(const SpoolLimits& limits, UtcTime now) override {
    Reach("trim");
    trims_.push_back(limits);
    int dropped = 0;
    while (!batches_.empty() && (static_cast<std::int64_t>(batches_.size()) > limits.max_batches ||
                                 batches_.front().scan_time + limits.max_age < now)) {
      batches_.pop_front();
      ++dropped;
    }
    return dropped;
  }
  std::int64_t Pending() override {
    Reach("pending");
    return static_cast<std::int64_t>(batches_.size());
  }

  const std::deque<SpooledBatch>& batches() const { return batches_; }
  const std::vector<SpoolLimits>& trims() const { return trims_; }
  int appended() const { return appended_; }
  // Shares one journal with the store, so a test can see "append" happen before "stage".
  void set_journal(std::vector<std::string>* journal) { journal_ = journal; }

 private:
  void Reach(const std::string& call) {
    if (journal_ && (faults.down || faults.unavailable_calls.contains(call) ||
                     faults.refused_calls.contains(call))) {
      journal_->push_back(call + " failed");
    }
    faults.Reach("spool", call);
  }

  std::vector<std::string>* journal_ = nullptr;
  int appended_ = 0;
  std::deque<SpooledBatch> batches_;
  std::int64_t last_seq_ = 1'700'000'000'000'000;  // starts from the wall clock, as promised
  std::vector<SpoolLimits> trims_;
};

// Every log line, so tests can check that nothing is dropped silently.
class RecordingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override {
    lines_.emplace_back(level, std::string(message));
  }
  bool Contains(LogLevel at_least, std::string_view fragment) const {
    return std::any_of(lines_.begin(), lines_.end(), [&](const auto& line) {
      return line.first >= at_least && line.second.find(fragment) != std::string::npos;
    });
  }
  const std::vector<std::pair<LogLevel, std::string>>& lines() const { return lines_; }

 private:
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

// The central database, in memory: monitors, staging rows, the processor lease on the store's
// own clock (the fake clock's wall time), and processed intervals. Calls are logged as short
// strings ("heartbeat 1 inactive") for tests where the order of effects matters.
class FakeStore final : public ScanStore, public ProcessorStore {
 public:
  explicit FakeStore(FakeClock& clock) : clock_(clock) {}

  // --- fault injection: `down` fails every call with Unavailable; `faults` fails single calls
  // ("register", "fleet_interval", "heartbeat", "scan_health", "stage", "claim", "release",
  // "lease", "pending", "process") with Unavailable or Refused.
  bool down = false;
  FaultSwitches faults;
  int stage_failures_after = -1;      // StageBatch succeeds this many times more, then goes down
  bool lose_next_stage_ack = false;   // commits the next batch, then reports the line dropped
  int fence_next_processing = 0;      // this many ProcessInterval calls throw LeaseLost
  Seconds clock_ahead_of_monitor{0};  // the store's clock minus the monitor's (a wrong Pi clock)
  std::set<std::int64_t> refused_batches;  // StageBatch refuses these batch_seqs (unstorable)

  // --- ScanStore
  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    Reach("register");
    auto [it, inserted] = monitor_ids_.try_emplace(info.name, next_monitor_id_);
    if (inserted) ++next_monitor_id_;
    registered_.push_back(info);
    names_[it->second] = info.name;
    return it->second;
  }
  Seconds FleetInterval(Seconds configured) override {
    Reach("fleet_interval");
    if (!fleet_interval_) fleet_interval_ = configured;
    return *fleet_interval_;
  }
  void Heartbeat(MonitorId monitor, bool active) override {
    Reach("heartbeat");
    heartbeats_.emplace_back(monitor, active);
    Note("heartbeat " + std::to_string(monitor) + (active ? " active" : " inactive"));
  }
  // The store's clock: the fake clock's wall time plus `clock_ahead_of_monitor`.
  UtcTime StoreNow() override {
    Reach("store_now");
    return clock_.Utc() + clock_ahead_of_monitor;
  }
  // Keeps what the store's monitors row would: the count grows, the rest is replaced.
  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    Reach("scan_health");
    ScanHealthRow& row = scan_health_[monitor];
    row.scans_failed += update.new_failures;
    if (update.last_error) row.last_error = update.last_error;
    if (update.last_error_at) row.last_error_at = update.last_error_at;
    if (update.last_ok_at) row.last_ok_at = update.last_ok_at;
    row.empty_scans_in_row = update.empty_scans_in_row;
  }
  bool StageBatch(const Batch& batch) override {
    if (stage_failures_after == 0) down = true;
    Reach("stage");
    if (refused_batches.contains(batch.batch_seq)) {
      Note("stage " + std::to_string(batch.batch_seq) + " refused");
      throw Refused("Incorrect datetime value for column 'interval_start'");
    }
    if (stage_failures_after > 0) --stage_failures_after;
    bool fresh = seen_batches_.insert({batch.monitor_id, batch.batch_seq}).second;
    if (fresh) {
      staged_.push_back(batch);
      for (const auto& r : batch.readings) {
        rows_[batch.interval_start].push_back(
            {batch.monitor_id, r.mac, batch.interval_start, r.rssi, batch.scan_time});
      }
    }
    Note("stage " + std::to_string(batch.batch_seq) + (fresh ? "" : " again"));
    if (lose_next_stage_ack) {
      lose_next_stage_ack = false;
      throw Unavailable("connection lost before the commit was acknowledged");
    }
    return fresh;
  }

  // --- ProcessorStore
  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    Reach("claim");
    ++claims_;
    const UtcTime now = clock_.Utc();
    LeaseAnswer answer;
    if (!lease_holder_ || lease_expires_ <= now || *lease_holder_ == monitor) {
      if (lease_holder_ != monitor || lease_expires_ <= now) ++epoch_;
      lease_holder_ = monitor;
      lease_expires_ = now + ttl;
      answer.granted = true;
    }
    answer.epoch = epoch_;
    answer.holder = lease_holder_;
    answer.holder_name = names_[*lease_holder_];
    answer.remaining = lease_expires_ - now;
    Note("claim " + std::to_string(monitor) + (answer.granted ? " granted" : " refused"));
    return answer;
  }
  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    Reach("release");
    Note("release " + std::to_string(monitor) + " epoch " + std::to_string(epoch));
    if (lease_holder_ == monitor && epoch == epoch_) lease_holder_.reset();
  }
  LeaseStatus Lease() override {
    Reach("lease");
    LeaseStatus status;
    status.store_now = clock_.Utc();
    if (lease_holder_ && lease_expires_ > status.store_now) {
      status.holder = lease_holder_;
      status.holder_name = names_[*lease_holder_];
      status.epoch = epoch_;
      status.expires_at = lease_expires_;
    }
    return status;
  }
  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    Reach("pending");
    std::vector<UtcTime> due;
    for (const auto& [interval, rows] : rows_) {
      if (interval <= latest_due && !rows.empty() && !processed_.contains(interval)) {
        due.push_back(interval);
      }
    }
    return due;
  }
  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    Reach("process");
    if (fence_next_processing > 0) {
      --fence_next_processing;
      Note("process fenced");
      throw LeaseLost("another monitor took the lease under a newer epoch");
    }
    if (lease_holder_ != monitor || epoch != epoch_ || lease_expires_ <= clock_.Utc()) {
      Note("process refused");
      throw LeaseLost("monitor " + std::to_string(monitor) + " no longer holds epoch " +
                      std::to_string(epoch));
    }
    processed_.insert(interval_start);
    process_order_.push_back(interval_start);
    processed_at_.emplace_back(interval_start, clock_.Utc());
    Note("process " + std::to_string(interval_start.time_since_epoch().count()));
    return {static_cast<int>(rows_[interval_start].size()), 0, 0};
  }

  // --- arranging
  // Another monitor (already registered under `name`) takes the lease now for `ttl`.
  MonitorId GiveLeaseTo(const std::string& name, Seconds ttl) {
    auto [it, inserted] = monitor_ids_.try_emplace(name, next_monitor_id_);
    if (inserted) ++next_monitor_id_;
    names_[it->second] = name;
    lease_holder_ = it->second;
    lease_expires_ = clock_.Utc() + ttl;
    ++epoch_;
    return it->second;
  }
  void SetFleetInterval(Seconds length) { fleet_interval_ = length; }
  // Staging rows another monitor sent for an interval.
  void AddForeignRows(UtcTime interval_start, int rows) {
    for (int i = 0; i < rows; ++i) {
      rows_[interval_start].push_back(
          {999, MacAddress::FromBytes({0, 0, 0, 0, 0, 1}), interval_start, -60, interval_start});
    }
  }

  // --- inspecting
  struct ScanHealthRow {
    std::int64_t scans_failed = 0;
    std::optional<std::string> last_error;
    std::optional<UtcTime> last_error_at;
    std::optional<UtcTime> last_ok_at;
    std::int64_t empty_scans_in_row = 0;
  };
  ScanHealthRow scan_health(MonitorId monitor) const {
    const auto it = scan_health_.find(monitor);
    return it == scan_health_.end() ? ScanHealthRow{} : it->second;
  }
  const std::vector<Batch>& staged() const { return staged_; }
  const std::vector<MonitorInfo>& registered() const { return registered_; }
  const std::vector<std::pair<MonitorId, bool>>& heartbeats() const { return heartbeats_; }
  const std::vector<UtcTime>& process_order() const { return process_order_; }
  // (interval, store time when it was processed)
  const std::vector<std::pair<UtcTime, UtcTime>>& processed_at() const { return processed_at_; }
  const std::vector<std::string>& events() const { return events_; }
  int claims() const { return claims_; }
  std::optional<MonitorId> lease_holder() const {
    if (lease_holder_ && lease_expires_ > clock_.Utc()) return lease_holder_;
    return std::nullopt;
  }
  std::int64_t epoch() const { return epoch_; }
  std::optional<Seconds> fleet_interval() const { return fleet_interval_; }
  void set_journal(std::vector<std::string>* journal) { journal_ = journal; }

 private:
  void Reach(const char* what) {
    if (down) {
      Note(std::string(what) + " unavailable");
      throw Unavailable(std::string("store down during ") + what);
    }
    try {
      faults.Reach("store", what);
    } catch (const std::exception&) {
      Note(std::string(what) + " failed");
      throw;
    }
  }
  void Note(std::string event) {
    if (journal_) journal_->push_back(event);
    events_.push_back(std::move(event));
  }

  FakeClock& clock_;
  std::vector<std::string>* journal_ = nullptr;
  std::map<std::string, MonitorId> monitor_ids_;
  std::map<MonitorId, std::string> names_;
  MonitorId next_monitor_id_ = 1;
  std::vector<MonitorInfo> registered_;
  std::optional<Seconds> fleet_interval_;
  std::vector<std::pair<MonitorId, bool>> heartbeats_;
  std::map<MonitorId, ScanHealthRow> scan_health_;
  std::set<std::pair<MonitorId, std::int64_t>> seen_batches_;
  std::vector<Batch> staged_;
  std::map<UtcTime, std::vector<StagedReading>> rows_;
  std::set<UtcTime> processed_;
  std::vector<UtcTime> process_order_;
  std::vector<std::pair<UtcTime, UtcTime>> processed_at_;
  std::optional<MonitorId> lease_holder_;
  UtcTime lease_expires_{};
  std::int64_t epoch_ = 0;
  int claims_ = 0;
  std::vector<std::string> events_;
};

// For the tests where the order of interactions is the point.
class MockScanner : public Scanner {
 public:
  MOCK_METHOD(ScanResult, Scan, (Seconds window, std::stop_token stop), (override));
};

class MockScanStore : public ScanStore {
 public:
  MOCK_METHOD(MonitorId, RegisterMonitor, (const MonitorInfo& info), (override));
  MOCK_METHOD(Seconds, FleetInterval, (Seconds configured), (override));
  MOCK_METHOD(void, Heartbeat, (MonitorId monitor, bool active), (override));
  MOCK_METHOD(UtcTime, StoreNow, (), (override));
  MOCK_METHOD(void, RecordScanHealth, (MonitorId monitor, const ScanHealthUpdate& update),
              (override));
  MOCK_METHOD(bool, StageBatch, (const Batch& batch), (override));
};

class MockProcessorStore : public ProcessorStore {
 public:
  MOCK_METHOD(LeaseAnswer, ClaimLease, (MonitorId monitor, Seconds ttl), (override));
  MOCK_METHOD(void, ReleaseLease, (MonitorId monitor, std::int64_t epoch), (override));
  MOCK_METHOD(LeaseStatus, Lease, (), (override));
  MOCK_METHOD(std::vector<UtcTime>, PendingIntervals, (UtcTime latest_due), (override));
  MOCK_METHOD(ProcessOutcome, ProcessInterval,
              (UtcTime interval_start, MonitorId monitor, std::int64_t epoch), (override));
};

}  // namespace blemon::testing
