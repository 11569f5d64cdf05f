// Retention over MariaDB (blemon/retention.h, docs/database.md "Retention").
//
// A partitioned table is PARTITION BY RANGE (UNIX_TIMESTAMP(interval_start)) — the one function
// MariaDB allows on a TIMESTAMP column — with a catch-all `p_before` below the first day, one
// partition per UTC day named pYYYYMMDD holding [day, day + 1), and `p_future` up to MAXVALUE, so
// an insert of any time finds a partition. Dropping a day is then DROP PARTITION: a file removed,
// not rows deleted, whatever the table's size.
//
// `retention enable` converts a live table without stopping the fleet, the way
// pt-online-schema-change does: a partitioned copy is made, triggers on the original mirror every
// insert, update and delete into it from then on, the rows that were there before are copied in
// primary-key batches (each batch and the record of how far it got commit together, in
// fleet_settings, so an interrupted copy resumes at the next batch), and one RENAME TABLE swaps
// the copy in.

#include "blemon/mariadb/mariadb_retention_store.h"

#include <fmt/format.h>
#include <mysqld_error.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "blemon/errors.h"
#include "connection.h"
#include "hourly_rollups.h"
#include "lease_row.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

constexpr long long kDay = 86400;
// A table whose history starts earlier still converts, its older rows in p_before.
constexpr long long kMostDailyPartitions = 800;
constexpr std::string_view kFuturePartition = "p_future";
constexpr std::size_t kLongestTriggerName = 64;  // MariaDB's identifier limit

struct TableSpec {
  std::string_view table;
  std::string_view key;  // the AUTO_INCREMENT primary key the copy walks
  bool processed_only;   // retention removes only processed rows
};
constexpr TableSpec kSpecs[] = {{kSightingsTable, "sighting_id", false},
                                {kStagingTable, "staging_id", true}};

const TableSpec& SpecOf(std::string_view table) {
  for (const auto& spec : kSpecs) {
    if (spec.table == table) return spec;
  }
  throw Refused(fmt::format("retention knows no table {}", table));
}

// The names of a conversion's objects. The state row lives in fleet_settings, which every
// blemon schema has.
std::string CopyOf(const TableSpec& spec) {
  return fmt::format("blemon_partitioning_{}", spec.table);
}
std::string KeptAs(const TableSpec& spec) { return fmt::format("{}_unpartitioned", spec.table); }
std::string StateName(const TableSpec& spec) { return fmt::format("partitioning_{}", spec.table); }
std::string TriggerName(const TableSpec& spec, std::string_view event) {
  return fmt::format("blemon_partitioning_{}_{}", spec.table, event);
}

// The name a trigger of the table has on the copy around the swap: it holds the original name,
// so that the step after the swap knows it whenever it runs.
std::string CarriedName(const TableSpec& spec, std::string_view original) {
  std::string name = TriggerName(spec, fmt::format("c_{}", original));
  if (name.size() > kLongestTriggerName) {
    throw Refused(fmt::format(
        "trigger {} of {} has too long a name to be carried to the partitioned table: rename it "
        "(at most {} characters), then run blemon-admin retention enable again",
        original, spec.table, kLongestTriggerName - TriggerName(spec, "c_").size()));
  }
  return name;
}

