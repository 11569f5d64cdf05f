// blemon-admin: the operator's tool. check (the original test_db.py), migrate, cleanup-staging,
// archive, processor status / release (the README's "clear stale claim"), and grants.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "blemon/app/backends.h"
#include "blemon/app/command_line.h"
#include "blemon/app/config_file.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/tool.h"
#include "blemon/report/local_time.h"
#include "grants.h"

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

int Check(blemon::AdminStore& store, const app::LoadedConfig& loaded) {
  const auto check = store.Check();
  fmt::print("Config:     {}\n", loaded.source);
  fmt::print("Store:      {}\n", check.server);
  fmt::print("Connection: {}\n", check.connected ? "ok" : "FAILED");
  if (check.connected) {
    fmt::print("Schema:     {} (this blemon writes version {})\n",
               check.schema_version ? fmt::format("version {}", *check.schema_version)
                                    : std::string("no schema_version table"),
               check.expected_version);
    fmt::print("Tables:\n");
    for (const auto& table : check.tables) {
      fmt::print("  {:<26} {}\n", table.table,
                 table.rows ? fmt::format("{} rows", *table.rows) : std::string("MISSING"));
    }
  }
  if (check.problems.empty()) {
    fmt::print("All checks passed.\n");
    return app::kExitOk;
  }
  fmt::print("Problems:\n");
  for (const auto& problem : check.problems) fmt::print("  - {}\n", problem);
  return check.connected ? 1 : app::kExitUnavailable;
}

int Migrate(blemon::AdminStore& store) {
  const auto [before, after] = store.Migrate();
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

int Archive(blemon::AdminStore& store, int days, int chunk) {
  std::int64_t moved = 0;
  for (;;) {
    const auto step = store.ArchiveChunk(std::chrono::hours(24 * days), chunk);
    moved += step.moved;
    if (step.moved > 0) {
      fmt::print("Moved {} rows ({} so far, {} left).\n", step.moved, moved, step.remaining);
      std::fflush(stdout);
    }
    if (step.moved == 0 || step.remaining == 0) break;
  }
  fmt::print("Archived {} sightings older than {} days into device_sightings_archive.\n", moved,
             days);
  return app::kExitOk;
}

int ProcessorStatus(blemon::AdminStore& store) {
  const auto lease = store.Lease();
  fmt::print("Store time: {}\n", When(lease.store_now));
  if (!lease.holder) {
    fmt::print("Processor:  none (epoch {})\n", lease.epoch);
    return app::kExitOk;
  }
  const bool live = lease.expires_at && *lease.expires_at > lease.store_now;
  fmt::print("Processor:  {} (monitor {}), epoch {}\n", lease.holder_name, *lease.holder,
             lease.epoch);
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
        *holder);
  } else {
    fmt::print("Nobody held the processor lease; cleared any stale claim.\n");
  }
  return app::kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App cli{"blemon-admin: check, migrate and maintain the blemon database"};
  cli.require_subcommand(1);
  cli.fallthrough();
  std::string config_path;
  app::AddConfigOption(cli, config_path);
  app::AddVersionFlag(cli, "blemon-admin");

  auto* check = cli.add_subcommand(
      "check", "connection, schema version, tables, row counts and a diagnosis of problems");
  auto* migrate = cli.add_subcommand("migrate", "create or upgrade the schema (safe to rerun)");
  int cleanup_days = 7;
  auto* cleanup = cli.add_subcommand(
      "cleanup-staging", "delete processed staging rows older than N days (never unprocessed)");
  cleanup->add_option("--days", cleanup_days, "keep this many days")
      ->check(app::WholeNumber(0, 36500))
      ->capture_default_str();
  int archive_days = 90;
  int archive_chunk = 5000;
  auto* archive = cli.add_subcommand(
      "archive", "move sightings older than N days into device_sightings_archive, in chunks");
  archive->add_option("--older-than", archive_days, "days")
      ->check(app::WholeNumber(1, 36500))
      ->capture_default_str();
  archive->add_option("--chunk", archive_chunk, "rows per transaction")
      ->check(app::WholeNumber(1, 1'000'000))
      ->capture_default_str();
  auto* processor = cli.add_subcommand("processor", "the processor lease");
  processor->require_subcommand(1);
  auto* status = processor->add_subcommand("status", "who holds the lease, since when, until when");
  auto* release = processor->add_subcommand(
      "release", "clear the lease and the monitors' claim (the README's \"clear stale claim\")");
  blemon::admin::GrantOptions grant_options;
  auto* grants = cli.add_subcommand(
      "grants", "print least-privilege accounts: scanner, processor, read-only reporting");
  grants->add_option("--host", grant_options.host, "the accounts' host part")
      ->capture_default_str();
  grants->add_option("--scanner-user", grant_options.scanner_user)->capture_default_str();
  grants->add_option("--processor-user", grant_options.processor_user)->capture_default_str();
  grants->add_option("--report-user", grant_options.report_user)->capture_default_str();
  grants->add_option("--password", grant_options.password,
                     "password put in CREATE USER (default: a placeholder to replace)");

  if (const auto exit_code = app::ParseCommandLine(cli, "blemon-admin", argc, argv))
    return *exit_code;

  const auto loaded_or_not = app::LoadConfigOrComplain("blemon-admin", config_path);
  if (!loaded_or_not) return app::kExitConfig;
  const app::LoadedConfig& loaded = *loaded_or_not;
  const auto& database = loaded.config.database;

  if (grants->parsed()) {
    if (database.backend != blemon::Backend::kMariaDb) {
      fmt::print(stderr,
                 "blemon-admin: grants are for MariaDB; {} uses the SQLite file {}, whose "
                 "rights are the file's permissions\n",
                 loaded.source, database.path);
      return app::kExitUsage;
    }
    grant_options.database = database.database;
    std::fputs(blemon::admin::GrantStatements(grant_options).c_str(), stdout);
    return app::kExitOk;
  }

  return app::ExitCodeOfStoreWork("blemon-admin", [&] {
    auto store = app::OpenAdminStore(database);
    if (check->parsed()) return Check(*store, loaded);
    fmt::print("Store: {}\n", app::DescribeStore(database));
    if (migrate->parsed()) return Migrate(*store);
    if (cleanup->parsed()) return Cleanup(*store, cleanup_days);
    if (archive->parsed()) return Archive(*store, archive_days, archive_chunk);
    if (status->parsed()) return ProcessorStatus(*store);
    if (release->parsed()) return ProcessorRelease(*store);
    return app::kExitUsage;
  });
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
