#include "blemon/monitor_cycle.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "blemon/beacon.h"
#include "blemon/errors.h"
#include "blemon/time.h"

namespace blemon {
namespace {

// No clock that reads earlier than this has been set: a Pi without a real-time clock starts at
// 1970 (or at its last shutdown) until NTP answers.
constexpr UtcTime kEarliestTrustedTime{Seconds{1'735'689'600}};  // 2025-01-01 00:00:00 UTC

// monitor.position_x/y as the store takes them (the config checked they come together).
std::optional<MonitorPosition> PositionOf(const MonitorSettings& m) {
  if (!m.position_x || !m.position_y) return std::nullopt;
  return MonitorPosition{.x = *m.position_x, .y = *m.position_y};
}

}  // namespace

MonitorCycle::MonitorCycle(const Config& config, const Schedule& schedule, Ports ports)
    : config_(config),
      schedule_(schedule),
      ports_(ports),
      lease_(config.monitor.processor_lease_ttl) {}

UtcTime MonitorCycle::Now() const { return std::chrono::floor<Seconds>(ports_.clock.UtcNow()); }

bool MonitorCycle::SleepUntilUtc(UtcTime target, std::stop_token stop) {
  // Sleep on the steady clock, re-reading the wall clock after each wake-up: a wall-clock jump
  // then changes which interval we are in, but never makes us sleep through or repeat one.
  Clock& clock = ports_.clock;
  for (WallTime now = clock.UtcNow(); now < target; now = clock.UtcNow()) {
    const auto left = std::chrono::ceil<SteadyTime::duration>(target - now);
    if (!clock.SleepUntil(clock.SteadyNow() + left, stop)) return false;
  }
  return true;
}

bool MonitorCycle::is_processor() const { return lease_.IsProcessor(ports_.clock.SteadyNow()); }

StartOutcome MonitorCycle::Start() {
  if (!EnsureRegistered()) return StartOutcome::kReady;  // scanning into the spool until it's back
  // Scans left by a previous run (crash, outage) go out now rather than after the next scan.
  CycleReport unused;
  SendSpool(unused);
  if (ports_.processor_store == nullptr) return StartOutcome::kReady;

  const SteadyTime sent_at = ports_.clock.SteadyNow();
  LeaseAnswer answer;
  try {
    answer = ports_.processor_store->ClaimLease(*monitor_id_, lease_.ttl());
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Could not claim the processor role yet: {}", e.what()));
    return StartOutcome::kReady;
  }
  lease_.OnAnswer(sent_at, answer);
  if (answer.granted) {
    ports_.log.Log(LogLevel::kInfo,
                   fmt::format("Claimed the interval processor role (epoch {})", answer.epoch));
    return StartOutcome::kReady;
  }
  holder_name_ = answer.holder_name;
  if (!config_.monitor.processor_standby) return StartOutcome::kProcessorHeldElsewhere;
  ports_.log.Log(LogLevel::kInfo,
                 fmt::format("Standing by: {} is the interval processor for another {} s",
                             answer.holder_name, answer.remaining.count()));
  return StartOutcome::kReady;
}

CycleReport MonitorCycle::RunOnce(std::stop_token stop) {
  const IntervalClock& intervals = schedule_.intervals();
  // The next window that has not begun yet (a scan is never joined late), and never an interval
  // scanned before, even if the wall clock was set back.
  UtcTime target = schedule_.NextScanStart(Now() + Seconds{1});
  if (last_scanned_ && intervals.StartOf(target) <= *last_scanned_) {
    target = *last_scanned_ + intervals.length() + config_.monitor.scan_offset;
  }
  if (!SleepUntilUtc(target, stop)) return CycleReport{};
  const UtcTime interval_start = intervals.StartOf(Now());
  last_scanned_ = interval_start;
  return Cycle(interval_start, /*process_everything=*/false, stop);
}

CycleReport MonitorCycle::RunImmediately(std::stop_token stop) {
  const UtcTime interval_start = schedule_.intervals().StartOf(Now());
  last_scanned_ = interval_start;
  return Cycle(interval_start, /*process_everything=*/true, stop);
}

void MonitorCycle::Run(std::stop_token stop) {
  while (!stop.stop_requested()) RunOnce(stop);
}

CycleReport MonitorCycle::Cycle(UtcTime interval_start, bool process_everything,
                                std::stop_token stop) {
  CycleReport report;
  report.interval_start = interval_start;
  ports_.log.Log(LogLevel::kInfo,
                 fmt::format("Starting scan cycle for interval: {}", UtcLabel(interval_start)));
  CheckClock();
  KeepAdvertising();
  const UtcTime scan_time = Now();
  ScanResult scan = ScanIfClockTrusted(report, scan_time, stop);
  if (pseudonymiser_ != nullptr) Pseudonymise(scan.readings, scan_time);
  // The scan is committed locally before anything is sent, so a database outage or a crash from
  // here on loses nothing.
  if (!scan.readings.empty()) SpoolScan(interval_start, scan_time, scan.readings, report);
  report.batches_sent += SendSpool(report);
  MaintainSpool(report);
  if (ports_.processor_store != nullptr && !stop.stop_requested()) {
    ProcessStep(interval_start, process_everything, report, stop);
  }
  report.processor = is_processor();
  Heartbeat(true);
  return report;
}

void MonitorCycle::CheckClock() {
  try {
    // Against the middle of the call, so a slow answer (a reconnect) does not look like skew.
    const UtcTime before = Now();
    const UtcTime theirs = ports_.store.StoreNow();
    const UtcTime ours = before + (Now() - before) / 2;
    clock_behind_ = std::chrono::floor<Seconds>(theirs - ours);
  } catch (const Unavailable&) {
    // Kept: the last difference measured is the best guess while the store is away.
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused to tell its clock: {}", e.what()));
  }
}

std::optional<std::string> MonitorCycle::ClockProblem() {
  const UtcTime now = Now();
  if (now < kEarliestTrustedTime) {
    return fmt::format(
        "this monitor's clock reads {}, before 2025: it has not been set (no NTP yet?); readings "
        "are not stored until it is (check `timedatectl`)",
        UtcLabel(now));
  }
  if (clock_behind_ && std::chrono::abs(*clock_behind_) > config_.monitor.max_clock_skew) {
    return fmt::format(
        "this monitor's clock is {} s {} the database's ({} here, {} there), more than "
        "monitor.max_clock_skew_seconds = {}: readings are not stored until it is fixed (check "
        "NTP: `timedatectl`)",
        std::chrono::abs(*clock_behind_).count(),
        *clock_behind_ > Seconds{0} ? "behind" : "ahead of", UtcLabel(now),
        UtcLabel(now + *clock_behind_), config_.monitor.max_clock_skew.count());
  }
  return std::nullopt;
}

UtcTime MonitorCycle::FleetNow() { return Now() + clock_behind_.value_or(Seconds{0}); }

ScanResult MonitorCycle::ScanIfClockTrusted(CycleReport& report, UtcTime scan_time,
                                            std::stop_token stop) {
  Logger& log = ports_.log;
  ScanResult scan;
  if (auto problem = ClockProblem()) {
    // Readings stamped with a wrong time would be stored as the wrong interval for good (and a
    // 1970 batch can be unstorable): better none, loudly, counted as a failed scan.
    scan.error = std::move(problem);
  } else {
    log.Log(LogLevel::kInfo, fmt::format("Starting BLE scan for {} seconds...",
                                         config_.monitor.scan_duration.count()));
    scan = ports_.scanner.Scan(config_.monitor.scan_duration, stop);
  }
  report.readings = static_cast<int>(scan.readings.size());
  report.scan_error = scan.error;
  // A scan cut short by a stop listened as long as it was allowed to; any other error means the
  // radio did not (fully) listen, and "Found 0 devices" would be a lie about the room.
  report.scan_failed = scan.error.has_value() && !stop.stop_requested();
  NoteScanHealth(scan, scan_time, report.scan_failed);
  if (report.scan_failed) {
    log.Log(LogLevel::kError,
            fmt::format("Scan FAILED, this monitor is not listening ({} devices heard): {}",
                        scan.readings.size(), *scan.error));
  } else {
    if (scan.error) log.Log(LogLevel::kWarning, fmt::format("Scan incomplete: {}", *scan.error));
    log.Log(LogLevel::kInfo, fmt::format("Scan complete. Found {} devices", scan.readings.size()));
  }
  LogDroppedAdverts(scan.stats);
  return scan;
}

void MonitorCycle::LogDroppedAdverts(const ScanStats& s) {
  if (s.dropped_unknown_rssi + s.dropped_invalid_rssi + s.dropped_invalid_address +
          s.dropped_no_rssi + s.ignored_beacons ==
      0) {
    return;
  }
  ports_.log.Log(LogLevel::kDebug,
                 fmt::format("Adverts: {} heard, dropped {} with unknown RSSI, {} with RSSI out "
                             "of range, {} without RSSI, {} with a bad address; ignored {} "
                             "malformed monitor beacons",
                             s.adverts, s.dropped_unknown_rssi, s.dropped_invalid_rssi,
                             s.dropped_no_rssi, s.dropped_invalid_address, s.ignored_beacons));
}

void MonitorCycle::Pseudonymise(std::vector<Reading>& readings, UtcTime scan_time) {
  try {
    pseudonymiser_->SetWatched(load_watched_());
  } catch (const std::exception& e) {
    // The last list stays (none yet: everything is hashed), so an outage never leaks an address.
    ports_.log.Log(
        LogLevel::kWarning,
        fmt::format("Could not refresh the watch list, kept the last one: {}", e.what()));
  }
  pseudonymiser_->Apply(readings, scan_time);
}

void MonitorCycle::SpoolScan(UtcTime interval_start, UtcTime scan_time,
                             const std::vector<Reading>& readings, CycleReport& report) {
  try {
    ports_.spool.Append(interval_start, scan_time, readings);
    return;
  } catch (const std::exception& e) {
    // A full disk must not cost scans the database could take.
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Could not write the scan to the spool ({}): sending it straight "
                               "to the database instead",
                               e.what()));
  }
  SendUnspooled(interval_start, scan_time, readings, report);
}

void MonitorCycle::SendUnspooled(UtcTime interval_start, UtcTime scan_time,
                                 const std::vector<Reading>& readings, CycleReport& report) {
  const auto lost = [&](std::string_view why) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Scan of interval {} lost, {} readings: the spool cannot be "
                               "written and {}",
                               UtcLabel(interval_start), readings.size(), why));
  };
  if (!EnsureRegistered()) return lost("the database is unavailable");
  report.store_reachable = true;
  // The spool hands out batch numbers; without it they come from the wall clock in microseconds,
  // as the spool's own do, so they never meet one it gave or will give.
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          ports_.clock.UtcNow().time_since_epoch())
                          .count();
  last_unspooled_seq_ = std::max<std::int64_t>(micros, last_unspooled_seq_ + 1);
  const Batch batch{.monitor_id = *monitor_id_,
                    .batch_seq = last_unspooled_seq_,
                    .interval_start = interval_start,
                    .scan_time = scan_time,
                    .readings = readings};
  const StageOutcome outcome = StageSpooled(batch, report);
  if (outcome == StageOutcome::kUnavailable) return lost("the database is unavailable");
  if (outcome == StageOutcome::kRefused) return lost("the database refused it");
  ++report.batches_sent;
  ports_.log.Log(LogLevel::kWarning,
                 fmt::format("Stored {} sightings in staging for interval {} straight, without "
                             "the spool",
                             readings.size(), UtcLabel(interval_start)));
}