std::string DayPartitionName(long long day_start) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day_start / kDay}}};
  return fmt::format("p{:04}{:02}{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// "PARTITION pYYYYMMDD VALUES LESS THAN (...)," for each day in [from, to).
std::string DailyPartitions(long long from, long long to) {
  std::string sql;
  for (long long day = from; day < to; day += kDay) {
    sql += fmt::format("PARTITION {} VALUES LESS THAN ({}), ", DayPartitionName(day), day + kDay);
  }
  return sql;
}

struct Partition {
  std::string name;
  std::optional<long long> bound;  // VALUES LESS THAN; nullopt: MAXVALUE
  std::int64_t rows = 0;           // the server's estimate
};

// In bound order; empty when the table is not partitioned.
std::vector<Partition> Partitions(Session& s, std::string_view table) {
  std::vector<Partition> out;
  for (const Row& r : s.Prepared("SELECT partition_name, partition_description, table_rows "
                                 "FROM information_schema.partitions WHERE table_schema = "
                                 "DATABASE() AND table_name = ? AND partition_name IS NOT NULL "
                                 "ORDER BY partition_ordinal_position")
                          .Query({std::string(table)})) {
    Partition p;
    p.name = r.Text(0);
    p.rows = r.Int(2);
    if (r.Text(1) != "MAXVALUE") p.bound = std::stoll(r.Text(1));
    out.push_back(std::move(p));
  }
  return out;
}

bool TableExists(Session& s, std::string_view table) {
  return s.Prepared(
              "SELECT COUNT(*) FROM information_schema.tables "
              "WHERE table_schema = DATABASE() AND table_name = ?")
             .QueryOne({std::string(table)})
             .Int(0) > 0;
}

long long StoreNow(Session& s) {
  return s.Prepared("SELECT UNIX_TIMESTAMP(NOW())").QueryOne({}).Int(0);
}

// DDL commits on its own, so it cannot sit inside the fenced transaction: the lease is checked
// just before. Two processors could only both pass it in the instant a lease changes hands, and
// the DDL they would run (drop the same expired days, add the same future ones) is the same.
void Fence(Session& s, MonitorId monitor, std::int64_t epoch, std::string_view left) {
  Transaction tx(s.connection);
  CheckFence(s, monitor, epoch, left);
  tx.Commit();
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "`" : ", `") + name + "`";
  return out;
}

// The table's columns in order, quoted: the copy and its triggers name them all, whatever
// migrations added.
std::vector<std::string> Columns(Session& s, std::string_view table) {
  std::vector<std::string> out;
  for (const Row& r : s.Prepared("SELECT column_name FROM information_schema.columns "
                                 "WHERE table_schema = DATABASE() AND table_name = ? "
                                 "ORDER BY ordinal_position")
                          .Query({std::string(table)})) {
    out.push_back(r.Text(0));
  }
  return out;
}

std::string ColumnList(const std::vector<std::string>& columns, std::string_view prefix) {
  std::string out;
  for (const auto& c : columns) out += fmt::format("{}{}`{}`", out.empty() ? "" : ", ", prefix, c);
  return out;
}

// How far a conversion got: keys (last, high] are still to copy.
struct CopyState {
  long long last = 0;
  long long high = 0;
  std::int64_t copied = 0;
  std::int64_t total = 0;
};

std::optional<CopyState> ReadState(Session& s, const TableSpec& spec, bool for_update) {
  const auto rows =
      s.Prepared(for_update ? "SELECT setting_value FROM fleet_settings WHERE setting_name = ? "
                              "FOR UPDATE"
                            : "SELECT setting_value FROM fleet_settings WHERE setting_name = ?")
          .Query({StateName(spec)});
  if (rows.empty()) return std::nullopt;
  CopyState state;
  std::istringstream in(rows[0].Text(0));
  in >> state.last >> state.high >> state.copied >> state.total;
  return state;
}

void WriteState(Session& s, const TableSpec& spec, const CopyState& state) {
  s.Prepared(
       "INSERT INTO fleet_settings (setting_name, setting_value) VALUES (?, ?) "
       "ON DUPLICATE KEY UPDATE setting_value = VALUES(setting_value), updated_at = NOW()")
      .Execute({StateName(spec),
                fmt::format("{} {} {} {}", state.last, state.high, state.copied, state.total)});
}

// Every trigger of the conversion: the mirror triggers and the carried ones (see Swap).
void DropTriggers(Session& s, const TableSpec& spec) {
  for (const Row& r : s.Prepared("SELECT trigger_name FROM information_schema.triggers "
                                 "WHERE trigger_schema = DATABASE() AND trigger_name LIKE ?")
                          .Query({TriggerName(spec, "%")})) {
    s.connection.ExecuteText(fmt::format("DROP TRIGGER IF EXISTS `{}`", r.Text(0)));
  }
}

