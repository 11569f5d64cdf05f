#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/auto_calibration.h"
#include "blemon/config.h"
#include "blemon/interval.h"
#include "blemon/lease_policy.h"
#include "blemon/ports.h"
#include "blemon/presence_runner.h"
#include "blemon/privacy.h"
#include "blemon/retention.h"

namespace blemon {

// What a cycle did, for STATUS lines, tests and the log.
struct CycleReport {
  std::optional<UtcTime> interval_start;  // the interval scanned (nullopt: no scan, e.g. stopped)
  int readings = 0;
  std::optional<std::string> scan_error;
  // The scan did not really listen (an error other than a stop): counted in the store's
  // monitors.scans_failed, and --single exits 69.
  bool scan_failed = false;
  int batches_sent = 0;
  std::int64_t spool_pending = 0;
  int spool_dropped = 0;
  // Spooled batches dropped because the store can never take them (stamped by a wrong clock, or
  // refused while a later batch was taken).
  int batches_unstorable = 0;
  int intervals_processed = 0;
  bool processor = false;
  bool store_reachable = false;
};

enum class StartOutcome {
  kReady,
  // process_intervals without standby, and another live monitor holds the lease.
  kProcessorHeldElsewhere,
};

// The monitor's loop: register → scan → spool and send → process due intervals if processor →
// heartbeat → sleep to the next aligned scan. Store outages are survived: scans go to the spool
// and are sent, oldest first, once the store is back; registration is retried each cycle.
//
// Failure policy: each port call is handled on its own, by what failed, never by a `try` around
// several ports (docs/monitor.md has the same table). "Refused" from the store means the store
// answered no; from the spool (a damaged file) it is the spool's fault, like its I/O errors.
//
//   step (port call)            Unavailable                  Refused                  other
//   ------------------------    -------------------------    ---------------------    -----------
//   scan (Scanner::Scan)        never thrown: ScanResult.error (not a stop) = a failed scan,
//                                 logged ERROR, counted (RecordScanHealth), the readings kept
//   spool append                logged ERROR, the scan is sent straight to the store (numbered
//                                 from the wall clock); lost, logged ERROR, only if that fails
//   register / fleet interval   keep spooling, retry next    end the monitor: Start/  -
//     (Start, any cycle)          cycle (store unreachable)    RunOnce throw Refused
//   clock (StoreNow)            last difference kept         logged ERROR             -
//                                 (our clock off by more than max_clock_skew, or before 2025:
//                                 no scan is stamped; logged ERROR, counted as a failed scan)
//   spool read (Oldest)         stop sending this cycle, logged ERROR; store not blamed
//   send batch (StageBatch)     stop sending, batch kept,    stepped over, logged     -
//                                 store unreachable            ERROR; dropped (counted)
//                                                              once a later batch is
//                                                              stored, else kept
//   (before sending)            a batch stamped before 2025, or in the database's future: dropped,
//                                 counted, logged ERROR (it can never be stored rightly)
//   spool remove                stop sending, logged ERROR: the store has the batch, the resend
//                                 is recognised by (monitor_id, batch_seq)
//   spool trim / pending        logged ERROR, the cycle goes on
//   lease claim at Start        scan only, claim next cycle  Start throws Refused     -
//   lease renew                 keep the role until it       logged ERROR, role not   -
//                                 expires locally, retry       taken this cycle
//   process (pending, process)  stop, retry next cycle       logged ERROR, rows stay  LeaseLost:
//                                                              unprocessed, retry       step down
//   retention (once a day)      logged WARNING, retry next   logged ERROR, retry a    LeaseLost:
//                                 cycle                        day later                step down
//   heartbeat, scan health      logged DEBUG, health kept    logged ERROR             -
//                                 and sent next cycle
//   advertise (Advertiser)      never thrown: AdvertiseOutcome.error = not on the air, logged
//                                 WARNING once (not every cycle) until it is on the air again;
//                                 retried before every scan; scanning goes on regardless
//   Shutdown: send, release,    each step logged WARNING and the next one tried; never throws;
//     heartbeat inactive,         after a refused registration the store is left alone
//     stop advertising
class MonitorCycle {
 public:
  struct Ports {
    Scanner& scanner;
    ScanStore& store;
    ProcessorStore* processor_store;  // null unless process_intervals
    Spool& spool;
    Clock& clock;
    Logger& log;
    // The monitor's own beacon (null: not advertising). Started once the store has given this
    // monitor its id, kept up before every scan, stopped by Shutdown.
    Advertiser* advertiser = nullptr;
  };

  MonitorCycle(const Config& config, const Schedule& schedule, Ports ports);

  // Registers and, if configured, claims the processor lease. A store that is down is not an
  // error here (the monitor scans into its spool); Refused (for instance a fleet interval that
  // differs from ours) propagates. Returns kProcessorHeldElsewhere with holder() filled in when
  // the refusal message should be given.
  StartOutcome Start();
  // The lease holder's name when Start() refused.
  const std::string& holder() const { return holder_name_; }