void MonitorCycle::MaintainSpool(CycleReport& report) {
  try {
    report.spool_dropped =
        ports_.spool.Trim({config_.spool.max_age, config_.spool.max_batches}, Now());
    if (report.spool_dropped > 0) {
      ports_.log.Log(LogLevel::kWarning,
                     fmt::format("Spool over its limits: dropped the {} oldest unsent scans",
                                 report.spool_dropped));
    }
    report.spool_pending = ports_.spool.Pending();
  } catch (const std::exception& e) {
    ports_.log.Log(LogLevel::kError, fmt::format("Spool maintenance failed: {}", e.what()));
  }
}

void MonitorCycle::ProcessStep(UtcTime interval_start, bool process_everything, CycleReport& report,
                               std::stop_token stop) {
  UtcTime latest_due = interval_start;
  if (!process_everything) {
    // Give the other monitors' scans time to arrive before this interval is decided.
    SleepUntilUtc(schedule_.ProcessableAt(interval_start), stop);
    latest_due = schedule_.LatestDueInterval(Now());
  }
  if (stop.stop_requested()) return;
  if (ClockProblem() && clock_behind_) {
    // Which intervals are due is the fleet's question: with our clock wrong, ask the database's,
    // or the rest of the fleet's rows would wait unprocessed (for ever, with a 1970 clock).
    const UtcTime fleet_now = FleetNow();
    latest_due = process_everything ? schedule_.intervals().StartOf(fleet_now)
                                    : schedule_.LatestDueInterval(fleet_now);
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Processing by the database's clock ({}): this monitor's clock "
                               "is wrong",
                               UtcLabel(fleet_now)));
  }
  RenewLeaseIfDue();
  if (is_processor()) report.intervals_processed = ProcessDue(latest_due);
  if (is_processor()) RunPresence(latest_due);
  if (is_processor()) RunRetention();
}

