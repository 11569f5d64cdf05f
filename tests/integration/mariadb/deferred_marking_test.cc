// Schema version 12's deferred marking (issue #14): the processing transaction records what it
// merged (staging_merges, staging_merge_parts) and commits; the staging rows are marked processed
// afterwards, one part per short transaction (blemon_mark_merged). These tests show the results
// readable while the marking is still held up, a processor that died between the two steps (the
// processing committed by hand, nothing marked) whose work the next run finishes, rows committed
// after the run read the interval (merged before they are ever marked), and the original tool's
// entry point and troubleshooting SQL.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const UtcTime kT0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
constexpr char kT0Sql[] = "'2026-03-01 10:00:00'";

// The original README's troubleshooting statements (/work/shared/original-README.md), verbatim.
constexpr char kStagingStatus[] =
    "SELECT processed, COUNT(*) as count \nFROM sighting_staging \nGROUP BY processed;";
constexpr char kUnprocessedStuck[] =
    "SELECT interval_start, COUNT(*) \nFROM sighting_staging \nWHERE processed = FALSE \n"
    "GROUP BY interval_start \nORDER BY interval_start DESC;";

class DeferredMarking : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = MariaDbPeer::FromEnvironment();
    const std::string db = UniqueDatabaseName("marking");
    mariadb::Migrate(peer_.Admin(db));
    settings_ = peer_.App(db);
    sql_ = std::make_unique<TestSql>(settings_);
    // As the store's sessions: each statement reads what is committed when it starts.
    sql_->Exec("SET SESSION tx_isolation = 'READ-COMMITTED'");
    store_ = mariadb::OpenStore(settings_);
    monitor_ = store_->RegisterMonitor({"kitchen", "", ""});
    epoch_ = store_->ClaimLease(monitor_, Seconds(600)).epoch;
  }
  void TearDown() override { sql_->Exec("DROP DATABASE `" + settings_.database + "`"); }

  // A staging row with a chosen staging_id, as the original tool writes it.
  void StageRow(int staging_id, const std::string& mac, int rssi,
                const std::string& interval = kT0Sql) {
    sql_->Exec(fmt::format(
        "INSERT INTO sighting_staging (staging_id, mac_address, device_name, monitor_id, rssi, "
        "interval_start, scan_timestamp) VALUES ({}, '{}', '', {}, {}, {}, {} + INTERVAL 5 "
        "SECOND)",
        staging_id, mac, monitor_, rssi, interval, interval));
  }
  // The processing transaction alone, committed, and no marking after it: a processor that died
  // right after its commit.
  void ProcessWithoutMarking(const std::string& interval = kT0Sql) {
    sql_->Exec("START TRANSACTION");
    sql_->Exec("CALL blemon_process_interval(" + interval + ", @r, @c, @a)");
    sql_->Exec("COMMIT");
  }
  // One part of the marking, in its own transaction; returns the rows it marked.
  std::string MarkOnePart() {
    sql_->Exec("START TRANSACTION");
    sql_->Exec("CALL blemon_mark_merged(@marked, @more)");
    sql_->Exec("COMMIT");
    return sql_->Scalar("SELECT @marked");
  }
  std::string Processed() { return sql_->Scalar("SELECT SUM(processed) FROM sighting_staging"); }
  int KeptRssi(const UtcTime interval) {
    const auto kept = store_->Sightings(interval, interval + 1s);
    return kept.empty() ? 0 : kept.front().sighting.rssi;
  }

  MariaDbPeer peer_;
  DatabaseSettings settings_;
  std::unique_ptr<TestSql> sql_;
  std::unique_ptr<Store> store_;
  MonitorId monitor_ = 0;
  std::int64_t epoch_ = 0;
};

