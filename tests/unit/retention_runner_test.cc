// The processor's daily retention step inside the monitor cycle, against an in-memory retention
// store: it runs once a day under the processor's epoch, goes on next cycle when the batch limit
// cut a run short, retries an unavailable store next cycle, and a lost lease ends the role.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "blemon/errors.h"
#include "blemon/retention.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon::testing {
namespace {

// Records each call; `more_left_calls` calls answer that rows are left, `unavailable_calls`
// throw Unavailable, `fenced` throws LeaseLost.
class FakeRetentionStore final : public RetentionStore {
 public:
  RetentionOutcome ApplyRetention(const RetentionSettings& settings, MonitorId, std::int64_t epoch,
                                  int max_batches) override {
    calls.push_back({settings.sightings_days, epoch, max_batches});
    if (fenced) throw LeaseLost("another monitor holds the lease");
    if (unavailable_calls > 0) {
      --unavailable_calls;
      throw Unavailable("server away");
    }
    RetentionOutcome outcome;
    TableRetention t;
    t.table = std::string(kSightingsTable);
    t.rows_deleted = 10;
    t.more_left = more_left_calls > 0;
    if (more_left_calls > 0) --more_left_calls;
    outcome.tables.push_back(t);
    return outcome;
  }
  std::vector<RetentionLayout> Layout() override { return {}; }
  ConversionStep ConvertStep(std::string_view, int) override { return {}; }

  struct Call {
    int sightings_days;
    std::int64_t epoch;
    int max_batches;
  };
  std::vector<Call> calls;
  int more_left_calls = 0;
  int unavailable_calls = 0;
  bool fenced = false;
};

class ARetentionStep : public AMonitorCycle {
 protected:
  FakeRetentionStore retention_store_;
  RetentionRunner runner_{RetentionSettings{.sightings_days = 30, .staging_days = 7},
                          {retention_store_, clock_, log_}};
};

TEST_F(ARetentionStep, RunsAtTheFirstProcessingStepThenOnceADay) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  cycle.AttachRetention(&runner_);
  for (int i = 0; i < 12; ++i) RunOnce();  // an hour of 300 s cycles
  ASSERT_EQ(retention_store_.calls.size(), 1u);
  EXPECT_EQ(retention_store_.calls[0].sightings_days, 30);
  EXPECT_EQ(retention_store_.calls[0].max_batches, RetentionRunner::kBatchesPerCycle);
  clock_.Advance(Seconds{86400});
  RunOnce();
  EXPECT_EQ(retention_store_.calls.size(), 2u);
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "Retention: deleted 10 expired device_sightings"));
}

TEST_F(ARetentionStep, GoesOnNextCycleWhileRowsAreLeftOrTheStoreIsAway) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  cycle.AttachRetention(&runner_);
  retention_store_.more_left_calls = 2;
  retention_store_.unavailable_calls = 0;
  for (int i = 0; i < 4; ++i) RunOnce();
  EXPECT_EQ(retention_store_.calls.size(), 3u) << "two cut short, the third finished";
  retention_store_.unavailable_calls = 1;
  clock_.Advance(Seconds{86400});
  RunOnce();
  RunOnce();
  EXPECT_EQ(retention_store_.calls.size(), 5u) << "retried the cycle after the outage";
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "retention runs next cycle"));
}

TEST_F(ARetentionStep, RunsUnderTheProcessorsEpochAndStepsDownWhenFenced) {
  MonitorCycle& cycle = Started(MakeConfig(/*process=*/true));
  cycle.AttachRetention(&runner_);
  retention_store_.fenced = true;
  RunOnce();
  ASSERT_EQ(retention_store_.calls.size(), 1u);
  EXPECT_EQ(retention_store_.calls[0].epoch, store_.Lease().epoch);
  EXPECT_FALSE(cycle.is_processor());
}

TEST_F(ARetentionStep, DoesNotRunOnAMonitorThatOnlyScans) {
  Started(MakeConfig(/*process=*/false)).AttachRetention(&runner_);
  for (int i = 0; i < 2; ++i) RunOnce();
  EXPECT_TRUE(retention_store_.calls.empty());
}

}  // namespace
}  // namespace blemon::testing