void MonitorCycle::RunRetention() {
  if (retention_ == nullptr) return;
  try {
    retention_->RunIfDue(*monitor_id_, lease_.epoch());
  } catch (const LeaseLost& e) {
    lease_.OnLost();
    ports_.log.Log(
        LogLevel::kWarning,
        fmt::format("No longer the interval processor, stopped retention: {}", e.what()));
  }
}

void MonitorCycle::RunPresence(UtcTime latest_due) {
  if (presence_ == nullptr) return;
  try {
    presence_->RunDue(latest_due, *monitor_id_, lease_.epoch());
  } catch (const LeaseLost& e) {
    lease_.OnLost();
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("No longer the interval processor, stopped presence: {}", e.what()));
    return;
  }
  presence_->Publish();
}

bool MonitorCycle::EnsureRegistered() {
  if (monitor_id_) return true;
  const MonitorSettings& m = config_.monitor;
  try {
    const MonitorId id =
        ports_.store.RegisterMonitor(MonitorInfo(m.name, m.location, m.description, PositionOf(m)));
    if (!fleet_interval_checked_) {
      const Seconds fleet = ports_.store.FleetInterval(m.scan_interval);
      if (fleet != m.scan_interval) {
        throw Refused(fmt::format(
            "the fleet's interval is {} s (kept in the database) but this monitor is configured "
            "for {} s: set monitor.scan_interval_seconds = {} (every monitor must use the same)",
            fleet.count(), m.scan_interval.count(), fleet.count()));
      }
      fleet_interval_checked_ = true;
    }
    monitor_id_ = id;
    ports_.log.Log(LogLevel::kInfo, fmt::format("Monitor registered: {} (ID: {})", m.name, id));
    KeepAdvertising();  // the beacon names the monitor by its id: now it can go on the air
    return true;
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Database unavailable, scans are kept in the spool: {}", e.what()));
    return false;
  } catch (const Refused&) {
    refused_ = true;  // the caller ends the monitor; Shutdown() then leaves the store alone
    throw;
  }
}