  // Waits for the next aligned scan window, scans, sends, processes, heartbeats.
  CycleReport RunOnce(std::stop_token stop);
  // One cycle right now, not aligned (--single): scan, send, and as processor process every
  // pending interval including the one just scanned.
  CycleReport RunImmediately(std::stop_token stop);
  // RunOnce until stopped.
  void Run(std::stop_token stop);
  // Best effort on the way out: send what the spool holds, release the lease, mark inactive.
  // Never throws, whatever the ports do.
  void Shutdown() noexcept;

  // As processor, run presence after processing each cycle (and publish it): `runner` outlives
  // the cycle. Without it no presence is run.
  void AttachPresence(PresenceRunner* runner) { presence_ = runner; }
  // As processor, refit calibration after each interval processed, right after its transaction
  // (auto_calibrate): `calibrator` outlives the cycle. Without it offsets stay as they are.
  void AttachCalibration(AutoCalibrator* calibrator) { calibrator_ = calibrator; }
  // As processor, run retention (blemon/retention.h) once a day after processing: `runner`
  // outlives the cycle. Without it nothing is ever removed.
  void AttachRetention(RetentionRunner* runner) { retention_ = runner; }

  // Privacy mode (docs/privacy.md): each scan is pseudonymised before it is spooled, sent or
  // logged. `load_watched` is asked each cycle for what stays raw; when it throws (the store is
  // away) the last list is kept, and until one has loaded every address is hashed. Both outlive
  // the cycle.
  using WatchedLoader = std::function<WatchedDevices()>;
  void AttachPrivacy(Pseudonymiser* pseudonymiser, WatchedLoader load_watched) {
    pseudonymiser_ = pseudonymiser;
    load_watched_ = std::move(load_watched);
  }

  std::optional<MonitorId> monitor_id() const { return monitor_id_; }
  bool is_processor() const;

 private:
  CycleReport Cycle(UtcTime interval_start, bool process_everything, std::stop_token stop);
  UtcTime Now() const;
  bool SleepUntilUtc(UtcTime target, std::stop_token stop);
  bool EnsureRegistered();
  void RenewLeaseIfDue();
  // The cycle's steps, in order.
  void CheckClock();
  ScanResult ScanIfClockTrusted(CycleReport& report, UtcTime scan_time, std::stop_token stop);
  void LogDroppedAdverts(const ScanStats& stats);
  void Pseudonymise(std::vector<Reading>& readings, UtcTime scan_time);
  void SpoolScan(UtcTime interval_start, UtcTime scan_time, const std::vector<Reading>& readings,
                 CycleReport& report);
  void SendUnspooled(UtcTime interval_start, UtcTime scan_time,
                     const std::vector<Reading>& readings, CycleReport& report);
  int SendSpool(CycleReport& report);
  void MaintainSpool(CycleReport& report);
  void ProcessStep(UtcTime interval_start, bool process_everything, CycleReport& report,
                   std::stop_token stop);
  int ProcessDue(UtcTime latest_due);
  void RunPresence(UtcTime latest_due);
  void RunRetention();
  void Heartbeat(bool active);
  // Puts the beacon on the air if there is an advertiser and a monitor id; logs what changed.
  void KeepAdvertising();
  void NoteScanHealth(const ScanResult& scan, UtcTime scan_time, bool failed);
  // The clock: what is wrong with ours (nullopt: nothing), and the database's time by ours.
  std::optional<std::string> ClockProblem();
  UtcTime FleetNow();
  // Sending, one port call each (the failure policy above).
  enum class StageOutcome { kStored, kAlreadyStored, kUnavailable, kRefused };
  std::optional<SpooledBatch> ReadSpoolAfter(std::int64_t batch_seq);
  StageOutcome StageSpooled(const Batch& batch, CycleReport& report);
  bool ForgetSpooled(std::int64_t batch_seq);
  std::optional<std::string> UnstorableTime(const SpooledBatch& batch);
  void DropUnstorable(const SpooledBatch& batch, std::string_view why, CycleReport& report);
  void ReleaseLeaseIfHeld();

  Config config_;
  Schedule schedule_;
  Ports ports_;
  LeasePolicy lease_;
  std::optional<MonitorId> monitor_id_;
  bool fleet_interval_checked_ = false;
  std::optional<UtcTime> last_scanned_;
  std::string holder_name_;
  bool refusal_logged_ = false;
  bool refused_ = false;          // the store refused this monitor's registration
  ScanHealthUpdate scan_health_;  // not yet told to the store
  // The database's clock minus ours, as last measured (nullopt: never reached).
  std::optional<Seconds> clock_behind_;
  std::int64_t last_unspooled_seq_ = 0;  // the batch_seq of the last scan sent without the spool
  PresenceRunner* presence_ = nullptr;
  AutoCalibrator* calibrator_ = nullptr;
  RetentionRunner* retention_ = nullptr;
  // What the log last said about advertising (on the air, or why not), so each change is logged
  // once rather than every cycle.
  enum class AdvertisingLogged { kNothing, kOnAir, kNotOnAir };
  AdvertisingLogged advertising_logged_ = AdvertisingLogged::kNothing;
  Pseudonymiser* pseudonymiser_ = nullptr;
  WatchedLoader load_watched_;
};

}  // namespace blemon
