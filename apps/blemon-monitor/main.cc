// blemon-monitor: scans Bluetooth LE advertisements once per interval and stores them, through a
// local spool, in the configured store; the processor monitor also keeps the best-RSSI sightings.
// Everything here is wiring: the cycle itself is blemon::MonitorCycle.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/log.h"
#include "blemon/app/outbound.h"
#include "blemon/app/scanners.h"
#include "blemon/app/state_directory.h"
#include "blemon/app/system_clock.h"
#include "blemon/app/systemd.h"
#include "blemon/app/time_zone.h"
#include "blemon/auto_calibration.h"
#include "blemon/config.h"
#include "blemon/errors.h"
#include "blemon/identity_store.h"
#include "blemon/interval.h"
#include "blemon/monitor_cycle.h"
#include "blemon/presence_runner.h"
#include "blemon/presence_store.h"
#include "blemon/privacy.h"
#include "blemon/reopening_spool.h"
#include "blemon/reopening_store.h"
#include "observed_spool.h"
#include "scan_only.h"
#include "signals.h"

namespace blemon::monitor {
namespace {

using app::kExitConfig;
using app::kExitOk;
using app::kExitTryLater;
using app::kExitUnavailable;
using app::kExitUsage;

// SIGTERM must end the process within 5 s (systemd's and the promise); past this grace
// the spool, which is durable, keeps whatever the shutdown could not send.
constexpr std::chrono::milliseconds kShutdownGrace{4500};

struct Options {
  std::string config_path;
  bool single = false;
  bool simulate = false;
  bool check_config = false;
  bool scan_only = false;
  bool debug = false;
};

// Errors from before the logger exists (configuration, usage). On a journal stream a plain line
// would be filed at the stream's default priority, info; the "<3>" prefix (sd-daemon's SD_ERR),
// which journald reads on streams, files it as an error, as the logger's own errors are.
void PrintError(const std::string& message) {
  std::fprintf(stderr, "%sblemon-monitor: %s\n", app::StderrIsJournal() ? "<3>" : "",
               message.c_str());
}

std::string StatusLine(const CycleReport& r) {
  std::string status = r.interval_start ? fmt::format("Interval {}: {} devices",
                                                      UtcLabel(*r.interval_start), r.readings)
                                        : std::string("No scan");
  if (r.scan_failed) {
    status += " (scan FAILED: not listening)";
  } else if (r.scan_error) {
    status += " (scan error)";
  }
  status += fmt::format("; spool {} pending", r.spool_pending);
  if (r.spool_dropped > 0) status += fmt::format(", {} dropped", r.spool_dropped);
  if (r.processor)
    status += fmt::format("; processor, {} interval(s) processed", r.intervals_processed);
  status += r.store_reachable ? "; store reachable" : "; store UNREACHABLE";
  return status;
}

// The configuration as loaded and the schedule its timings make; what every later step reads.
struct Settings {
  app::LoadedConfig loaded;
  std::optional<Schedule> schedule;
};

// Loads and checks the configuration (the files its keys name, the timings). Configuration
// mistakes are the most common and exit 78 before anything starts: returns that exit code, with
// the mistake printed, or nothing when `settings` is ready.
std::optional<int> LoadSettings(const Options& options, Settings* settings) {
  if (const auto problem = app::ProcessTimeZoneProblem()) {
    PrintError(*problem);
    return kExitConfig;
  }
  try {
    settings->loaded = app::LoadConfig(options.config_path);
    // The files the keys name, as the start needs them; --check-config checks the same.
    app::CheckLocalFiles(settings->loaded, /*check_log_file=*/true);
  } catch (const ConfigError& e) {
    PrintError(e.what());
    return kExitConfig;
  }
  Config& config = settings->loaded.config;
  if (config.monitor.name.empty()) config.monitor.name = app::HostName();
  std::string why;
  settings->schedule = Schedule::Make(config.monitor.schedule(), &why);
  if (!settings->schedule) {
    PrintError(fmt::format("{}: [monitor] timings do not fit: {}", settings->loaded.source, why));
    return kExitConfig;
  }
  return std::nullopt;
}

// --check-config's summary on stdout: what this monitor would do with the configuration.
void PrintConfigSummary(const app::LoadedConfig& loaded) {
  const Config& config = loaded.config;
  std::printf("%s: configuration OK\n", loaded.source.c_str());
  std::printf("  monitor %s (%s), interval %llds, scan %llds at +%llds, %s\n",
              config.monitor.name.c_str(),
              config.monitor.location.empty() ? "no location" : config.monitor.location.c_str(),
              static_cast<long long>(config.monitor.scan_interval.count()),
              static_cast<long long>(config.monitor.scan_duration.count()),
              static_cast<long long>(config.monitor.scan_offset.count()),
              config.monitor.process_intervals
                  ? (config.monitor.processor_standby ? "processor (standby)" : "processor")
                  : "scanner only");
  std::printf("  store: %s\n", app::DescribeStore(config.database).c_str());
}

// The monitor's logger, or null (with the error printed) when monitor.log_file cannot be opened:
// a configuration mistake, so the caller exits 78.
std::unique_ptr<Logger> MakeMonitorLogger(const Options& options, const app::LoadedConfig& loaded) {
  try {
    app::LogOptions log_options;
    log_options.identifier = "blemon-monitor";
    log_options.level = options.debug ? LogLevel::kDebug : loaded.config.monitor.log_level;
    log_options.file = loaded.config.monitor.log_file;
    return app::MakeLogger(log_options);
  } catch (const std::exception& e) {
    PrintError(fmt::format("{}: monitor.log_file: {}", loaded.source, e.what()));
    return nullptr;
  }
}

// The first SIGINT/SIGTERM requests a stop; a shutdown that overruns kShutdownGrace (or a second
// signal) ends the process at once, leaving unsent scans in the durable spool.
std::unique_ptr<SignalWatcher> WatchSignals(std::stop_source& stop, Logger& log) {
  return std::make_unique<SignalWatcher>(
      [&stop, &log](int signo) {
        log.Log(LogLevel::kInfo,
                fmt::format("Received {}, shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM"));
        stop.request_stop();
      },
      kShutdownGrace,
      [&log] {
        log.Log(LogLevel::kWarning,
                "Shutdown did not finish in time; exiting now (unsent scans stay in the spool)");
        std::_Exit(kExitTryLater);
      });
}

// The system clock; under a systemd watchdog its long sleeps ping the watchdog on the way, so a
// quiet wait between intervals is not taken for a hang. `systemd` must outlive the clock.
// rooms.calibration_window_hours in intervals: how many of the newest intervals with beacon
// observations auto_calibrate fits (at least one).
int CalibrationWindowIntervals(const Config& config) {
  const auto intervals = config.rooms.calibration_window / config.monitor.scan_interval;
  return static_cast<int>(std::max<std::int64_t>(intervals, 1));
}

std::unique_ptr<Clock> MakeMonitorClock(const app::SystemdNotifier& systemd) {
  if (auto every = systemd.watchdog_ping_interval()) {
    return app::MakeSystemClock([&systemd] { systemd.Watchdog(); }, *every);
  }
  return app::MakeSystemClock();
}

// The spool, opened on first use and again until it opens: a state directory that cannot be
// written (a full disk) does not stop the monitor, whose scans then go straight to the store.
// The first try happens here so that the log says so at start. `spool_path` is filled in when
// the spool opens and must outlive the spool.
std::unique_ptr<Spool> OpenMonitorSpool(const MonitorSettings& monitor, std::string* spool_path,
                                        Logger& log) {
  auto spool = ObserveSpool(std::make_unique<ReopeningSpool>([&monitor, spool_path] {
                              return app::OpenSpool(monitor, spool_path);
                            }),
                            log);
  try {
    spool->Pending();
  } catch (const std::exception& e) {
    log.Log(LogLevel::kError, fmt::format("The spool cannot be used, scans go straight to the "
                                          "database until it can: {}",
                                          e.what()));
  }
  return spool;
}

// Starts the cycle (registers the monitor, claims the processor role if configured). Returns the
// exit code when the monitor cannot run, with the reason logged, or nothing when it may.
std::optional<int> StartCycle(MonitorCycle& cycle, Logger& log) {
  try {
    if (cycle.Start() == StartOutcome::kProcessorHeldElsewhere) {
      log.Log(LogLevel::kError,
              fmt::format("Another monitor is already the interval processor: {}. Only one "
                          "monitor may have process_intervals = true; set it to false here, or "
                          "set processor_standby = true to take over when {} stops.",
                          cycle.holder(), cycle.holder()));
      return kExitTryLater;
    }
  } catch (const Refused& e) {
    log.Log(LogLevel::kError, fmt::format("The store refused this monitor: {}", e.what()));
    return kExitUnavailable;
  } catch (const std::exception& e) {
    log.Log(LogLevel::kError, fmt::format("Start-up failed: {}", e.what()));
    return kExitUnavailable;
  }
  return std::nullopt;
}

// What the processor sends out: MQTT for Home Assistant and the alerts, when [mqtt] or [alerts]
// asks for them (null otherwise, and on a scanner). Returns an exit code when the monitor cannot
// run (a secret file that cannot be read: 78; MQTT options the client refuses or a state
// directory that cannot hold the queues: 69), else nothing.
std::optional<int> OpenOutbound(const Settings& settings, std::unique_ptr<app::Outbound>* outbound,
                                Logger& log) {
  const Config& config = settings.loaded.config;
  if (!config.monitor.process_intervals) return std::nullopt;
  try {
    *outbound = app::Outbound::Open(settings.loaded, app::StateDirectoryOf(config.monitor), log);
  } catch (const ConfigError& e) {
    PrintError(e.what());
    return kExitConfig;
  } catch (const std::exception& e) {
    log.Log(LogLevel::kError, fmt::format("Cannot set up MQTT or alerts: {}", e.what()));
    return kExitUnavailable;
  }
  if (*outbound) log.Log(LogLevel::kInfo, "Presence goes to " + (*outbound)->Describe());
  return std::nullopt;
}

// Privacy mode: what stays raw, read from the central store each cycle with the monitor's own
// database account (the watch list, and the keys of the identities it names).
WatchedDevices LoadWatched(const DatabaseSettings& database) {
  WatchedDevices watched;
  const std::vector<WatchEntry> entries = app::OpenPresenceStore(database)->WatchList();
  const std::vector<StoredIdentity> identities = app::OpenIdentityStore(database)->Identities();
  for (const WatchEntry& entry : entries) {
    if (entry.kind == WatchTargetKind::kMac) {
      if (auto mac = MacAddress::Parse(entry.target)) watched.addresses.insert(*mac);
      continue;
    }
    for (const StoredIdentity& identity : identities) {
      if (identity.name != entry.target) continue;
      watched.identity_keys.push_back(identity.irk);
      if (!identity.byte_order_known) watched.identity_keys.push_back(identity.irk.Reversed());
    }
  }
  return watched;
}

// --single: one scan now. A scan that did not listen is not "0 devices here": it exits 69.
int RunSingleCycle(MonitorCycle& cycle, std::stop_token stop, Logger& log) {
  log.Log(LogLevel::kInfo, "Running single scan mode");
  const CycleReport report = cycle.RunImmediately(stop);
  log.Log(LogLevel::kDebug, StatusLine(report));
  if (report.scan_failed) {
    log.Log(LogLevel::kError, "Single scan failed: the radio did not listen");
    return kExitUnavailable;
  }
  log.Log(LogLevel::kInfo, "Single scan complete");
  return kExitOk;
}

// One cycle per interval until a stop is requested; each cycle's status goes to the debug log,
// to systemd's status line and pings the watchdog.
void RunCyclesUntilStopped(MonitorCycle& cycle, std::stop_source& stop,
                           const app::SystemdNotifier& systemd, Logger& log) {
  log.Log(LogLevel::kInfo, "Starting continuous monitoring");
  while (!stop.stop_requested()) {
    const CycleReport report = cycle.RunOnce(stop.get_token());
    // A stop during the sleep returns an empty report: nothing happened worth a status.
    if (!report.interval_start && stop.stop_requested()) break;
    const std::string status = StatusLine(report);
    log.Log(LogLevel::kDebug, status);
    systemd.Status(status);
    systemd.Watchdog();
  }
}

// Runs the started cycle (once or until stopped) and maps what escapes it to an exit code.
int RunCycles(MonitorCycle& cycle, const Options& options, std::stop_source& stop,
              const app::SystemdNotifier& systemd, Logger& log) {
  try {
    if (options.single) return RunSingleCycle(cycle, stop.get_token(), log);
    RunCyclesUntilStopped(cycle, stop, systemd, log);
    return kExitOk;
  } catch (const Refused& e) {
    // Found once the store answered, e.g. after a start without it (the failure policy in
    // blemon/monitor_cycle.h): the same exit as a refusal at start.
    log.Log(LogLevel::kError, fmt::format("The store refused this monitor: {}", e.what()));
  } catch (const std::exception& e) {
    // The cycle survives store outages on its own; what reaches here (a bug) is not something to
    // retry in-process. systemd restarts us.
    log.Log(LogLevel::kError, fmt::format("Monitor cycle failed: {}", e.what()));
  }
  return kExitUnavailable;
}

int RunUnguarded(const Options& options) {
  Settings settings;
  if (const auto exit_code = LoadSettings(options, &settings)) return *exit_code;
  const app::LoadedConfig& loaded = settings.loaded;
  const Config& config = loaded.config;
  if (options.check_config) {
    PrintConfigSummary(loaded);
    return kExitOk;
  }

  const std::unique_ptr<Logger> log = MakeMonitorLogger(options, loaded);
  if (!log) return kExitConfig;
  std::stop_source stop;
  const auto signals = WatchSignals(stop, *log);
  const app::SystemdNotifier systemd;
  const std::unique_ptr<Clock> clock = MakeMonitorClock(systemd);

  // Calibration's side of the store: the processor's auto_calibrate step, and in simulation the
  // fleet whose beacons the simulated radio carries. Opened on first use.
  ReopeningCalibrationStore calibration_store(
      [&database = config.database] { return app::OpenCalibrationStore(database); });
  std::unique_ptr<Scanner> scanner;
  try {
    scanner = app::MakeScanner(
        options.simulate ? app::ScannerKind::kSimulated : app::ScannerKind::kBluez, config, *clock,
        [&calibration_store] { return calibration_store.CalibrationMonitors(); });
  } catch (const std::exception& e) {
    log->Log(LogLevel::kError, e.what());
    return kExitUnavailable;
  }
  if (options.scan_only) {
    return ScanOnly(*scanner, config.monitor.scan_duration, stop.get_token(), stdout);
  }
  // Declared before the cycle, which withdraws the beacon on shutdown.
  const std::unique_ptr<Advertiser> advertiser = app::MakeAdvertiser(
      options.simulate ? app::ScannerKind::kSimulated : app::ScannerKind::kBluez, config);

  // Opened on first use and again each cycle until it opens: a store that is locked or away at
  // start-up is spooled for and retried like one lost later (MonitorCycle's failure policy).
  auto store = std::make_unique<ReopeningStore>(
      [&database = config.database] { return app::OpenStore(database); });
  store->ConfigureRooms(
      RoomSettings{.rules = config.rooms.rules, .confidence = config.rooms.confidence});
  std::string spool_path;
  const std::unique_ptr<Spool> spool = OpenMonitorSpool(config.monitor, &spool_path, *log);
  log->Log(LogLevel::kInfo,
           fmt::format("Monitor {} ({}): config {}, store {}, spool {}{}", config.monitor.name,
                       config.monitor.location.empty() ? "no location" : config.monitor.location,
                       loaded.source, app::DescribeStore(config.database), spool_path,
                       options.simulate ? ", simulated scanner" : ""));

  MonitorCycle cycle(config, *settings.schedule,
                     MonitorCycle::Ports{*scanner, *store,
                                         config.monitor.process_intervals ? store.get() : nullptr,
                                         *spool, *clock, *log, advertiser.get()});
  // Presence runs on the processor after processing and goes to MQTT and the alerts when they
  // are configured; without them its events wait in the store, unpublished.
  std::unique_ptr<app::Outbound> outbound;
  if (const auto exit_code = OpenOutbound(settings, &outbound, *log)) return *exit_code;
  ReopeningPresenceStore presence_store(
      [&database = config.database] { return app::OpenPresenceStore(database); });
  PresenceRunner presence(config.presence, config.monitor.scan_interval,
                          {presence_store, outbound ? &outbound->publisher() : nullptr, *log});
  if (config.monitor.process_intervals) cycle.AttachPresence(&presence);
  AutoCalibrator calibrator(config.rooms.calibration_smoothing, CalibrationWindowIntervals(config),
                            {calibration_store, *log});
  if (config.monitor.process_intervals && config.rooms.auto_calibrate) {
    cycle.AttachCalibration(&calibrator);
  }
  // Retention on its own connection: on MariaDB its DDL commits implicitly, which must never
  // happen inside the processing connection's transactions.
  ReopeningRetentionStore retention_store(
      [&database = config.database] { return app::OpenRetentionStore(database); });
  RetentionRunner retention(config.retention, {retention_store, *clock, *log});
  if (config.monitor.process_intervals) cycle.AttachRetention(&retention);
  std::unique_ptr<Pseudonymiser> pseudonymiser;
  if (config.privacy.mode == PrivacyMode::kPseudonymise) {
    try {
      pseudonymiser = std::make_unique<Pseudonymiser>(app::LoadFleetSecret(loaded));
    } catch (const ConfigError& e) {
      PrintError(e.what());
      return kExitConfig;
    }
    cycle.AttachPrivacy(pseudonymiser.get(),
                        [&database = config.database] { return LoadWatched(database); });
    log->Log(LogLevel::kInfo, "Privacy mode: addresses of unwatched devices are pseudonymised");
  }
  if (const auto exit_code = StartCycle(cycle, *log)) return *exit_code;
  systemd.Ready();
  const int exit_code = RunCycles(cycle, options, stop, systemd, *log);
  systemd.Stopping();
  cycle.Shutdown();  // never throws
  log->Log(LogLevel::kInfo, "Monitor stopped");
  return exit_code;
}

// Every way out is a documented exit code (docs/monitor.md), never an uncaught exception: what
// RunUnguarded does not map itself (out of memory, a bug) ends as 69, which systemd restarts.
int Run(const Options& options) noexcept {
  try {
    return RunUnguarded(options);
  } catch (const std::exception& e) {
    PrintError(fmt::format("unexpected failure: {}", e.what()));
  } catch (...) {
    PrintError("unexpected failure");
  }
  return kExitUnavailable;
}

}  // namespace
}  // namespace blemon::monitor

int main(int argc, char** argv) {
  using namespace blemon;
  monitor::SignalWatcher::BlockSignals();

  monitor::Options options;
  CLI::App cli{
      "Scans Bluetooth LE advertisements once per interval and stores them, keeping per device "
      "and interval the reading of the monitor that heard it best.",
      "blemon-monitor"};
  app::AddVersionFlag(cli, "blemon-monitor");
  cli.add_option("-c,--config", options.config_path,
                 "Configuration file (default: /etc/blemon/blemon.toml if present, else built-in "
                 "defaults)");
  cli.add_flag("--single", options.single, "Run one cycle now (scan, store, process), then exit");
  cli.add_flag("--simulate", options.simulate, "Use the simulated scanner instead of BlueZ");
  cli.add_flag("--check-config", options.check_config,
               "Check the configuration and exit (0 when valid, 78 when not)");
  cli.add_flag("--scan-only", options.scan_only,
               "Scan once and print the devices heard; no database is used");
  cli.add_flag("--debug", options.debug, "Log at DEBUG level whatever log_level says");
  if (const auto exit_code = app::ParseCommandLine(cli, "blemon-monitor", argc, argv)) {
    return *exit_code;
  }
  return monitor::Run(options);
}