TEST_F(DeferredMarking, CommitsTheResultsBeforeTheMarkingAndMarksEveryRowBeforeReturning) {
  StageRow(1, "AA:BB:CC:DD:EE:01", -60);
  StageRow(2, "AA:BB:CC:DD:EE:02", -61);
  // Another session holds row 2's lock: the marking (and only the marking) waits for it.
  TestSql blocker(settings_);
  blocker.Exec("START TRANSACTION");
  blocker.Exec("SELECT * FROM sighting_staging WHERE staging_id = 2 FOR UPDATE");
  auto processing = std::async(std::launch::async, [&] {
    return mariadb::OpenStore(settings_)->ProcessInterval(kT0, monitor_, epoch_);
  });
  TestSql reader(settings_);
  std::string visible;
  for (int i = 0; i < 200 && visible != "2"; ++i) {
    std::this_thread::sleep_for(50ms);
    visible = reader.Scalar("SELECT COUNT(*) FROM device_sightings");
  }
  const std::string processed_meanwhile =
      reader.Scalar("SELECT SUM(processed) FROM sighting_staging");
  blocker.Exec("COMMIT");
  const ProcessOutcome outcome = processing.get();
  EXPECT_EQ(visible, "2") << "results committed and readable while the marking waits";
  EXPECT_EQ(processed_meanwhile, "0");
  EXPECT_EQ(outcome.staging_rows, 2);
  EXPECT_EQ(Processed(), "2") << "every row marked when ProcessInterval returns";
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM staging_merges"), "0") << "queue emptied";
}

TEST_F(DeferredMarking, IsFinishedByTheNextProcessorRunAfterADeathBetweenCommitAndMarking) {
  StageRow(1, "AA:BB:CC:DD:EE:01", -60);
  StageRow(30001, "AA:BB:CC:DD:EE:02", -61);  // a second part (20,000 ids each)
  ProcessWithoutMarking();
  EXPECT_EQ(KeptRssi(kT0), -60) << "readable as soon as the aggregate committed";
  EXPECT_EQ(MarkOnePart(), "1") << "the first part only, then the processor dies";
  EXPECT_EQ(Processed(), "1");
  // Until the marking completes the original troubleshooting SQL shows the rest as unprocessed.
  EXPECT_THAT(sql_->Rows(kUnprocessedStuck), ElementsAre(ElementsAre("2026-03-01 10:00:00", "1")));

  // A new processor (a new store, as after a failover): its run finishes the marking first, and
  // the interval, merged already, is not pending again.
  auto next = mariadb::OpenStore(settings_);
  EXPECT_THAT(next->PendingIntervals(kT0 + 1h), IsEmpty());
  EXPECT_EQ(Processed(), "2");
  EXPECT_THAT(sql_->Rows(kUnprocessedStuck), IsEmpty());
  EXPECT_THAT(sql_->Rows(kStagingStatus), ElementsAre(ElementsAre("1", "2")));
  EXPECT_EQ(sql_->Scalar("SELECT COUNT(*) FROM processing_runs"), "0") << "nothing redone";
}

TEST_F(DeferredMarking, MergesARowCommittedIntoAPartNotYetMarkedBeforeMarkingIt) {
  StageRow(10, "AA:BB:CC:DD:EE:01", -60);
  StageRow(20, "AA:BB:CC:DD:EE:01", -65);
  ProcessWithoutMarking();
  // A staging transaction that took its id before the run read and committed after it.
  StageRow(15, "AA:BB:CC:DD:EE:01", -40);
  EXPECT_EQ(MarkOnePart(), "0") << "3 rows where the run read 2: nothing marked";
  EXPECT_EQ(Processed(), "0") << "no row marked that was not merged";
  EXPECT_THAT(store_->PendingIntervals(kT0), ElementsAre(kT0));
  EXPECT_EQ(store_->ProcessInterval(kT0, monitor_, epoch_).staging_rows, 3);
  EXPECT_EQ(KeptRssi(kT0), -40);
  EXPECT_EQ(Processed(), "3");
}

