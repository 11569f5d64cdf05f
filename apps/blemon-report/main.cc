// blemon-report: the original ble_reporter.py's hourly, monitors and devices reports, the rooms
// report (devices per stable room and confidence), and the presence reports (occupancy, visits,
// presence), as a table for people or csv/json for scripts, from the store the config file names.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/tool.h"
#include "blemon/report/local_time.h"
#include "blemon/report/presence_reports.h"
#include "blemon/report/render.h"
#include "blemon/report/reports.h"
#include "blemon/report/span.h"

namespace {

using blemon::ReportFilter;
using blemon::UtcTime;
namespace app = blemon::app;
namespace report = blemon::report;

UtcTime Now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// The command line, defaults included; the option texts say what each means.
struct Arguments {
  std::string kind = "hourly";
  std::optional<std::string> start;
  std::optional<std::string> end;
  std::optional<std::string> monitor;
  int hours = 24;
  std::string format_name = "table";
  std::string config_path;
  std::string now_text;
  std::vector<std::string> confidence;  // as given: repeated and/or comma lists
};

// Fills `args` from the command line; returns the exit code when the process should end now
// (--help, --version, a usage mistake), or nothing.
std::optional<int> ParseArguments(int argc, char** argv, Arguments* args) {
  CLI::App cli{"blemon-report: hourly, monitor and device reports from the blemon database"};
  cli.add_option("--report", args->kind,
                 "hourly, monitors, devices or rooms; occupancy, visits or presence")
      ->check(CLI::IsMember(
          {"hourly", "monitors", "devices", "rooms", "occupancy", "visits", "presence"}))
      ->capture_default_str();
  cli.add_option("-s,--start-date", args->start, "first local day, YYYY-MM-DD (inclusive)");
  cli.add_option("-e,--end-date", args->end, "last local day, YYYY-MM-DD (inclusive)");
  cli.add_option("-m,--monitor", args->monitor, "only this monitor (by name)");
  cli.add_option("--confidence", args->confidence,
                 "rooms and devices: only sightings of this confidence (high, low, ambiguous; "
                 "repeat or separate by commas)")
      ->delimiter(',')
      ->check(CLI::IsMember({"high", "low", "ambiguous"}));
  cli.add_option("--hours", args->hours,
                 "all but the hourly report: the last N hours (when no dates are given)")
      ->check(app::WholeNumber(1, 24 * 366))
      ->capture_default_str();
  cli.add_option("-f,--format", args->format_name, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  app::AddConfigOption(cli, args->config_path);
  app::AddVersionFlag(cli, "blemon-report");
  cli.add_option("--now", args->now_text,
                 "pretend it is this UTC instant, YYYY-MM-DDTHH:MM:SSZ (reproducible output)");
  return app::ParseCommandLine(cli, "blemon-report", argc, argv);
}

// The filter the arguments ask for: the span of their dates (or the default span, ending at
// `now`) and the monitor. Throws std::invalid_argument for dates that are not days or out of
// order.
ReportFilter FilterOf(const Arguments& args, UtcTime now) {
  report::Span fallback;
  if (report::ByTheHour(args.kind)) {
    fallback = report::LastDayOfHours(now);
  } else {
    // Devices and monitors: the last N hours. (An all-time monitor summary reads every
    // sighting: 40 s on 10 million rows; ask for it with dates.)
    fallback = {now - std::chrono::hours(args.hours), now + std::chrono::seconds(1)};
  }
  const auto span = report::SpanFromDates(args.start, args.end, now, fallback);
  ReportFilter filter;
  filter.monitor = args.monitor;
  filter.from = span.from;
  filter.to = span.to;
  // Each confidence once, in the order high, low, ambiguous whatever the order given.
  for (const auto c :
       {blemon::Confidence::kHigh, blemon::Confidence::kLow, blemon::Confidence::kAmbiguous}) {
    if (std::ranges::find(args.confidence, blemon::ToString(c)) != args.confidence.end()) {
      filter.confidence.push_back(c);
    }
  }
  return filter;
}

// Reads the report `kind` names from the store and prints it in `format_name` on stdout (and its
// note, if any, on stderr). Returns 0, or 74 (EX_IOERR) when stdout went away; store errors
// propagate for ExitCodeOfStoreWork to map.
int PrintReport(const report::Report& data, const Arguments& args) {
  static const std::map<std::string, report::Format> kFormats = {{"table", report::Format::kTable},
                                                                 {"csv", report::Format::kCsv},
                                                                 {"json", report::Format::kJson}};
  const auto rendered = report::Render(data, kFormats.at(args.format_name));
  std::fputs(rendered.out.c_str(), stdout);
  if (!rendered.message.empty()) std::fputs(rendered.message.c_str(), stderr);
  return std::fflush(stdout) == 0 ? app::kExitOk : 74;  // EX_IOERR: stdout went away
}

int Run(int argc, char** argv) {
  Arguments args;
  if (const auto exit_code = ParseArguments(argc, argv, &args)) return *exit_code;

  UtcTime now = Now();
  if (!args.now_text.empty()) {
    const auto parsed = report::ParseUtcInstant(args.now_text);
    if (!parsed) {
      fmt::print(stderr, "blemon-report: --now '{}' is not YYYY-MM-DDTHH:MM:SSZ\n", args.now_text);
      return app::kExitUsage;
    }
    now = *parsed;
  }
  ReportFilter filter;
  try {
    filter = FilterOf(args, now);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "blemon-report: {}\n", e.what());
    return app::kExitUsage;
  }

  const auto loaded_or_not = app::LoadConfigOrComplain("blemon-report", args.config_path);
  if (!loaded_or_not) return app::kExitConfig;
  const app::LoadedConfig& loaded = *loaded_or_not;
  if (!args.confidence.empty() && !report::HonoursConfidence(args.kind)) {
    fmt::print(stderr,
               "blemon-report: --confidence applies to the rooms and devices reports, not to {} "
               "(it counts every sighting; try --report rooms)\n",
               args.kind);
    return app::kExitUsage;
  }
  if (report::IsPresenceReport(args.kind) && args.monitor) {
    fmt::print(stderr,
               "blemon-report: --monitor applies to the hourly, monitors, devices and rooms "
               "reports, not to {}\n",
               args.kind);
    return app::kExitUsage;
  }
  return app::ExitCodeOfStoreWork("blemon-report", [&] {
    // The command line admits only the kinds ReadReport and ReadPresenceReport know.
    if (report::IsPresenceReport(args.kind)) {
      auto store = app::OpenPresenceStore(loaded.config.database);
      return PrintReport(
          report::ReadPresenceReport(*store, args.kind, filter, loaded.config.monitor.scan_interval)
              .value(),
          args);
    }
    auto store = app::OpenReportStore(loaded.config.database);
    return PrintReport(report::ReadReport(*store, args.kind, filter).value(), args);
  });
}

}  // namespace

int main(int argc, char** argv) {
  return blemon::app::GuardedMain("blemon-report", Run, argc, argv);
}
