// Retention on SQLite (blemon/retention.h): SQLite has no partitions, so the processor deletes
// expired rows in batches of kRetentionBatchRows, each batch one transaction that checks the
// processor lease first, so that the monitors' writes never wait long behind it.

#include "blemon/sqlite/sqlite_retention_store.h"

#include <fmt/format.h>

#include <string>

#include "blemon/errors.h"
#include "connection.h"
#include "hourly_rollups.h"
#include "lease_row.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::WriteTransaction;

class SqliteRetentionStore final : public RetentionStore {
 public:
  explicit SqliteRetentionStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {}

  RetentionOutcome ApplyRetention(const RetentionSettings& settings, MonitorId monitor,
                                  std::int64_t epoch, int max_batches) override {
    RetentionOutcome outcome;
    outcome.tables.push_back(
        DeleteExpired(kSightingsTable, "", settings.sightings_days, monitor, epoch, max_batches));
    outcome.tables.push_back(DeleteExpired(kStagingTable, "processed = 1 AND ",
                                           settings.staging_days, monitor, epoch, max_batches));
    outcome.tables.push_back(
        DeleteExpired(kBeaconTable, "", settings.staging_days, monitor, epoch, max_batches));
    return outcome;
  }

  std::vector<RetentionLayout> Layout() override {
    std::vector<RetentionLayout> out;
    for (const auto table : {kSightingsTable, kStagingTable}) {
      RetentionLayout layout;
      layout.table = std::string(table);
      auto count = db_->Prepare(fmt::format("SELECT count(*) FROM {}", table));
      count.Step();
      layout.rows = count.Int(0);
      out.push_back(std::move(layout));
    }
    return out;
  }

  ConversionStep ConvertStep(std::string_view table, int batch_rows) override {
    (void)table;
    (void)batch_rows;
    return ConversionStep{.phase = ConversionStep::Phase::kNotApplicable,
                          .rows_copied = 0,
                          .rows_total = 0,
                          .original_kept_as = {}};
  }

 private:
  TableRetention DeleteExpired(std::string_view table, std::string_view only, int days,
                               MonitorId monitor, std::int64_t epoch, int max_batches) {
    TableRetention result;
    result.table = std::string(table);
    if (days <= 0) return result;
    // The rowids first: SQLite's DELETE takes no LIMIT unless built with it.
    const std::string sql = fmt::format(
        "DELETE FROM {0} WHERE rowid IN (SELECT rowid FROM {0} WHERE {1}interval_start < "
        "datetime('now', ?1) LIMIT ?2)",
        table, only);
    const std::string modifier = fmt::format("-{} seconds", static_cast<long long>(days) * 86400);
    for (int batch = 0; batch < max_batches; ++batch) {
      WriteTransaction tx(*db_);
      internal::CheckFence(*db_, monitor, epoch);
      db_->Prepare(sql).Bind(1, modifier).Bind(2, kRetentionBatchRows).Run();
      const int deleted = db_->Changes();
      if (table == kSightingsTable && deleted < kRetentionBatchRows) DeleteExpiredRollups(days);
      tx.Commit();
      result.rows_deleted += deleted;
      if (deleted < kRetentionBatchRows) return result;
    }
    result.more_left = true;
    return result;
  }

  // Once no expired sighting is left: the hourly rollups and stale marks of the hours wholly
  // before the cut-off (the triggers marked them stale; the rows would otherwise stay until the
  // processor recomputed each hour as empty). The cut-off on the store's clock, like the deletes.
  void DeleteExpiredRollups(int days) {
    auto now = db_->Prepare("SELECT CAST(strftime('%s', 'now') AS INTEGER)");
    now.Step();
    internal::DeleteRollupsBefore(*db_, now.Int(0) - static_cast<long long>(days) * 86400);
  }

  std::unique_ptr<Connection> db_;
};

}  // namespace

std::unique_ptr<RetentionStore> OpenRetentionStore(const std::string& path) {
  return std::make_unique<SqliteRetentionStore>(Connection::Open(path));
}

}  // namespace blemon::sqlite
