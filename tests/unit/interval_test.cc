#include "blemon/interval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>

namespace blemon {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

UtcTime At(long long seconds) { return UtcTime{Seconds{seconds}}; }

IntervalClock Intervals(long long length) {
  auto clock = IntervalClock::Make(Seconds{length});
  EXPECT_TRUE(clock.has_value()) << length;
  return *clock;
}

// 2026-03-29 00:00:00 UTC, the night European clocks spring forward: UTC does not care.
constexpr long long kMidnight = 1774742400;

// --- interval length ---------------------------------------------------------------------------

TEST(AnIntervalLength, IsAcceptedWhenItDividesADay) {
  for (long long length : {1LL, 60LL, 300LL, 600LL, 900LL, 3600LL, 7200LL, 43200LL, 86400LL}) {
    auto clock = IntervalClock::Make(Seconds{length});
    ASSERT_TRUE(clock.has_value()) << length;
    EXPECT_EQ(clock->length(), Seconds{length});
  }
}

TEST(AnIntervalLength, IsRejectedWhenItDoesNotDivideADay) {
  for (long long length : {7LL, 7000LL, 86399LL, 86401LL, 172800LL}) {
    std::string why;
    EXPECT_FALSE(IntervalClock::Make(Seconds{length}, &why).has_value()) << length;
    EXPECT_THAT(why, HasSubstr("86400")) << length;
  }
}

TEST(AnIntervalLength, IsRejectedWhenNotPositive) {
  for (long long length : {0LL, -1LL, -300LL}) {
    std::string why;
    EXPECT_FALSE(IntervalClock::Make(Seconds{length}, &why).has_value()) << length;
    EXPECT_THAT(why, Not(IsEmpty())) << length;
  }
}

TEST(AnIntervalLength, IsAcceptedExactlyForTheDivisorsOfADay) {
  int divisors = 0;
  for (long long length = -10; length <= 90'000; ++length) {
    const bool divides = length > 0 && 86400 % length == 0;
    ASSERT_EQ(IntervalClock::Make(Seconds{length}).has_value(), divides) << length;
    divisors += divides ? 1 : 0;
  }
  EXPECT_EQ(divisors, 96);  // 86400 = 2^7 * 3^3 * 5^2 has 8 * 4 * 3 divisors
}

// --- interval arithmetic -----------------------------------------------------------------------

TEST(AnIntervalClock, StartsAnIntervalAtTheFloorOfTheTime) {
  const IntervalClock clock = Intervals(300);
  EXPECT_EQ(clock.StartOf(At(kMidnight + 14 * 3600 + 35 * 60)),
            At(kMidnight + 14 * 3600 + 35 * 60));
  EXPECT_EQ(clock.StartOf(At(kMidnight + 14 * 3600 + 39 * 60 + 59)),
            At(kMidnight + 14 * 3600 + 35 * 60));
  EXPECT_EQ(clock.StartOf(At(kMidnight + 14 * 3600 + 40 * 60)),
            At(kMidnight + 14 * 3600 + 40 * 60));
}

TEST(AnIntervalClock, EndsAnIntervalOneLengthAfterItsStart) {
  const IntervalClock clock = Intervals(300);
  EXPECT_EQ(clock.EndOf(At(kMidnight)), At(kMidnight + 300));
  EXPECT_EQ(Intervals(3600).EndOf(At(kMidnight)), At(kMidnight + 3600));
}

TEST(AnIntervalClock, GivesTheNextStartStrictlyAfterTheTime) {
  const IntervalClock clock = Intervals(300);
  EXPECT_EQ(clock.NextStart(At(kMidnight)), At(kMidnight + 300));
  EXPECT_EQ(clock.NextStart(At(kMidnight + 1)), At(kMidnight + 300));
  EXPECT_EQ(clock.NextStart(At(kMidnight + 299)), At(kMidnight + 300));
}

TEST(AnIntervalClock, FloorsTimesBeforeTheEpochDownwards) {
  // floor, not truncation toward zero: one second before 1970 is in the interval starting -300.
  const IntervalClock clock = Intervals(300);
  EXPECT_EQ(clock.StartOf(At(-1)), At(-300));
  EXPECT_EQ(clock.StartOf(At(-300)), At(-300));
  EXPECT_EQ(clock.StartOf(At(-301)), At(-600));
}

TEST(AnIntervalClock, AlignsEveryLengthToUtcMidnight) {
  for (long long length = 1; length <= 86400; ++length) {
    if (86400 % length != 0) continue;
    const IntervalClock clock = Intervals(length);
    EXPECT_EQ(clock.StartOf(At(kMidnight)), At(kMidnight)) << length;
    EXPECT_EQ(clock.StartOf(At(kMidnight - 1)), At(kMidnight - length)) << length;
  }
}

TEST(AnIntervalClock, PutsEveryTimeInExactlyOneAlignedInterval) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<long long> when(-4'000'000'000LL, 4'000'000'000LL);
  for (long long length : {1LL, 60LL, 300LL, 86400LL}) {
    const IntervalClock clock = Intervals(length);
    for (int i = 0; i < 2000; ++i) {
      const UtcTime t = At(when(rng));
      const UtcTime start = clock.StartOf(t);
      EXPECT_LE(start, t);
      EXPECT_LT(t, clock.EndOf(start));
      EXPECT_EQ(start.time_since_epoch().count() % length, 0);
      EXPECT_EQ(clock.StartOf(start), start);
      EXPECT_EQ(clock.NextStart(t), clock.EndOf(start));
    }
  }
}

