#pragma once

// Retention (docs/database.md, "Retention"): how the processor forgets old sightings and staging
// rows once a day, and how `blemon-admin retention enable` turns MariaDB's two big tables into
// daily partitions so that forgetting a day is one DROP PARTITION instead of a long DELETE.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/config.h"
#include "blemon/ports.h"
#include "blemon/time.h"

namespace blemon {

// The tables retention applies to, in the order it handles them.
inline constexpr std::string_view kSightingsTable = "device_sightings";
inline constexpr std::string_view kStagingTable = "sighting_staging";
// The monitors' beacons heard by each other (schema 13): raw readings like staging, kept
// `staging_days` and deleted in batches (never partitioned).
inline constexpr std::string_view kBeaconTable = "beacon_observations";

// Rows one batched delete removes in one transaction (SQLite, and MariaDB tables that are not
// partitioned): short enough that monitors' inserts never wait long behind it.
inline constexpr int kRetentionBatchRows = 10'000;
// Daily partitions kept ready ahead of the store's today, so a day never starts without one; a
// MAXVALUE partition behind them takes whatever comes later still, so an insert never fails.
inline constexpr int kPartitionDaysAhead = 3;

// What one ApplyRetention call did to one table.
struct TableRetention {
  std::string table;
  bool partitioned = false;
  std::int64_t rows_deleted = 0;  // batched deletes; for dropped partitions the server's estimate
  int partitions_dropped = 0;
  int partitions_added = 0;
  // Expired staging partitions kept because they still hold unprocessed rows (never dropped).
  int partitions_kept_unprocessed = 0;
  // The batch limit stopped the deletes: more expired rows are left for the next call.
  bool more_left = false;
};

struct RetentionOutcome {
  std::vector<TableRetention> tables;
  bool more_left() const {
    for (const auto& t : tables) {
      if (t.more_left) return true;
    }
    return false;
  }
};

// How a table is laid out for retention (`blemon-admin retention status`).
struct RetentionLayout {
  std::string table;
  bool partitioned = false;
  int daily_partitions = 0;               // pYYYYMMDD partitions
  std::optional<UtcTime> oldest_day;      // the first daily partition's day
  std::optional<UtcTime> partitioned_to;  // the last daily partition's end
  bool conversion_in_progress = false;    // `retention enable` started and has not finished
  std::optional<std::int64_t> rows;       // the server's estimate
};

// One bounded step of `retention enable` on one table. Each step commits on its own, so the
// conversion can stop after any step (Ctrl-C, a lost connection, a crash) and resume where it
// was with nothing lost or copied twice.
struct ConversionStep {
  enum class Phase {
    kAlreadyPartitioned,  // nothing to do
    kPrepared,            // the partitioned copy and the triggers that keep it current exist
    kCopying,             // `rows_copied` of about `rows_total` are in the copy
    kSwapped,             // the copy took the table's name (one RENAME TABLE); done
    kNotApplicable,       // this store has no partitions (SQLite): retention deletes in batches
  };
  Phase phase = Phase::kNotApplicable;
  std::int64_t rows_copied = 0;
  std::int64_t rows_total = 0;  // rows to copy, counted when the copy started
  // After kSwapped: the original table, kept under this name until the operator drops it.
  std::string original_kept_as;
  bool done() const { return phase != Phase::kPrepared && phase != Phase::kCopying; }
};

// The port. Called by the processor (ApplyRetention, under its lease) and by blemon-admin; one
// thread at a time. Throws Unavailable while the store cannot be reached and Refused when it
// answers no (for instance an account without the ALTER and DROP rights partitions need).
class RetentionStore {
 public:
  virtual ~RetentionStore() = default;
  RetentionStore() = default;
  RetentionStore(const RetentionStore&) = delete;
  RetentionStore& operator=(const RetentionStore&) = delete;

  // Removes device_sightings rows whose interval started more than settings.sightings_days ago and
  // processed sighting_staging rows more than settings.staging_days ago (store's clock; 0 keeps a
  // table whole). Partitioned tables drop each daily partition that lies wholly before the
  // cut-off (a partition that straddles it goes the next day) and get partitions
  // kPartitionDaysAhead days ahead; other tables delete in batches of kRetentionBatchRows, at most
  // `max_batches` per table per call (more_left says when some are left). Only while `monitor`
  // holds the processor lease under `epoch`: throws LeaseLost otherwise, having done nothing more.
  virtual RetentionOutcome ApplyRetention(const RetentionSettings& settings, MonitorId monitor,
                                          std::int64_t epoch, int max_batches) = 0;
  // device_sightings, then sighting_staging.
  virtual std::vector<RetentionLayout> Layout() = 0;
  // One step of converting `table` (kSightingsTable or kStagingTable) to daily partitions,
  // copying at most `batch_rows` rows. Call until done().
  virtual ConversionStep ConvertStep(std::string_view table, int batch_rows) = 0;
};

// The processor's daily retention step, run by the monitor cycle after processing (only while it
// holds the lease). It runs at the first processing step after start, then once a day by the
// steady clock; a run the batch limit cut short goes on at the next cycle. It runs even when
// retention keeps everything, since partitioned tables still need partitions ahead.
class RetentionRunner {
 public:
  struct Ports {
    RetentionStore& store;
    Clock& clock;
    Logger& log;
  };
  // Batches per table per cycle: at most 500,000 rows, so a first run on years of history spreads
  // over cycles instead of holding one cycle up.
  static constexpr int kBatchesPerCycle = 50;
  static constexpr Seconds kEvery{86400};

  RetentionRunner(const RetentionSettings& settings, Ports ports)
      : settings_(settings), ports_(ports) {}

  // Applies retention if due; returns whether it ran. Throws LeaseLost (the caller steps down);
  // Unavailable is logged and retried next cycle, Refused logged and retried a day later.
  bool RunIfDue(MonitorId monitor, std::int64_t epoch);

 private:
  void Report(const RetentionOutcome& outcome);

  RetentionSettings settings_;
  Ports ports_;
  std::optional<SteadyTime> last_complete_;
};

}  // namespace blemon
