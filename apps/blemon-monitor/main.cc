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
#include "blemon/app/scanners.h"
#include "blemon/app/state_directory.h"
#include "blemon/app/system_clock.h"
#include "blemon/app/systemd.h"
#include "blemon/app/time_zone.h"
#include "blemon/config.h"
#include "blemon/errors.h"
#include "blemon/interval.h"
#include "blemon/monitor_cycle.h"
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

int RunUnguarded(const Options& options) {
  // Configuration first: its mistakes are the most common and exit 78 before anything starts.
  app::LoadedConfig loaded;
  std::optional<Schedule> schedule;
  if (const auto problem = app::ProcessTimeZoneProblem()) {
    PrintError(*problem);
    return kExitConfig;
  }
  try {
    loaded = app::LoadConfig(options.config_path);
    // The files the keys name, as the start needs them; --check-config checks the same.
    app::CheckLocalFiles(loaded, /*check_log_file=*/true);
  } catch (const ConfigError& e) {
    PrintError(e.what());
    return kExitConfig;
  }
  Config& config = loaded.config;
  if (config.monitor.name.empty()) config.monitor.name = app::HostName();
  {
    std::string why;
    schedule = Schedule::Make(config.monitor.schedule(), &why);
    if (!schedule) {
      PrintError(fmt::format("{}: [monitor] timings do not fit: {}", loaded.source, why));
      return kExitConfig;
    }
  }

  if (options.check_config) {
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
    return kExitOk;
  }

  std::unique_ptr<Logger> log;
  try {
    app::LogOptions log_options;
    log_options.identifier = "blemon-monitor";
    log_options.level = options.debug ? LogLevel::kDebug : config.monitor.log_level;
    log_options.file = config.monitor.log_file;
    log = app::MakeLogger(log_options);
  } catch (const std::exception& e) {
    PrintError(fmt::format("{}: monitor.log_file: {}", loaded.source, e.what()));
    return kExitConfig;
  }

  std::stop_source stop;
  SignalWatcher signals(
      [&](int signo) {
        log->Log(LogLevel::kInfo,
                 fmt::format("Received {}, shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM"));
        stop.request_stop();
      },
      kShutdownGrace,
      [&] {
        log->Log(LogLevel::kWarning,
                 "Shutdown did not finish in time; exiting now (unsent scans stay in the spool)");
        std::_Exit(kExitTryLater);
      });

  const app::SystemdNotifier systemd;
  std::unique_ptr<Clock> clock;
  if (auto every = systemd.watchdog_ping_interval()) {
    clock = app::MakeSystemClock([&systemd] { systemd.Watchdog(); }, *every);
  } else {
    clock = app::MakeSystemClock();
  }

  std::unique_ptr<Scanner> scanner;
  try {
    scanner = app::MakeScanner(
        options.simulate ? app::ScannerKind::kSimulated : app::ScannerKind::kBluez, config, *clock);
  } catch (const std::exception& e) {
    log->Log(LogLevel::kError, e.what());
    return kExitUnavailable;
  }
  if (options.scan_only) {
    return ScanOnly(*scanner, config.monitor.scan_duration, stop.get_token(), stdout);
  }

  // Opened on first use and again each cycle until it opens: a store that is locked or away at
  // start-up is spooled for and retried like one lost later (MonitorCycle's failure policy).
  auto store = std::make_unique<ReopeningStore>(
      [&database = config.database] { return app::OpenStore(database); });
  // Opened on first use and again until it opens: a state directory that cannot be written (a
  // full disk) does not stop the monitor, whose scans then go straight to the store.
  std::string spool_path;
  auto spool =
      ObserveSpool(std::make_unique<ReopeningSpool>([&monitor = config.monitor, &spool_path] {
                     return app::OpenSpool(monitor, &spool_path);
                   }),
                   *log);
  try {
    spool->Pending();
  } catch (const std::exception& e) {
    log->Log(LogLevel::kError, fmt::format("The spool cannot be used, scans go straight to the "
                                           "database until it can: {}",
                                           e.what()));
  }
  log->Log(LogLevel::kInfo,
           fmt::format("Monitor {} ({}): config {}, store {}, spool {}{}", config.monitor.name,
                       config.monitor.location.empty() ? "no location" : config.monitor.location,
                       loaded.source, app::DescribeStore(config.database), spool_path,
                       options.simulate ? ", simulated scanner" : ""));

  MonitorCycle cycle(config, *schedule,
                     MonitorCycle::Ports{*scanner, *store,
                                         config.monitor.process_intervals ? store.get() : nullptr,
                                         *spool, *clock, *log});
  try {
    if (cycle.Start() == StartOutcome::kProcessorHeldElsewhere) {
      log->Log(LogLevel::kError,
               fmt::format("Another monitor is already the interval processor: {}. Only one "
                           "monitor may have process_intervals = true; set it to false here, or "
                           "set processor_standby = true to take over when {} stops.",
                           cycle.holder(), cycle.holder()));
      return kExitTryLater;
    }
  } catch (const Refused& e) {
    log->Log(LogLevel::kError, fmt::format("The store refused this monitor: {}", e.what()));
    return kExitUnavailable;
  } catch (const std::exception& e) {
    log->Log(LogLevel::kError, fmt::format("Start-up failed: {}", e.what()));
    return kExitUnavailable;
  }

  systemd.Ready();
  int exit_code = kExitOk;
  try {
    if (options.single) {
      log->Log(LogLevel::kInfo, "Running single scan mode");
      const CycleReport report = cycle.RunImmediately(stop.get_token());
      log->Log(LogLevel::kDebug, StatusLine(report));
      if (report.scan_failed) {
        // A scan that did not listen is not "0 devices here": the caller must hear about it.
        log->Log(LogLevel::kError, "Single scan failed: the radio did not listen");
        exit_code = kExitUnavailable;
      } else {
        log->Log(LogLevel::kInfo, "Single scan complete");
      }
    } else {
      log->Log(LogLevel::kInfo, "Starting continuous monitoring");
      while (!stop.stop_requested()) {
        const CycleReport report = cycle.RunOnce(stop.get_token());
        // A stop during the sleep returns an empty report: nothing happened worth a status.
        if (!report.interval_start && stop.stop_requested()) break;
        const std::string status = StatusLine(report);
        log->Log(LogLevel::kDebug, status);
        systemd.Status(status);
        systemd.Watchdog();
      }
    }
  } catch (const Refused& e) {
    // Found once the store answered, e.g. after a start without it (the failure policy in
    // blemon/monitor_cycle.h): the same exit as a refusal at start.
    log->Log(LogLevel::kError, fmt::format("The store refused this monitor: {}", e.what()));
    exit_code = kExitUnavailable;
  } catch (const std::exception& e) {
    // The cycle survives store outages on its own; what reaches here (a bug) is not something to
    // retry in-process. systemd restarts us.
    log->Log(LogLevel::kError, fmt::format("Monitor cycle failed: {}", e.what()));
    exit_code = kExitUnavailable;
  }
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