// --- schedule ----------------------------------------------------------------------------------

Schedule MakeSchedule(long long interval, long long offset, long long duration, long long wait) {
  std::string why;
  auto schedule =
      Schedule::Make({Seconds{interval}, Seconds{offset}, Seconds{duration}, Seconds{wait}}, &why);
  EXPECT_TRUE(schedule.has_value()) << why;
  return schedule.value_or(*Schedule::Make({}));
}

TEST(ASchedule, IsMadeFromTheDefaults) {
  auto schedule = Schedule::Make({});
  ASSERT_TRUE(schedule.has_value());
  EXPECT_EQ(schedule->intervals().length(), Seconds{300});
  EXPECT_EQ(schedule->config().scan_duration, Seconds{10});
  EXPECT_EQ(schedule->config().processor_wait, Seconds{60});
  EXPECT_EQ(schedule->config().scan_offset, Seconds{0});
}

TEST(ASchedule, IsRejectedWhenTheIntervalDoesNotDivideADay) {
  std::string why;
  EXPECT_FALSE(Schedule::Make({Seconds{7000}, Seconds{0}, Seconds{10}, Seconds{60}}, &why));
  EXPECT_THAT(why, HasSubstr("86400"));
}

TEST(ASchedule, IsRejectedWhenOffsetDurationAndWaitFillTheInterval) {
  std::string why;
  // 100 + 100 + 100 = 300: not shorter than the interval.
  EXPECT_FALSE(Schedule::Make({Seconds{300}, Seconds{100}, Seconds{100}, Seconds{100}}, &why));
  EXPECT_THAT(why, Not(IsEmpty()));
}

TEST(ASchedule, IsRejectedWhenTheScanAloneOutlastsTheInterval) {
  std::string why;
  EXPECT_FALSE(Schedule::Make({Seconds{60}, Seconds{0}, Seconds{120}, Seconds{0}}, &why));
  EXPECT_THAT(why, Not(IsEmpty()));
}

TEST(ASchedule, IsAcceptedWhenTheTimingsLeaveOneSecondSpare) {
  EXPECT_TRUE(Schedule::Make({Seconds{300}, Seconds{100}, Seconds{100}, Seconds{99}}));
}

TEST(ASchedule, StartsTheNextScanAtTheNextAlignedInterval) {
  const Schedule schedule = MakeSchedule(300, 0, 10, 60);
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 1)), At(kMidnight + 300));
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 299)), At(kMidnight + 300));
}

