#include "retention.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "blemon/app/command_line.h"
#include "blemon/app/exit_codes.h"
#include "blemon/app/interruption.h"
#include "blemon/app/progress.h"
#include "blemon/retention.h"

namespace blemon::admin {
namespace {

namespace app = blemon::app;

// Partitions are UTC days: "2026-12-01 UTC".
std::string Day(const std::optional<UtcTime>& t) {
  if (!t) return "-";
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(*t)};
  return fmt::format("{:04}-{:02}-{:02} UTC", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

int Status(RetentionStore& store) {
  for (const RetentionLayout& t : store.Layout()) {
    const std::string rows =
        t.rows ? fmt::format("about {} rows", app::GroupThousands(*t.rows)) : "rows unknown";
    if (t.partitioned) {
      fmt::print("{}: partitioned by day, {} daily partitions from {} to {} ({})\n", t.table,
                 t.daily_partitions, Day(t.oldest_day), Day(t.partitioned_to), rows);
    } else {
      fmt::print("{}: not partitioned ({}); the processor deletes expired rows in batches{}\n",
                 t.table, rows,
                 t.conversion_in_progress
                     ? "; a conversion is under way: run blemon-admin retention enable to finish it"
                     : "");
    }
  }
  return app::kExitOk;
}

// Converts one table; false when stopped between batches.
bool Convert(RetentionStore& store, std::string_view table, int batch_rows,
             const app::Interruption& stop) {
  std::unique_ptr<app::Progress> progress;
  std::int64_t shown = 0;  // rows the progress line counts (a resumed copy starts from there)
  for (;;) {
    const ConversionStep step = store.ConvertStep(table, batch_rows);
    using Phase = ConversionStep::Phase;
    if (step.phase == Phase::kAlreadyPartitioned) {
      fmt::print("{}: already partitioned by day.\n", table);
      return true;
    }
    if (step.phase == Phase::kSwapped) {
      if (progress) progress->Done();
      fmt::print(
          "{}: partitioned by day. The original table is kept as {}: drop it (DROP TABLE {};) "
          "once you are satisfied.\n",
          table, step.original_kept_as, step.original_kept_as);
      return true;
    }
    if (!progress) {
      shown = step.rows_copied;
      progress = std::make_unique<app::Progress>(fmt::format("partitioning {}", table),
                                                 step.rows_total - shown, stderr);
    }
    progress->Advance(step.rows_copied - shown - progress->done());
    if (stop.requested()) {
      progress.reset();
      fmt::print(
          "{}: stopped after copying {} of {} rows; nothing is lost. Run blemon-admin retention "
          "enable again to resume.\n",
          table, app::GroupThousands(step.rows_copied), app::GroupThousands(step.rows_total));
      return false;
    }
  }
}

int Enable(RetentionStore& store, int batch_rows) {
  if (store.ConvertStep(kSightingsTable, batch_rows).phase ==
      ConversionStep::Phase::kNotApplicable) {
    fmt::print(
        "SQLite has no partitions: with [retention] set, the processor deletes expired rows in "
        "batches of {}. Nothing to convert.\n",
        kRetentionBatchRows);
    return app::kExitOk;
  }
  // Ctrl-C or SIGTERM stop it after the batch under way has committed; a second one at once.
  const app::Interruption stop;
  for (const auto table : {kSightingsTable, kStagingTable}) {
    if (!Convert(store, table, batch_rows, stop)) return app::kExitTryLater;
  }
  return app::kExitOk;
}

}  // namespace

void DefineRetentionCommands(CLI::App& cli, RetentionCommand& command) {
  auto* retention =
      cli.add_subcommand("retention", "daily partitions for keeping N days (MariaDB)");
  retention->require_subcommand(1);
  command.enable = retention->add_subcommand(
      "enable",
      "partition device_sightings and sighting_staging by day, online; interruptible, resumable");
  command.enable->add_option("--batch", command.batch_rows, "rows copied per transaction")
      ->check(app::WholeNumber(1, 1'000'000))
      ->capture_default_str();
  command.status =
      retention->add_subcommand("status", "whether the tables are partitioned, and from when");
}

bool RetentionCommandGiven(const RetentionCommand& command) {
  return command.enable->parsed() || command.status->parsed();
}

int RunRetentionCommand(const RetentionCommand& command, RetentionStore& store) {
  if (command.status->parsed()) return Status(store);
  return Enable(store, command.batch_rows);
}

}  // namespace blemon::admin