// A trigger of the table that is not the conversion's own (the rollups' stale marking, say).
struct TableTrigger {
  std::string name, timing, event, statement, sql_mode;
};

// The triggers on `table` whose names are LIKE `pattern` (`like`) or are not (`!like`).
std::vector<TableTrigger> TriggersOn(Session& s, std::string_view table, std::string_view pattern,
                                     bool like) {
  std::vector<TableTrigger> out;
  for (const Row& r :
       s.Prepared("SELECT trigger_name, action_timing, event_manipulation, action_statement, "
                  "sql_mode FROM information_schema.triggers WHERE trigger_schema = DATABASE() "
                  "AND event_object_table = ? AND (trigger_name LIKE ?) = ? ORDER BY action_order")
           .Query({std::string(table), std::string(pattern), like ? 1LL : 0LL})) {
    out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)});
  }
  return out;
}

// Creates (or replaces, so a rerun after a crash goes on) `trigger` on `table` as `name`, in the
// SQL mode it was made in.
void CreateTrigger(Session& s, const TableTrigger& trigger, std::string_view name,
                   std::string_view table) {
  const std::string mode = s.Prepared("SELECT @@SESSION.sql_mode").QueryOne({}).Text(0);
  s.Prepared("SET SESSION sql_mode = ?").Execute({trigger.sql_mode});
  s.connection.ExecuteText(
      fmt::format("CREATE OR REPLACE TRIGGER `{}` {} {} ON `{}` FOR EACH ROW {}", name,
                  trigger.timing, trigger.event, table, trigger.statement));
  s.Prepared("SET SESSION sql_mode = ?").Execute({mode});
}

// The partitioned copy, empty, with the primary key widened by interval_start (MariaDB requires
// every unique key of a partitioned table to hold the partitioning column). LIKE copies columns
// and indexes but no foreign keys, which partitioned InnoDB tables cannot have.
void CreateCopy(Session& s, const TableSpec& spec) {
  const std::string copy = CopyOf(spec);
  const long long today = StoreNow(s) / kDay * kDay;
  const auto oldest =
      s.Prepared(fmt::format("SELECT UNIX_TIMESTAMP(MIN(interval_start)) FROM `{}`", spec.table))
          .QueryOne({})
          .OptionalInt(0);
  const long long first = std::max(std::min(oldest.value_or(today) / kDay * kDay, today),
                                   today - kMostDailyPartitions * kDay);
  s.connection.ExecuteText(fmt::format("DROP TABLE IF EXISTS `{}`", copy));
  s.connection.ExecuteText(fmt::format("CREATE TABLE `{}` LIKE `{}`", copy, spec.table));
  s.connection.ExecuteText(fmt::format(
      "ALTER TABLE `{0}` DROP PRIMARY KEY, ADD PRIMARY KEY (`{1}`, interval_start) "
      "PARTITION BY RANGE (UNIX_TIMESTAMP(interval_start)) (PARTITION p_before VALUES LESS "
      "THAN ({2}), {3}PARTITION {4} VALUES LESS THAN MAXVALUE)",
      copy, spec.key, first, DailyPartitions(first, today + (kPartitionDaysAhead + 1) * kDay),
      kFuturePartition));
}