int MonitorCycle::SendSpool(CycleReport& report) {
  if (!EnsureRegistered()) return 0;
  report.store_reachable = true;
  int sent = 0;
  // A batch the store refuses is stepped over, so one bad batch cannot hold back the rest. If the
  // store then takes a later one, the refusal was about that batch (unstorable): it is dropped,
  // counted and logged. If the next is refused too, the store refuses this monitor: all are kept.
  std::optional<SpooledBatch> suspect;
  std::int64_t after = Spool::kBeforeEveryBatch;
  while (auto spooled = ReadSpoolAfter(after)) {
    if (auto why = UnstorableTime(*spooled)) {
      DropUnstorable(*spooled, *why, report);
      continue;
    }
    const Batch batch{.monitor_id = *monitor_id_,
                      .batch_seq = spooled->batch_seq,
                      .interval_start = spooled->interval_start,
                      .scan_time = spooled->scan_time,
                      .readings = std::move(spooled->readings)};
    const StageOutcome outcome = StageSpooled(batch, report);
    if (outcome == StageOutcome::kUnavailable) break;
    if (outcome == StageOutcome::kRefused) {
      if (suspect) break;
      suspect = SpooledBatch{batch.batch_seq, batch.interval_start, batch.scan_time, {}};
      after = batch.batch_seq;
      continue;
    }
    // Only now, with the store's commit behind us, may the spool forget the batch.
    if (!ForgetSpooled(batch.batch_seq)) break;
    ++sent;
    ports_.log.Log(LogLevel::kInfo,
                   outcome == StageOutcome::kStored
                       ? fmt::format("Stored {} sightings in staging for interval {}",
                                     batch.readings.size(), UtcLabel(batch.interval_start))
                       : fmt::format("Scan of interval {} was already stored; not "
                                     "stored again",
                                     UtcLabel(batch.interval_start)));
    if (suspect) {
      DropUnstorable(*suspect, "the database refused it but took a later batch", report);
      suspect.reset();
    }
  }
  return sent;
}

