// blemon-admin: the operator's tool. check (the original test_db.py), migrate, cleanup-staging,
// archive, processor status / release (the README's "clear stale claim"), grants, identity
// add / list / remove (identities.h), the presence watch list (watch add / list / remove), the
// alert delivery log, forget (forget.h), calibrate (calibrate.h) and retention enable / status
// (retention.h).

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/interruption.h"
#include "blemon/app/progress.h"
#include "blemon/app/terminal.h"
#include "blemon/app/tool.h"
#include "blemon/errors.h"
#include "blemon/report/local_time.h"
#include "blemon/scan_health.h"
#include "calibrate.h"
#include "forget.h"
#include "grants.h"
#include "identities.h"
#include "retention.h"
#include "watch.h"

namespace {

namespace app = blemon::app;
namespace report = blemon::report;
using blemon::Seconds;

std::string When(const std::optional<blemon::UtcTime>& t) {
  if (!t) return "-";
  return fmt::format("{} ({})", report::FormatLocalMinutes(*t),
                     report::ZoneLabel(report::ZoneAt(*t)));
}

std::string Duration(Seconds s) {
  const auto total = s.count();
  const auto sign = total < 0 ? "-" : "";
  const auto a = total < 0 ? -total : total;
  if (a >= 3600) return fmt::format("{}{}h{:02}m", sign, a / 3600, a % 3600 / 60);
  if (a >= 60) return fmt::format("{}{}m{:02}s", sign, a / 60, a % 60);
  return fmt::format("{}{}s", sign, a);
}

// Monitors whose scans fail or hear nothing while others hear (blemon/scan_health.h): a fleet
// that looks fine from the database's side may still not be listening.
void AddScanProblems(const app::LoadedConfig& loaded, blemon::StoreCheck& check) {
  try {
    const auto reports = app::OpenReportStore(loaded.config.database);
    const auto snapshot = reports->Snapshot(0, 0);
    const Seconds interval = snapshot.fleet_interval.value_or(loaded.config.monitor.scan_interval);
    for (auto& problem : blemon::ScanProblems(snapshot, interval)) {
      check.problems.push_back(std::move(problem));
    }
  } catch (const blemon::Refused& e) {
    // A least-privilege account may not read the lease the snapshot includes: that is expected
    // of it, like the tables it cannot see, and no fault of the store.
    check.notes.push_back(
        fmt::format("this account may not read the monitors' scan health: {}", e.what()));
  } catch (const std::exception& e) {
    check.problems.push_back(fmt::format("could not read the monitors' scan health: {}", e.what()));
  }
}

int Check(blemon::AdminStore& store, const app::LoadedConfig& loaded) {
  auto check = store.Check();
  if (check.connected && check.problems.empty()) AddScanProblems(loaded, check);
  fmt::print(
      "Config:     {}{}\n", loaded.source,
      loaded.source == "built-in defaults"
          ? fmt::format(" (no {} or {}: on the database server, install the admin "
                        "configuration, /usr/share/doc/blemon/examples/admin.toml, as {})",
                        app::kAdminConfigPath, app::kDefaultConfigPath, app::kAdminConfigPath)
          : std::string());
  fmt::print("Store:      {}\n", check.server);
  fmt::print("Connection: {}\n", check.connected ? "ok" : "FAILED");
  if (check.connected) {
    fmt::print("Schema:     {} (this blemon writes version {})\n",
               check.schema_version ? fmt::format("version {}", *check.schema_version)
                                    : std::string("none (no blemon tables)"),
               check.expected_version);
    fmt::print("Tables:\n");
    for (const auto& table : check.tables) {
      fmt::print("  {:<26} {}\n", table.table,
                 table.rows     ? fmt::format("{} rows", *table.rows)
                 : table.hidden ? std::string("cannot see (this account may not read it)")
                                : std::string("MISSING"));
    }
  }
  for (const auto& note : check.notes) fmt::print("Note:       {}\n", note);
  if (check.problems.empty()) {
    fmt::print("All checks passed.\n");
    return app::kExitOk;
  }
  fmt::print("Problems:\n");
  // Problems quote monitor names and scan errors: strings from the radio and the database are
  // escaped before they reach a terminal, as the dashboard does.
  for (const auto& problem : check.problems) {
    fmt::print("  - {}\n", app::EscapeForTerminal(problem));
  }
  return check.connected ? 1 : app::kExitUnavailable;
}

// Shows each migration as "migrate 2 of 3: 015_hourly_rollups: 7 of 12 statements" on a terminal
// and stops the run between two migrations on Ctrl-C or SIGTERM.
class MigrateProgress final : public blemon::MigrationListener {
 public:
  explicit MigrateProgress(const app::Interruption& interruption) : interruption_(interruption) {}