TEST_F(DeferredMarking, MergesARowCommittedIntoAPartAlreadyMarked) {
  StageRow(10, "AA:BB:CC:DD:EE:01", -60);
  StageRow(30010, "AA:BB:CC:DD:EE:01", -65);
  StageRow(50010, "AA:BB:CC:DD:EE:01", -66);  // three parts of 20,000 ids
  ProcessWithoutMarking();
  EXPECT_EQ(MarkOnePart(), "1");
  StageRow(15, "AA:BB:CC:DD:EE:01", -40);  // below the marker's cursor
  // Pending while the rest of the marking is still queued (the run then finishes the marking).
  EXPECT_THAT(store_->PendingIntervals(kT0), ElementsAre(kT0));
  EXPECT_EQ(sql_->Scalar("SELECT processed FROM sighting_staging WHERE staging_id = 15"), "0");
  EXPECT_EQ(Processed(), "3") << "the parts as the run read them";
  EXPECT_EQ(store_->ProcessInterval(kT0, monitor_, epoch_).staging_rows, 1);
  EXPECT_EQ(KeptRssi(kT0), -40);
  EXPECT_EQ(Processed(), "4");
}

TEST_F(DeferredMarking, MergesARowCommittedBetweenPartsThatHadNoRows) {
  StageRow(10, "AA:BB:CC:DD:EE:01", -60);
  StageRow(100010, "AA:BB:CC:DD:EE:01", -65);  // parts 1 and 6; 2-5 had no rows
  ProcessWithoutMarking();
  StageRow(50000, "AA:BB:CC:DD:EE:01", -40);
  EXPECT_EQ(MarkOnePart(), "1");
  EXPECT_EQ(MarkOnePart(), "1") << "its own 20,000 ids only";
  EXPECT_EQ(sql_->Scalar("SELECT processed FROM sighting_staging WHERE staging_id = 50000"), "0");
  EXPECT_THAT(store_->PendingIntervals(kT0), ElementsAre(kT0));
  store_->ProcessInterval(kT0, monitor_, epoch_);
  EXPECT_EQ(KeptRssi(kT0), -40);
  EXPECT_EQ(Processed(), "3");
}

TEST_F(DeferredMarking, ReMergesALateRowOfAnIntervalAlreadyProcessed) {
  StageRow(1, "AA:BB:CC:DD:EE:01", -60);
  StageRow(2, "AA:BB:CC:DD:EE:02", -70);
  EXPECT_EQ(store_->ProcessInterval(kT0, monitor_, epoch_).staging_rows, 2);
  StageRow(3, "AA:BB:CC:DD:EE:01", -50);  // replayed from a monitor's spool
  StageRow(4, "AA:BB:CC:DD:EE:02", -90);  // late and worse: must not displace the kept one
  EXPECT_THAT(store_->PendingIntervals(kT0), ElementsAre(kT0));
  EXPECT_EQ(store_->ProcessInterval(kT0, monitor_, epoch_).staging_rows, 2);
  const auto kept = store_->Sightings(kT0, kT0 + 1s);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].sighting.rssi, -50);
  EXPECT_EQ(kept[1].sighting.rssi, -70);
  EXPECT_EQ(Processed(), "4");
  EXPECT_THAT(store_->PendingIntervals(kT0), IsEmpty());
}

TEST_F(DeferredMarking, StaysSynchronousForTheOriginalToolsEntryPoint) {
  StageRow(1, "AA:BB:CC:DD:EE:01", -60);
  StageRow(2, "AA:BB:CC:DD:EE:02", -61);
  sql_->Exec(std::string("CALL process_interval_best_rssi(") + kT0Sql + ")");
  EXPECT_EQ(Processed(), "2") << "its processor finds work by processed = FALSE alone";
  EXPECT_EQ(KeptRssi(kT0), -60);
  EXPECT_THAT(sql_->Rows(kUnprocessedStuck), IsEmpty());
}

}  // namespace
}  // namespace blemon::testing
