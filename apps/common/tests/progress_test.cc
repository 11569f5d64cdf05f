// Tests of the progress line of long admin operations: when it redraws, what it says, how the
// estimate follows the rate, and that it stays silent when not on a terminal.

#include "blemon/app/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include "blemon/app/interruption.h"

namespace blemon::app {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

// A FILE* whose contents the test reads back, and a clock the test moves by hand.
class AProgress : public ::testing::Test {
 protected:
  AProgress() : out_(std::tmpfile()) {}
  ~AProgress() override { std::fclose(out_); }

  Progress::Options Terminal() {
    Progress::Options options;
    options.terminal = true;
    options.now = [this] { return now_; };
    return options;
  }
  std::string Written() {
    std::fflush(out_);
    std::string text;
    std::rewind(out_);
    for (int c = std::fgetc(out_); c != EOF; c = std::fgetc(out_)) text += static_cast<char>(c);
    return text;
  }
  // The line as the terminal shows it now: the text after the last carriage return.
  std::string Shown() {
    const std::string text = Written();
    std::string line = text.substr(text.rfind('\r') + 1);
    if (const auto erase = line.find("\x1b[K"); erase != std::string::npos) line.erase(erase, 3);
    return line;
  }
  int Redraws() {
    int count = 0;
    for (const char c : Written()) count += c == '\r';
    return count;
  }

  std::FILE* out_;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(AProgress, PrintsNothingWhenNotOnATerminal) {
  Progress::Options options = Terminal();
  options.terminal = false;
  {
    Progress progress("archive", 1000, out_, options);
    for (int i = 0; i < 10; ++i) {
      now_ += 1s;
      progress.Advance(100);
    }
    progress.Done();
  }
  EXPECT_THAT(Written(), IsEmpty());
}

TEST_F(AProgress, DecidesByIsattyWhenNotTold) {
  // A temporary file is no terminal.
  {
    Progress progress("archive", 10, out_);
    progress.Advance(10);
    progress.Done();
  }
  EXPECT_THAT(Written(), IsEmpty());
}

TEST_F(AProgress, RedrawsAtMostFourTimesASecond) {
  Progress progress("archive", 1'000'000, out_, Terminal());
  const int at_start = Redraws();
  for (int i = 0; i < 1000; ++i) {  // 1000 batches in 2 s
    now_ += 2ms;
    progress.Advance(100);
  }
  EXPECT_EQ(Redraws() - at_start, 8);
}

TEST_F(AProgress, ShowsDoneOfTotalPercentRateAndTimeLeft) {
  Progress progress("archive", 10'000'000, out_, Terminal());
  for (int i = 0; i < 4; ++i) {
    now_ += 250ms;
    progress.Advance(25'000);  // 100,000 rows/s
  }
  EXPECT_EQ(Shown(),
            "archive: 100,000 of 10,000,000 rows (1.0%), 100,000 rows/s, about 1m39s left");
}

TEST_F(AProgress, LeavesOutPercentAndEstimateWhenTheTotalIsUnknown) {
  Progress progress("backfill", 0, out_, Terminal());
  now_ += 1s;
  progress.Advance(500);
  EXPECT_EQ(Shown(), "backfill: 500 rows, 500 rows/s");
}

TEST_F(AProgress, SmoothsTheRateSoOneSlowBatchDoesNotThrowTheEstimate) {
  Progress progress("archive", 10'000'000, out_, Terminal());
  for (int i = 0; i < 20; ++i) {
    now_ += 1s;
    progress.Advance(10'000);
  }
  ASSERT_DOUBLE_EQ(progress.rate(), 10'000);
  now_ += 1s;
  progress.Advance(1'000);  // one batch ten times slower
  EXPECT_GT(progress.rate(), 8'000);
  EXPECT_LT(progress.rate(), 10'000);
}

TEST_F(AProgress, FollowsALastingChangeOfPace) {
  Progress progress("archive", 100'000'000, out_, Terminal());
  for (int i = 0; i < 10; ++i) {
    now_ += 1s;
    progress.Advance(10'000);
  }
  for (int i = 0; i < 30; ++i) {  // six time constants at the new pace
    now_ += 1s;
    progress.Advance(1'000);
  }
  EXPECT_NEAR(progress.rate(), 1'000, 50);
  EXPECT_NEAR(progress.SecondsLeft(), (100'000'000 - 130'000) / progress.rate(), 1);
}

TEST_F(AProgress, EndsWithTotalTimeAndMeanRateOnItsOwnLine) {
  Progress progress("archive", 3000, out_, Terminal());
  for (int i = 0; i < 3; ++i) {
    now_ += 1s;
    progress.Advance(1000);
  }
  progress.Done();
  progress.Done();  // idempotent
  EXPECT_THAT(Written(), EndsWith("\rarchive: 3,000 rows in 3s (1,000 rows/s)\x1b[K\n"));
}

TEST_F(AProgress, EndsAnInterruptedLineSoLaterOutputStartsOnItsOwn) {
  {
    Progress progress("archive", 3000, out_, Terminal());
    now_ += 1s;
    progress.Advance(1000);
  }
  EXPECT_THAT(Written(), EndsWith("left\x1b[K\n"));
}

TEST(AGroupThousands, PutsCommasBetweenGroupsOfThree) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1000), "1,000");
  EXPECT_EQ(GroupThousands(10'000'000), "10,000,000");
  EXPECT_EQ(GroupThousands(-1234567), "-1,234,567");
}

TEST(AShortDuration, ShowsTheTwoLargestUnits) {
  EXPECT_EQ(ShortDuration(0), "0s");
  EXPECT_EQ(ShortDuration(59.4), "59s");
  EXPECT_EQ(ShortDuration(187), "3m07s");
  EXPECT_EQ(ShortDuration(7500), "2h05m");
  EXPECT_EQ(ShortDuration(-3), "0s");
}

TEST(AnInterruption, TurnsTheFirstSignalIntoARequestAndTheSecondIntoTheDefault) {
  struct sigaction before {};
  ::sigaction(SIGTERM, nullptr, &before);
  {
    Interruption interruption;
    EXPECT_FALSE(interruption.requested());
    std::raise(SIGTERM);  // would end the test program without the handler
    EXPECT_TRUE(interruption.requested());
    EXPECT_EQ(interruption.signal_number(), SIGTERM);
    struct sigaction now {};
    ::sigaction(SIGTERM, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL) << "a second signal ends the process at once";
  }
  struct sigaction after {};
  ::sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler) << "the previous handler is back";
  Interruption again;
  EXPECT_FALSE(again.requested()) << "each Interruption starts afresh";
}

}  // namespace
}  // namespace blemon::app