// From here on every change to the table reaches the copy. A row changed before the batch copy
// reaches it is already there, newer, and the batch's INSERT IGNORE leaves it.
void CreateTriggers(Session& s, const TableSpec& spec) {
  const std::string copy = CopyOf(spec);
  const auto columns = Columns(s, spec.table);
  const std::string all = ColumnList(columns, "");
  const std::string values = ColumnList(columns, "NEW.");
  const std::string same_row =
      fmt::format("`{0}` = OLD.`{0}` AND interval_start = OLD.interval_start", spec.key);
  s.connection.ExecuteText(fmt::format(
      "CREATE TRIGGER `{}` AFTER INSERT ON `{}` FOR EACH ROW REPLACE INTO `{}` ({}) VALUES ({})",
      TriggerName(spec, "ins"), spec.table, copy, all, values));
  s.connection.ExecuteText(fmt::format(
      "CREATE TRIGGER `{0}` AFTER UPDATE ON `{1}` FOR EACH ROW BEGIN DELETE FROM `{2}` WHERE {5}; "
      "REPLACE INTO `{2}` ({3}) VALUES ({4}); END",
      TriggerName(spec, "upd"), spec.table, copy, all, values, same_row));
  s.connection.ExecuteText(
      fmt::format("CREATE TRIGGER `{}` AFTER DELETE ON `{}` FOR EACH ROW DELETE FROM `{}` WHERE {}",
                  TriggerName(spec, "del"), spec.table, copy, same_row));
}

}  // namespace