std::optional<std::string> MonitorCycle::UnstorableTime(const SpooledBatch& batch) {
  if (batch.scan_time < kEarliestTrustedTime) {
    return fmt::format("stamped {} by a clock that had not been set", UtcLabel(batch.scan_time));
  }
  if (clock_behind_ && batch.scan_time > FleetNow() + config_.monitor.max_clock_skew) {
    return fmt::format("stamped {}, in the database's future, by a clock that ran ahead",
                       UtcLabel(batch.scan_time));
  }
  return std::nullopt;
}

void MonitorCycle::DropUnstorable(const SpooledBatch& batch, std::string_view why,
                                  CycleReport& report) {
  if (!ForgetSpooled(batch.batch_seq)) return;
  ++report.batches_unstorable;
  ports_.log.Log(LogLevel::kError,
                 fmt::format("Dropped spooled batch {} (interval {}), which can never be stored: "
                             "{}",
                             batch.batch_seq, UtcLabel(batch.interval_start), why));
}

std::optional<SpooledBatch> MonitorCycle::ReadSpoolAfter(std::int64_t batch_seq) {
  try {
    return ports_.spool.OldestAfter(batch_seq);
  } catch (const std::exception& e) {
    // The spool's own fault (damaged file, disk error): the store is not to blame, and what the
    // spool holds stays where it is for the next cycle.
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Could not read the spool, unsent scans wait there: {}", e.what()));
    return std::nullopt;
  }
}

MonitorCycle::StageOutcome MonitorCycle::StageSpooled(const Batch& batch, CycleReport& report) {
  try {
    return ports_.store.StageBatch(batch) ? StageOutcome::kStored : StageOutcome::kAlreadyStored;
  } catch (const Unavailable& e) {
    report.store_reachable = false;
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Database unavailable, scans are kept in the spool: {}", e.what()));
    return StageOutcome::kUnavailable;
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused spooled batch {} (interval {}); kept for "
                               "now: {}",
                               batch.batch_seq, UtcLabel(batch.interval_start), e.what()));
    return StageOutcome::kRefused;
  }
}