  void Started(int index, int count, int /*version*/, std::string_view name,
               int statements) override {
    app::Progress::Options options;
    options.terminal = app::Progress::OnTerminal(stderr);
    options.unit = "statements";
    options.show_rate = false;
    progress_.emplace(fmt::format("migrate {} of {}: {}", index, count, name), statements, stderr,
                      options);
  }
  void StatementDone() override { progress_->Advance(1); }
  void Finished() override {
    progress_->Done();
    progress_.reset();
  }
  bool StopRequested() override {
    stopped_ = interruption_.requested();
    return stopped_;
  }
  bool stopped() const { return stopped_; }

 private:
  const app::Interruption& interruption_;
  std::optional<app::Progress> progress_;
  bool stopped_ = false;
};

int Migrate(blemon::AdminStore& store) {
  app::Interruption interruption;
  MigrateProgress listener(interruption);
  const auto [before, after] = store.Migrate(&listener);
  if (listener.stopped()) {
    fmt::print(
        "Stopped by {} at schema version {} (from {}), between two migrations: the schema is "
        "consistent. Run the same command again to continue.\n",
        interruption.signal_number() == SIGINT ? "Ctrl-C" : "SIGTERM", after, before);
    return app::kExitTryLater;
  }
  if (before == after) {
    fmt::print("Schema already at version {}; nothing to do.\n", after);
  } else if (before < 0) {
    fmt::print("Created the schema at version {}.\n", after);
  } else {
    fmt::print("Upgraded the schema from version {} to {}.\n", before, after);
  }
  return app::kExitOk;
}

int Cleanup(blemon::AdminStore& store, int days) {
  const auto result = store.CleanupStaging(std::chrono::hours(24 * days));
  fmt::print("Deleted {} processed staging rows older than {} days.\n", result.deleted, days);
  if (result.unprocessed_old > 0) {
    fmt::print(
        "Kept {} UNPROCESSED rows older than {} days (oldest interval {}): no processor has "
        "merged them. Check `blemon-admin processor status` and that one monitor runs with "
        "process_intervals = true.\n",
        result.unprocessed_old, days, When(result.oldest_unprocessed));
  }
  return app::kExitOk;
}

// Moves old sightings chunk by chunk, each chunk one transaction, with a progress line on a
// terminal. Ctrl-C or SIGTERM stops it after the chunk in flight (exit 75); a rerun continues with
// what is left, so nothing is lost or archived twice.
int Archive(blemon::AdminStore& store, int days, int chunk) {
  app::Interruption interruption;
  const blemon::ArchivePlan plan = store.PlanArchive(std::chrono::hours(24 * days));
  app::Progress progress("archive", plan.rows, stderr);
  std::optional<blemon::ArchivePosition> after;
  try {
    while (!interruption.requested()) {
      const blemon::ArchiveStep step = store.ArchiveChunk(plan, after, chunk);
      if (!step.last) break;
      progress.Advance(step.moved);
      after = step.last;
    }
  } catch (const std::exception&) {
    fmt::print(stderr,
               "blemon-admin: archive stopped after {} sightings (each chunk moved whole or not at "
               "all); run it again to continue\n",
               progress.done());
    throw;
  }
  if (interruption.requested()) {
    fmt::print(
        "Stopped by {} after archiving {} of {} sightings older than {} days; the rest stay in "
        "device_sightings. Run the same command again to continue.\n",
        interruption.signal_number() == SIGINT ? "Ctrl-C" : "SIGTERM", progress.done(), plan.rows,
        days);
    return app::kExitTryLater;
  }
  progress.Done();
  fmt::print("Archived {} sightings older than {} days into device_sightings_archive.\n",
             progress.done(), days);
  return app::kExitOk;
}

int ProcessorStatus(blemon::AdminStore& store) {
  const auto lease = store.Lease();
  fmt::print("Store time: {}\n", When(lease.store_now));
  if (!lease.holder) {
    fmt::print("Processor:  none (epoch {})\n", lease.epoch);
    return app::kExitOk;
  }
  const bool live = lease.live();
  fmt::print("Processor:  {} (monitor {}), epoch {}\n", app::EscapeForTerminal(lease.holder_name),
             *lease.holder, lease.epoch);
  if (lease.claimed_at) {
    fmt::print("Held since: {}, for {}\n", When(lease.claimed_at),
               Duration(lease.store_now - *lease.claimed_at));
  }
  if (lease.expires_at) {
    fmt::print("Expires:    {} ({})\n", When(lease.expires_at),
               live ? "in " + Duration(*lease.expires_at - lease.store_now)
                    : "EXPIRED " + Duration(lease.store_now - *lease.expires_at) + " ago");
  }
  return app::kExitOk;
}

int ProcessorRelease(blemon::AdminStore& store) {
  const auto holder = store.ReleaseLease();
  if (holder) {
    fmt::print(
        "Released the processor lease held by {}. A monitor with process_intervals = true "
        "takes it at its next claim.\n",
        app::EscapeForTerminal(*holder));
  } else {
    fmt::print("Nobody held the processor lease; cleared any stale claim.\n");
  }
  return app::kExitOk;
}

// The alert delivery log, newest first (docs/alerts.md): in the central store, so it is the same
// on every machine and across failovers.
int Alerts(const blemon::DatabaseSettings& database, int limit) {
  std::vector<blemon::DeliveryRecord> records;
  const int exit_code = app::ExitCodeOfStoreWork("blemon-admin", [&] {
    records = app::OpenDeliveryLog(database)->Recent(limit);
    return app::kExitOk;
  });
  if (exit_code != app::kExitOk) return exit_code;
  fmt::print("Alert deliveries in {} (newest first):\n", app::DescribeStore(database));
  if (records.empty()) {
    fmt::print("  none yet\n");
    return app::kExitOk;
  }
  fmt::print("{:<26} {:<8} {:>3}  {:<10} {:<16} {}\n", "time", "channel", "try", "outcome", "by",
             "event");
  for (const auto& r : records) {
    fmt::print("{:<26} {:<8} {:>3}  {:<10} {:<16} {}\n", When(r.at),
               app::EscapeForTerminal(r.channel), r.attempt, blemon::ToString(r.outcome),
               app::EscapeForTerminal(r.sent_by.empty() ? "-" : r.sent_by),
               app::EscapeForTerminal(r.event_id));
    if (!r.detail.empty()) fmt::print("{:<26} {}\n", "", app::EscapeForTerminal(r.detail));
  }
  return app::kExitOk;
}

// The command line: every command with its options, and which one was given.
struct CommandLine {
  std::string config_path;
  int cleanup_days = 7;
  int archive_days = 90;
  int archive_chunk = 5000;
  blemon::admin::GrantOptions grant_options;
  std::optional<std::string> grant_database;
  CLI::App* check = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* cleanup = nullptr;
  CLI::App* archive = nullptr;
  CLI::App* status = nullptr;
  CLI::App* release = nullptr;
  CLI::App* grants = nullptr;
  blemon::admin::IdentityCommand identity;
  blemon::admin::RetentionCommand retention;
  CLI::App* alerts = nullptr;
  int alerts_limit = 50;
  std::string watch_name;
  blemon::admin::WatchTarget watch_target;
  CLI::App* watch_add = nullptr;
  CLI::App* watch_list = nullptr;
  CLI::App* watch_remove = nullptr;
  blemon::admin::ForgetCommand forget;
  CLI::App* calibrate = nullptr;
  std::optional<int> calibrate_intervals;
  std::string calibrate_reference;
  bool calibrate_apply = false;
  std::string calibrate_format = "table";
};

void DefineMaintenance(CLI::App& cli, CommandLine& c) {
  c.check = cli.add_subcommand(
      "check", "connection, schema version, tables, row counts and a diagnosis of problems");
  c.migrate = cli.add_subcommand("migrate", "create or upgrade the schema (safe to rerun)");
  c.cleanup = cli.add_subcommand(
      "cleanup-staging", "delete processed staging rows older than N days (never unprocessed)");
  c.cleanup->add_option("--days", c.cleanup_days, "keep this many days")
      ->check(app::WholeNumber(0, 36500))
      ->capture_default_str();
  c.archive = cli.add_subcommand(
      "archive", "move sightings older than N days into device_sightings_archive, in chunks");
  c.archive->add_option("--older-than", c.archive_days, "days")
      ->check(app::WholeNumber(1, 36500))
      ->capture_default_str();
  c.archive->add_option("--chunk", c.archive_chunk, "rows per transaction")
      ->check(app::WholeNumber(1, 1'000'000))
      ->capture_default_str();
  auto* processor = cli.add_subcommand("processor", "the processor lease");
  processor->require_subcommand(1);
  c.status = processor->add_subcommand("status", "who holds the lease, since when, until when");
  c.release = processor->add_subcommand(
      "release", "clear the lease and the monitors' claim (the README's \"clear stale claim\")");
  c.alerts = cli.add_subcommand("alerts", "the alert delivery log (webhook, e-mail), newest first");
  c.alerts->add_option("--limit", c.alerts_limit, "show this many tries")
      ->check(app::WholeNumber(1, 1'000'000))
      ->capture_default_str();
}

void DefineGrants(CLI::App& cli, CommandLine& c) {
  auto& o = c.grant_options;
  c.grants = cli.add_subcommand(
      "grants", "print least-privilege accounts: scanner, processor, read-only reporting");
  c.grants->add_option("--host", o.host, "the accounts' host part")->capture_default_str();
  c.grants->add_option("--scanner-user", o.scanner_user)->capture_default_str();
  c.grants->add_option("--processor-user", o.processor_user)->capture_default_str();
  c.grants->add_option("--report-user", o.report_user)->capture_default_str();
  c.grants->add_option("--password", o.password,
                       "password put in CREATE USER (default: a placeholder to replace)");
  c.grants->add_option("--admin-user", o.admin_user,
                       "also an admin account (migrate, cleanup-staging, archive) of this name");
  c.grants->add_option("--admin-host", o.admin_host, "the admin account's host part")
      ->capture_default_str();
  c.grants->add_flag("--privacy-mode", o.privacy_mode,
                     "scanners may also read the watch list and the identities' keys");
  c.grants->add_option("--database", c.grant_database,
                       "the database (default: database.database of the config, else ble_monitor)");
}

void DefineWatch(CLI::App& cli, CommandLine& c) {
  auto* watch = cli.add_subcommand("watch", "the devices whose presence is followed");
  watch->require_subcommand(1);
  c.watch_add =
      watch->add_subcommand("add", "watch a device by its MAC address or its enrolled identity");
  c.watch_add->add_option("NAME", c.watch_name, "a name for it, 1 to 64 characters")->required();
  // Exactly one of the two: WatchEntryOf says so when not (exit 64).
  c.watch_add->add_option("--mac", c.watch_target.mac, "its fixed address, AA:BB:CC:DD:EE:FF");
  c.watch_add->add_option(
      "--identity", c.watch_target.identity,
      "an identity enrolled with `blemon-admin identity add` (a phone rotating its address)");
  c.watch_list = watch->add_subcommand("list", "the watch list with each device's presence");
  c.watch_remove = watch->add_subcommand("remove", "stop watching a device");
  c.watch_remove->add_option("NAME", c.watch_name, "its name on the watch list")->required();
}

void DefineCalibrate(CLI::App& cli, CommandLine& c) {
  c.calibrate = cli.add_subcommand(
      "calibrate", "fit the monitors' RSSI offsets from their beacons (or a reference tag)");
  c.calibrate
      ->add_option("--intervals", c.calibrate_intervals,
                   "the newest N intervals with beacon observations (default 12), or with "
                   "--reference the tag's newest N sightings (default 288)")
      ->check(app::WholeNumber(1, 100'000));
  c.calibrate->add_option("--reference", c.calibrate_reference,
                          "a tag's MAC address, held about 1 m from each monitor in turn");
  c.calibrate->add_flag("--apply", c.calibrate_apply,
                        "write the new offsets to monitors.rssi_offset_db (else a dry run)");
  c.calibrate->add_option("--format", c.calibrate_format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

int Calibrate(const CommandLine& c, const blemon::DatabaseSettings& database) {
  blemon::admin::CalibrateOptions options{.intervals = c.calibrate_intervals,
                                          .reference = std::nullopt,
                                          .apply = c.calibrate_apply,
                                          .json = c.calibrate_format == "json"};
  if (!c.calibrate_reference.empty()) {
    std::string why;
    options.reference = blemon::MacAddress::Parse(c.calibrate_reference, &why);
    if (!options.reference) {
      fmt::print(stderr, "blemon-admin: calibrate: --reference '{}' is not a MAC address: {}\n",
                 c.calibrate_reference, why);
      return app::kExitUsage;
    }
  }
  return app::ExitCodeOfStoreWork("blemon-admin", [&] {
    if (!options.json) fmt::print("Store: {}\n", app::DescribeStore(database));
    return blemon::admin::Calibrate(*app::OpenCalibrationStore(database), options);
  });
}

// The watch commands, on the presence side of the store.
int Watch(const CommandLine& c, const blemon::DatabaseSettings& database) {
  std::optional<blemon::WatchEntry> entry;
  if (c.watch_add->parsed()) {
    std::string why;
    entry = blemon::admin::WatchEntryOf(c.watch_name, c.watch_target, &why);
    if (!entry) {
      fmt::print(stderr, "blemon-admin: watch add: {}\n", why);
      return app::kExitUsage;
    }
  }
  return app::ExitCodeOfStoreWork("blemon-admin", [&] {
    if (entry && entry->kind == blemon::WatchTargetKind::kIdentity &&
        !blemon::admin::IdentityEnrolled(*app::OpenIdentityStore(database), entry->target)) {
      fmt::print(stderr,
                 "blemon-admin: watch add: no identity is enrolled as '{}' (blemon-admin "
                 "identity list shows them; identity add enrols one)\n",
                 app::EscapeForTerminal(entry->target));
      return app::kExitUsage;
    }
    auto store = app::OpenPresenceStore(database);
    if (entry) return blemon::admin::WatchAdd(*store, *entry);
    if (c.watch_list->parsed()) return blemon::admin::WatchList(*store);
    return blemon::admin::WatchRemove(*store, c.watch_name);
  });
}

// Grants need no connection: without a config file (the database server has none) they are for
// the default database. Only a config that chose SQLite makes them meaningless.
int Grants(CommandLine& c, const app::LoadedConfig& loaded) {
  const auto& database = loaded.config.database;
  if (database.configured && database.backend != blemon::Backend::kMariaDb) {
    fmt::print(stderr,
               "blemon-admin: grants are for MariaDB; {} uses the SQLite file {}, whose rights "
               "are the file's permissions\n",
               loaded.source, database.path);
    return app::kExitUsage;
  }
  c.grant_options.database = c.grant_database.value_or(database.database);
  std::fputs(blemon::admin::GrantStatements(c.grant_options).c_str(), stdout);
  return app::kExitOk;
}

// The admin role's configuration on the database server when it is there, else the monitor's.
std::string_view DefaultConfigPath() {
  return ::access(std::string(app::kAdminConfigPath).c_str(), F_OK) == 0 ? app::kAdminConfigPath
                                                                         : app::kDefaultConfigPath;
}

int Run(int argc, char** argv) {
  CLI::App cli{"blemon-admin: check, migrate and maintain the blemon database"};
  cli.require_subcommand(1);
  cli.fallthrough();
  CommandLine c;
  app::AddConfigOption(cli, c.config_path,
                       fmt::format("{}, else {},", app::kAdminConfigPath, app::kDefaultConfigPath));
  app::AddVersionFlag(cli, "blemon-admin");
  DefineMaintenance(cli, c);
  DefineGrants(cli, c);
  blemon::admin::DefineIdentityCommands(cli, c.identity);
  DefineWatch(cli, c);
  blemon::admin::DefineForgetCommand(cli, c.forget);
  DefineCalibrate(cli, c);
  blemon::admin::DefineRetentionCommands(cli, c.retention);
  if (const auto exit_code = app::ParseCommandLine(cli, "blemon-admin", argc, argv)) {
    return *exit_code;
  }

  const auto loaded_or_not =
      app::LoadConfigOrComplain("blemon-admin", c.config_path, DefaultConfigPath());
  if (!loaded_or_not) return app::kExitConfig;
  const app::LoadedConfig& loaded = *loaded_or_not;
  if (c.grants->parsed()) return Grants(c, loaded);
  const bool identity = blemon::admin::IdentityCommandGiven(c.identity);
  if (identity) {
    if (auto mistake = blemon::admin::CheckIdentityCommand(c.identity)) return *mistake;
  }
  if (c.forget.command->parsed()) return blemon::admin::RunForget(c.forget, loaded);
  if (c.alerts->parsed()) return Alerts(loaded.config.database, c.alerts_limit);

  const auto& database = loaded.config.database;
  if (c.watch_add->parsed() || c.watch_list->parsed() || c.watch_remove->parsed()) {
    return Watch(c, database);
  }
  if (c.calibrate->parsed()) return Calibrate(c, database);
  return app::ExitCodeOfStoreWork("blemon-admin", [&] {
    if (identity) {
      fmt::print("Store: {}\n", app::DescribeStore(database));
      return blemon::admin::RunIdentityCommand(c.identity, *app::OpenIdentityStore(database));
    }
    if (blemon::admin::RetentionCommandGiven(c.retention)) {
      fmt::print("Store: {}\n", app::DescribeStore(database));
      std::fflush(stdout);
      return blemon::admin::RunRetentionCommand(c.retention, *app::OpenRetentionStore(database));
    }
    auto store = app::OpenAdminStore(database);
    if (c.check->parsed()) return Check(*store, loaded);
    fmt::print("Store: {}\n", app::DescribeStore(database));
    if (c.migrate->parsed()) return Migrate(*store);
    if (c.cleanup->parsed()) return Cleanup(*store, c.cleanup_days);
    if (c.archive->parsed()) return Archive(*store, c.archive_days, c.archive_chunk);
    if (c.status->parsed()) return ProcessorStatus(*store);
    if (c.release->parsed()) return ProcessorRelease(*store);
    return app::kExitUsage;
  });
}

}  // namespace

int main(int argc, char** argv) {
  return blemon::app::GuardedMain("blemon-admin", Run, argc, argv);
}
