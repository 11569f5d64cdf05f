#include "blemon/retention.h"

#include <fmt/format.h>

#include "blemon/errors.h"

namespace blemon {

bool RetentionRunner::RunIfDue(MonitorId monitor, std::int64_t epoch) {
  const SteadyTime now = ports_.clock.SteadyNow();
  if (last_complete_ && now - *last_complete_ < kEvery) return false;
  try {
    const RetentionOutcome outcome =
        ports_.store.ApplyRetention(settings_, monitor, epoch, kBatchesPerCycle);
    Report(outcome);
    if (!outcome.more_left()) last_complete_ = now;
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Database unavailable, retention runs next cycle: {}", e.what()));
  } catch (const Refused& e) {
    last_complete_ = now;
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused retention, retried in a day: {}", e.what()));
  }
  return true;
}

void RetentionRunner::Report(const RetentionOutcome& outcome) {
  for (const TableRetention& t : outcome.tables) {
    if (t.partitions_dropped > 0 || t.partitions_added > 0) {
      ports_.log.Log(
          LogLevel::kInfo,
          fmt::format("Retention: {} dropped {} daily partitions (about {} rows), "
                      "added {} ahead",
                      t.table, t.partitions_dropped, t.rows_deleted, t.partitions_added));
    } else if (t.rows_deleted > 0) {
      ports_.log.Log(LogLevel::kInfo,
                     fmt::format("Retention: deleted {} expired {} rows{}", t.rows_deleted, t.table,
                                 t.more_left ? ", more next cycle" : ""));
    }
    if (t.partitions_kept_unprocessed > 0) {
      ports_.log.Log(LogLevel::kWarning,
                     fmt::format("Retention: kept {} expired {} partitions that still hold "
                                 "unprocessed rows",
                                 t.partitions_kept_unprocessed, t.table));
    }
  }
}

}  // namespace blemon