bool MonitorCycle::ForgetSpooled(std::int64_t batch_seq) {
  try {
    ports_.spool.Remove(batch_seq);
    return true;
  } catch (const std::exception& e) {
    // The store has the batch; the next cycle resends it and the store recognises the resend.
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The store has batch {} but the spool could not forget it (it "
                               "will be resent and recognised): {}",
                               batch_seq, e.what()));
    return false;
  }
}

void MonitorCycle::RenewLeaseIfDue() {
  if (!monitor_id_ || ports_.processor_store == nullptr) return;
  const SteadyTime now = ports_.clock.SteadyNow();
  if (!lease_.ShouldRenew(now)) return;
  const bool was_processor = lease_.IsProcessor(now);
  const std::int64_t held_epoch = lease_.epoch();
  try {
    const LeaseAnswer answer = ports_.processor_store->ClaimLease(*monitor_id_, lease_.ttl());
    lease_.OnAnswer(now, answer);
    // A renewal keeps the epoch; a new one means the role has just come to this monitor.
    if (answer.granted && answer.epoch != held_epoch) {
      ports_.log.Log(LogLevel::kInfo,
                     fmt::format("Took the interval processor role (epoch {})", answer.epoch));
    } else if (!answer.granted && was_processor) {
      ports_.log.Log(LogLevel::kWarning,
                     fmt::format("Lost the interval processor role to {}", answer.holder_name));
    } else if (!answer.granted && !config_.monitor.processor_standby && !refusal_logged_) {
      // Start() could not ask (store down) and now another monitor holds the role: keep scanning,
      // but say so, since this monitor was meant to be the processor.
      refusal_logged_ = true;
      ports_.log.Log(LogLevel::kWarning,
                     fmt::format("Another monitor is already the interval processor: {}; this "
                                 "monitor only scans (set process_intervals = false, or "
                                 "processor_standby = true to take over when it stops)",
                                 answer.holder_name));
    }
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Could not renew the processor role: {}", e.what()));
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused the processor claim: {}", e.what()));
  }
}

int MonitorCycle::ProcessDue(UtcTime latest_due) {
  int processed = 0;
  try {
    for (const UtcTime interval : ports_.processor_store->PendingIntervals(latest_due)) {
      if (!lease_.IsProcessor(ports_.clock.SteadyNow())) break;
      const ProcessOutcome outcome =
          ports_.processor_store->ProcessInterval(interval, *monitor_id_, lease_.epoch());
      ++processed;
      ports_.log.Log(
          LogLevel::kInfo,
          fmt::format("Processed interval {} - selected best RSSI per device ({} "
                      "readings, {} sightings written, {} new devices, {} address "
                      "links)",
                      UtcLabel(interval), outcome.staging_rows, outcome.sightings_changed,
                      outcome.devices_added, outcome.links_added));
      if (calibrator_ != nullptr)
        calibrator_->AfterInterval(interval, *monitor_id_, lease_.epoch());
    }
  } catch (const LeaseLost& e) {
    lease_.OnLost();
    ports_.log.Log(
        LogLevel::kWarning,
        fmt::format("No longer the interval processor, stopped processing: {}", e.what()));
  } catch (const Unavailable& e) {
    ports_.log.Log(
        LogLevel::kWarning,
        fmt::format("Database unavailable, processing resumes next cycle: {}", e.what()));
  } catch (const Refused& e) {
    // The staging rows stay unprocessed, so nothing is lost; the operator has to look.
    ports_.log.Log(
        LogLevel::kError,
        fmt::format("The database refused processing, retried next cycle: {}", e.what()));
  }
  return processed;
}