TEST(ASchedule, StartsTheScanNowWhenNowIsExactlyTheWindowStart) {
  const Schedule schedule = MakeSchedule(300, 0, 10, 60);
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight)), At(kMidnight));
}

TEST(ASchedule, AddsTheScanOffsetToTheIntervalStart) {
  const Schedule schedule = MakeSchedule(300, 30, 10, 60);
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight)), At(kMidnight + 30));
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 29)), At(kMidnight + 30));
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 30)), At(kMidnight + 30));
}

TEST(ASchedule, DoesNotJoinAWindowThatHasBegun) {
  const Schedule schedule = MakeSchedule(300, 30, 10, 60);
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 31)), At(kMidnight + 330));
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 35)), At(kMidnight + 330));
  EXPECT_EQ(schedule.NextScanStart(At(kMidnight + 299)), At(kMidnight + 330));
}

TEST(ASchedule, EndsTheScanWindowAfterOffsetAndDuration) {
  const Schedule schedule = MakeSchedule(300, 30, 10, 60);
  EXPECT_EQ(schedule.ScanEnd(At(kMidnight)), At(kMidnight + 40));
}

TEST(ASchedule, MakesAnIntervalProcessableAWaitAfterItsScanEnds) {
  const Schedule schedule = MakeSchedule(300, 30, 10, 60);
  EXPECT_EQ(schedule.ProcessableAt(At(kMidnight)), At(kMidnight + 100));
}

TEST(ASchedule, MakesAnIntervalDueExactlyWhenItBecomesProcessable) {
  const Schedule schedule = MakeSchedule(300, 0, 10, 60);
  // Interval kMidnight is processable at +70.
  EXPECT_EQ(schedule.LatestDueInterval(At(kMidnight + 70)), At(kMidnight));
  EXPECT_EQ(schedule.LatestDueInterval(At(kMidnight + 69)), At(kMidnight - 300));
  EXPECT_EQ(schedule.LatestDueInterval(At(kMidnight + 299)), At(kMidnight));
  EXPECT_EQ(schedule.LatestDueInterval(At(kMidnight + 300)), At(kMidnight));
  EXPECT_EQ(schedule.LatestDueInterval(At(kMidnight + 370)), At(kMidnight + 300));
}

TEST(ASchedule, DuesTheLatestIntervalWhoseWaitHasPassedAtAnyTime) {
  // Property: the returned interval is aligned, processable by now, and the next one is not.
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<long long> when(0, 4'000'000'000LL);
  for (const auto& [interval, offset, duration, wait] :
       {std::tuple{300, 0, 10, 60}, std::tuple{300, 120, 30, 149}, std::tuple{60, 5, 10, 0},
        std::tuple{3600, 600, 60, 1800}}) {
    const Schedule schedule = MakeSchedule(interval, offset, duration, wait);
    for (int i = 0; i < 2000; ++i) {
      const UtcTime now = At(when(rng));
      const UtcTime due = schedule.LatestDueInterval(now);
      ASSERT_EQ(schedule.intervals().StartOf(due), due);
      EXPECT_LE(schedule.ProcessableAt(due), now);
      EXPECT_GT(schedule.ProcessableAt(schedule.intervals().EndOf(due)), now);
    }
  }
}

TEST(ASchedule, StartsEveryScanOnItsOwnAlignedWindow) {
  // Property: the next scan is at or after now, on an interval start plus offset, and no window
  // start lies between now and it.
  std::mt19937_64 rng(23);
  std::uniform_int_distribution<long long> when(0, 4'000'000'000LL);
  const Schedule schedule = MakeSchedule(300, 45, 10, 60);
  for (int i = 0; i < 5000; ++i) {
    const UtcTime now = At(when(rng));
    const UtcTime next = schedule.NextScanStart(now);
    ASSERT_GE(next, now);
    const UtcTime interval = next - Seconds{45};
    EXPECT_EQ(schedule.intervals().StartOf(interval), interval);
    EXPECT_LT(next - Seconds{300}, now);
  }
}

}  // namespace
}  // namespace blemon