class MariaDbRetentionStore final : public RetentionStore {
 public:
  explicit MariaDbRetentionStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/false) {}

  RetentionOutcome ApplyRetention(const RetentionSettings& settings, MonitorId monitor,
                                  std::int64_t epoch, int max_batches) override {
    RetentionOutcome outcome;
    for (const auto& spec : kSpecs) {
      const int days =
          spec.table == kSightingsTable ? settings.sightings_days : settings.staging_days;
      outcome.tables.push_back(ApplyTo(spec, days, monitor, epoch, max_batches));
    }
    TableRetention beacons;
    beacons.table = std::string(kBeaconTable);
    if (settings.staging_days > 0) {
      DeleteInBatches({kBeaconTable, "", false}, settings.staging_days, monitor, epoch, max_batches,
                      beacons);
    }
    outcome.tables.push_back(std::move(beacons));
    return outcome;
  }

  std::vector<RetentionLayout> Layout() override {
    return runner_.Run("reading the tables' partitions", [&](Session& s) {
      std::vector<RetentionLayout> out;
      for (const auto& spec : kSpecs) out.push_back(LayoutOf(s, spec));
      return out;
    });
  }

  ConversionStep ConvertStep(std::string_view table, int batch_rows) override {
    const TableSpec& spec = SpecOf(table);
    return runner_.Run(fmt::format("partitioning {}", table), [&](Session& s) {
      if (!TableExists(s, "fleet_settings")) {
        throw Refused(fmt::format(
            "{} has no blemon schema (fleet_settings is missing, where the conversion records how "
            "far it got): run blemon-admin migrate first",
            runner_.settings().database));
      }
      const auto state = ReadState(s, spec, /*for_update=*/false);
      if (!state) return Begin(s, spec);
      if (!TableExists(s, CopyOf(spec))) {
        // Swapped, and stopped before the clean-up; or the copy was dropped by hand: start over.
        if (!Partitions(s, spec.table).empty()) return Finish(s, spec);
        DropTriggers(s, spec);
        s.Prepared("DELETE FROM fleet_settings WHERE setting_name = ?").Execute({StateName(spec)});
        return Begin(s, spec);
      }
      if (state->last < state->high) return CopyBatch(s, spec, batch_rows);
      return Swap(s, spec, *state);
    });
  }

 private:
  TableRetention ApplyTo(const TableSpec& spec, int days, MonitorId monitor, std::int64_t epoch,
                         int max_batches) {
    TableRetention result;
    result.table = std::string(spec.table);
    runner_.Run(fmt::format("applying retention to {}", spec.table), [&](Session& s) {
      const auto partitions = Partitions(s, spec.table);
      result.partitioned = !partitions.empty();
      if (!result.partitioned) return;
      if (days > 0) DropExpired(s, spec, partitions, days, monitor, epoch, result);
      result.partitions_added = AddAhead(s, spec, Partitions(s, spec.table), monitor, epoch);
    });
    if (!result.partitioned && days > 0)
      DeleteInBatches(spec, days, monitor, epoch, max_batches, result);
    return result;
  }

  void DropExpired(Session& s, const TableSpec& spec, const std::vector<Partition>& partitions,
                   int days, MonitorId monitor, std::int64_t epoch, TableRetention& result) {
    const long long cutoff = StoreNow(s) - days * kDay;
    std::vector<std::string> expired;
    std::int64_t rows = 0;
    long long expired_below = 0;
    for (const auto& p : partitions) {
      if (!p.bound || *p.bound > cutoff) break;  // holds rows the retention keeps
      if (spec.processed_only &&
          s.Prepared(fmt::format("SELECT EXISTS (SELECT 1 FROM `{}` PARTITION (`{}`) "
                                 "WHERE processed = FALSE)",
                                 spec.table, p.name))
              .QueryOne({})
              .Bool(0)) {
        ++result.partitions_kept_unprocessed;
        continue;
      }
      expired.push_back(p.name);
      expired_below = *p.bound;
      rows += p.rows;
    }
    if (expired.empty()) return;
    Fence(s, monitor, epoch,
          fmt::format("dropping {} partitions of {}", expired.size(), spec.table));
    s.connection.ExecuteText(
        fmt::format("ALTER TABLE `{}` DROP PARTITION {}", spec.table, Join(expired)));
    result.partitions_dropped = static_cast<int>(expired.size());
    result.rows_deleted = rows;
    // DROP PARTITION fires no triggers; the sightings dropped are every one before expired_below.
    if (spec.table == kSightingsTable) DropRollupsBefore(s, expired_below, monitor, epoch);
  }

  // The hourly rollups (and stale marks) of the hours wholly before `before` (Unix seconds), whose
  // sightings retention removed: a report of such an hour reads no rows either way, as it would
  // from device_sightings. DDL commits on its own, so this follows the drop in its own transaction.
  static void DropRollupsBefore(Session& s, long long before, MonitorId monitor,
                                std::int64_t epoch) {
    Transaction tx(s.connection);
    CheckFence(s, monitor, epoch, "dropping the rollups of expired hours");
    DeleteRollupsBefore(s, before);
    tx.Commit();
  }

  // Splits p_future so that daily partitions reach kPartitionDaysAhead days past today.
  int AddAhead(Session& s, const TableSpec& spec, const std::vector<Partition>& partitions,
               MonitorId monitor, std::int64_t epoch) {
    const long long today = StoreNow(s) / kDay * kDay;
    const long long wanted = today + (kPartitionDaysAhead + 1) * kDay;
    long long highest = today;
    std::string catch_all;
    for (const auto& p : partitions) {
      if (p.bound) highest = std::max(highest, *p.bound);
      if (!p.bound) catch_all = p.name;
    }
    if (highest >= wanted || catch_all.empty()) return 0;
    Fence(s, monitor, epoch, fmt::format("adding partitions to {}", spec.table));
    s.connection.ExecuteText(fmt::format(
        "ALTER TABLE `{}` REORGANIZE PARTITION `{}` INTO ({}PARTITION `{}` VALUES LESS THAN "
        "MAXVALUE)",
        spec.table, catch_all, DailyPartitions(highest, wanted), catch_all));
    return static_cast<int>((wanted - highest) / kDay);
  }

  void DeleteInBatches(const TableSpec& spec, int days, MonitorId monitor, std::int64_t epoch,
                       int max_batches, TableRetention& result) {
    const std::string sql = fmt::format(
        "DELETE FROM `{}` WHERE {}interval_start < FROM_UNIXTIME(UNIX_TIMESTAMP(NOW()) - ?) "
        "LIMIT ?",
        spec.table, spec.processed_only ? "processed = TRUE AND " : "");
    for (int batch = 0; batch < max_batches; ++batch) {
      const auto deleted =
          runner_.Run(fmt::format("deleting expired {} rows", spec.table), [&](Session& s) {
            Transaction tx(s.connection);
            CheckFence(s, monitor, epoch, fmt::format("retention of {}", spec.table));
            const auto n =
                s.Prepared(sql).Execute({days * kDay, static_cast<long long>(kRetentionBatchRows)});
            // The triggers marked the hours of the rows deleted; once no expired row is left, the
            // hours wholly before the cut-off go from the rollups instead.
            if (spec.table == kSightingsTable &&
                n < static_cast<std::uint64_t>(kRetentionBatchRows))
              DeleteRollupsBefore(s, StoreNow(s) - days * kDay);
            tx.Commit();
            return n;
          });
      result.rows_deleted += static_cast<std::int64_t>(deleted);
      if (deleted < static_cast<std::uint64_t>(kRetentionBatchRows)) return;
    }
    result.more_left = true;
  }

  RetentionLayout LayoutOf(Session& s, const TableSpec& spec) {
    RetentionLayout layout;
    layout.table = std::string(spec.table);
    for (const auto& p : Partitions(s, spec.table)) {
      layout.partitioned = true;
      layout.rows = layout.rows.value_or(0) + p.rows;
      if (!p.bound || p.name.size() != 9 || p.name[0] != 'p') continue;  // pYYYYMMDD
      ++layout.daily_partitions;
      if (!layout.oldest_day) layout.oldest_day = UtcTime(Seconds(*p.bound - kDay));
      layout.partitioned_to = UtcTime(Seconds(*p.bound));
    }
    if (!layout.partitioned) {
      const auto estimate = s.Prepared(
                                 "SELECT table_rows FROM information_schema.tables "
                                 "WHERE table_schema = DATABASE() AND table_name = ?")
                                .Query({std::string(spec.table)});
      if (!estimate.empty()) layout.rows = estimate[0].OptionalInt(0);
    }
    layout.conversion_in_progress =
        TableExists(s, "fleet_settings") && ReadState(s, spec, /*for_update=*/false).has_value();
    return layout;
  }

  // A conversion with no state row starts over: whatever an earlier start left (the copy, its
  // triggers) is dropped first, triggers before the copy they write to.
  ConversionStep Begin(Session& s, const TableSpec& spec) {
    ConversionStep step;
    if (!Partitions(s, spec.table).empty()) {
      step.phase = ConversionStep::Phase::kAlreadyPartitioned;
      return step;
    }
    if (TableExists(s, KeptAs(spec))) {
      throw Refused(fmt::format(
          "{} exists from an earlier conversion: drop it (DROP TABLE {}) or rename it, then run "
          "blemon-admin retention enable again",
          KeptAs(spec), KeptAs(spec)));
    }
    DropTriggers(s, spec);
    CreateCopy(s, spec);
    CreateTriggers(s, spec);
    // Every row with a higher key was inserted after the triggers existed (CREATE TRIGGER waits
    // for the table's open transactions), so the triggers copied it.
    const auto bounds = s.Prepared(fmt::format("SELECT COALESCE(MAX(`{}`), 0), COUNT(*) FROM `{}`",
                                               spec.key, spec.table))
                            .QueryOne({});
    CopyState state{.last = 0, .high = bounds.Int(0), .copied = 0, .total = bounds.Int(1)};
    WriteState(s, spec, state);
    step.phase = ConversionStep::Phase::kPrepared;
    step.rows_total = state.total;
    return step;
  }

  // One batch of keys (last, next]: their rows are locked in share mode so that no update or
  // delete of them slips between the read and the copy, copied unless the triggers already put a
  // newer version there, and the new `last` committed with them.
  ConversionStep CopyBatch(Session& s, const TableSpec& spec, int batch_rows) {
    const std::string copy = CopyOf(spec);
    Transaction tx(s.connection);
    CopyState state = *ReadState(s, spec, /*for_update=*/true);
    const auto next_rows =
        s.Prepared(fmt::format("SELECT `{0}` FROM `{1}` WHERE `{0}` > ? AND `{0}` <= ? "
                               "ORDER BY `{0}` LIMIT 1 OFFSET ?",
                               spec.key, spec.table))
            .Query({state.last, state.high, static_cast<long long>(batch_rows - 1)});
    const long long next = next_rows.empty() ? state.high : next_rows[0].Int(0);
    const auto locked =
        s.Prepared(fmt::format("SELECT COUNT(*) FROM `{1}` WHERE `{0}` > ? AND `{0}` <= ? "
                               "LOCK IN SHARE MODE",
                               spec.key, spec.table))
            .QueryOne({state.last, next})
            .Int(0);
    const std::string all = ColumnList(Columns(s, spec.table), "");
    s.Prepared(fmt::format("INSERT IGNORE INTO `{0}` ({1}) SELECT {1} FROM `{2}` "
                           "WHERE `{3}` > ? AND `{3}` <= ?",
                           copy, all, spec.table, spec.key))
        .Execute({state.last, next});
    state.last = next;
    state.copied += locked;
    WriteState(s, spec, state);
    tx.Commit();
    return ConversionStep{.phase = ConversionStep::Phase::kCopying,
                          .rows_copied = state.copied,
                          .rows_total = state.total,
                          .original_kept_as = {}};
  }

  // One RENAME TABLE: no moment exists in which the table is missing. Triggers follow their
  // table on RENAME, and trigger names are unique per schema, so the table's own triggers (the
  // rollups' stale marking) are first created on the copy under the conversion's names: from the
  // swap on the live table has them, and Finish gives them back their names. Between the two,
  // both copies may fire for one write, which marks an hour stale twice: harmless. (Dropping
  // them from the original and creating them on the copy after the swap would leave a window in
  // which a write marks nothing; taking the swap under LOCK TABLES to close it is not possible:
  // MariaDB refuses RENAME TABLE there, and two ALTER TABLE ... RENAME fail the writes waiting
  // between them with "table doesn't exist".)
  ConversionStep Swap(Session& s, const TableSpec& spec, const CopyState& state) {
    for (const auto& trigger : TriggersOn(s, spec.table, TriggerName(spec, "%"), false)) {
      CreateTrigger(s, trigger, CarriedName(spec, trigger.name), CopyOf(spec));
    }
    s.connection.ExecuteText(fmt::format("RENAME TABLE `{0}` TO `{1}`, `{2}` TO `{0}`", spec.table,
                                         KeptAs(spec), CopyOf(spec)));
    auto step = Finish(s, spec);
    step.rows_copied = state.copied;
    step.rows_total = state.total;
    return step;
  }

  // After the swap: each carried trigger of the live table is made again under its original name
  // (dropped from the kept original first: names are unique per schema), then the conversion's
  // triggers (mirror ones on the kept original, carried ones on the live table) and the state row
  // go. Each step can be repeated, so a run stopped anywhere in here finishes when run again.
  ConversionStep Finish(Session& s, const TableSpec& spec) {
    const std::string carried_prefix = CarriedName(spec, "");
    for (const auto& trigger : TriggersOn(s, spec.table, carried_prefix + "%", true)) {
      const std::string original = trigger.name.substr(carried_prefix.size());
      s.connection.ExecuteText(fmt::format("DROP TRIGGER IF EXISTS `{}`", original));
      CreateTrigger(s, trigger, original, spec.table);
    }
    DropTriggers(s, spec);
    s.Prepared("DELETE FROM fleet_settings WHERE setting_name = ?").Execute({StateName(spec)});
    return ConversionStep{.phase = ConversionStep::Phase::kSwapped,
                          .rows_copied = 0,
                          .rows_total = 0,
                          .original_kept_as = KeptAs(spec)};
  }

  SessionRunner runner_;
};

std::unique_ptr<RetentionStore> OpenRetentionStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbRetentionStore>(settings);
}

}  // namespace blemon::mariadb