void MonitorCycle::Heartbeat(bool active) {
  if (!monitor_id_) return;
  try {
    ports_.store.Heartbeat(*monitor_id_, active);
    if (!active) return;
    ports_.store.RecordScanHealth(*monitor_id_, scan_health_);
    // Told: the next update carries only what happens from now on.
    const std::int64_t empty_in_row = scan_health_.empty_scans_in_row;
    scan_health_ = ScanHealthUpdate{};
    scan_health_.empty_scans_in_row = empty_in_row;
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kDebug, fmt::format("Heartbeat not recorded: {}", e.what()));
  } catch (const Refused& e) {
    // The scans still reach the store; only the dashboard's view of this monitor goes stale.
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused the heartbeat: {}", e.what()));
  }
}

void MonitorCycle::NoteScanHealth(const ScanResult& scan, UtcTime scan_time, bool failed) {
  if (failed) {
    ++scan_health_.new_failures;
    std::string error = scan.error.value_or("scan failed");
    if (error.size() > kMaxScanErrorBytes) {
      // Cut on a character boundary: continuation bytes are 10xxxxxx.
      std::size_t cut = kMaxScanErrorBytes;
      while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80) --cut;
      error.resize(cut);
    }
    scan_health_.last_error = std::move(error);
    scan_health_.last_error_at = scan_time;
    return;
  }
  scan_health_.last_ok_at = scan_time;
  scan_health_.empty_scans_in_row = scan.readings.empty() ? scan_health_.empty_scans_in_row + 1 : 0;
}

void MonitorCycle::Shutdown() noexcept {
  // Every step on its own: a refusal or a failure of one must not keep the others from being
  // tried, and nothing may escape (main is already on its way out with its own exit code).
  const auto step = [this](std::string_view what, const auto& action) {
    try {
      action();
    } catch (const std::exception& e) {
      ports_.log.Log(LogLevel::kWarning, fmt::format("Shutdown: {} failed: {}", what, e.what()));
    } catch (...) {
      ports_.log.Log(LogLevel::kWarning, fmt::format("Shutdown: {} failed", what));
    }
  };
  step("sending the spool", [this] {
    CycleReport ignored;
    if (!refused_) SendSpool(ignored);
  });
  step("releasing the processor role", [this] { ReleaseLeaseIfHeld(); });
  step("marking the monitor inactive", [this] { Heartbeat(false); });
  step("withdrawing the beacon", [this] {
    if (ports_.advertiser != nullptr) ports_.advertiser->Stop();
  });
}

void MonitorCycle::KeepAdvertising() {
  if (ports_.advertiser == nullptr || !monitor_id_) return;
  const AdvertiseOutcome outcome = ports_.advertiser->Start(*monitor_id_);
  if (outcome.beacon) {
    if (advertising_logged_ != AdvertisingLogged::kOnAir) {
      const std::string power =
          outcome.tx_power_assumed
              ? fmt::format(
                    "TX power not reported by the adapter: receivers take the advert's "
                    "TX Power Level field, else assume {} dBm",
                    kDefaultBeaconTxPower)
              : fmt::format("TX power {} dBm", outcome.beacon->tx_power);
      ports_.log.Log(LogLevel::kInfo,
                     fmt::format("Advertising this monitor's beacon (monitor ID {}, {}) for the "
                                 "other monitors to hear",
                                 outcome.beacon->monitor_id, power));
    }
    advertising_logged_ = AdvertisingLogged::kOnAir;
  } else if (advertising_logged_ != AdvertisingLogged::kNotOnAir) {
    // Once, not every cycle: an adapter that refuses will most likely refuse for good.
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Not advertising this monitor's beacon (scanning goes on; tried "
                               "again before each scan): {}",
                               outcome.error.value_or("the adapter gave no reason")));
    advertising_logged_ = AdvertisingLogged::kNotOnAir;
  }
}

void MonitorCycle::ReleaseLeaseIfHeld() {
  if (!monitor_id_ || ports_.processor_store == nullptr ||
      !lease_.IsProcessor(ports_.clock.SteadyNow())) {
    return;
  }
  ports_.processor_store->ReleaseLease(*monitor_id_, lease_.epoch());
  lease_.OnLost();
  ports_.log.Log(LogLevel::kInfo, "Released the interval processor role");
}

}  // namespace blemon
