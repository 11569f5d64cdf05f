#include "blemon/rooms.h"

#include <gtest/gtest.h>

namespace blemon {
namespace {

using namespace std::chrono_literals;

const UtcTime kT0{Seconds{1'774'742'400}};
const RoomRules kRules{.switch_margin_tenths = 60, .switch_intervals = 2, .forget_after = 900s};

RoomState In(MonitorId monitor, UtcTime at = kT0) {
  return RoomState{.monitor_id = monitor,
                   .interval_start = at,
                   .challenger = std::nullopt,
                   .challenger_intervals = 0};
}

TEST(AStableRoom, StartsInTheFirstWinnersRoom) {
  EXPECT_EQ(NextRoom(std::nullopt, kT0, 3, {{3, -500}}, kRules), In(3));
}

TEST(AStableRoom, HoldsAgainstANarrowWinnerForOneInterval) {
  const RoomState next = NextRoom(In(1), kT0 + 300s, 2, {{1, -560}, {2, -530}}, kRules);
  EXPECT_EQ(next.monitor_id, 1);
  EXPECT_EQ(next.challenger, 2);
  EXPECT_EQ(next.challenger_intervals, 1);
  EXPECT_EQ(next.interval_start, kT0 + 300s);
}

TEST(AStableRoom, MovesWhenTheSameChallengerWinsTheConfiguredIntervalsInARow) {
  const auto hearing = std::map<MonitorId, int>{{1, -560}, {2, -530}};
  const RoomState once = NextRoom(In(1), kT0 + 300s, 2, hearing, kRules);
  EXPECT_EQ(NextRoom(once, kT0 + 600s, 2, hearing, kRules), In(2, kT0 + 600s));
}

TEST(AStableRoom, CountsAgainFromOneWhenAnotherChallengerWins) {
  const RoomState once = NextRoom(In(1), kT0 + 300s, 2, {{1, -560}, {2, -530}, {3, -600}}, kRules);
  const RoomState other = NextRoom(once, kT0 + 600s, 3, {{1, -560}, {3, -540}}, kRules);
  EXPECT_EQ(other.monitor_id, 1);
  EXPECT_EQ(other.challenger, 3);
  EXPECT_EQ(other.challenger_intervals, 1);
}

TEST(AStableRoom, ForgetsTheChallengerWhenTheRoomWinsAgain) {
  const RoomState once = NextRoom(In(1), kT0 + 300s, 2, {{1, -560}, {2, -530}}, kRules);
  EXPECT_EQ(NextRoom(once, kT0 + 600s, 1, {{1, -500}, {2, -530}}, kRules), In(1, kT0 + 600s));
}

TEST(AStableRoom, MovesAtOnceWhenTheWinnerLeadsByTheSwitchMargin) {
  EXPECT_EQ(NextRoom(In(1), kT0 + 300s, 2, {{1, -600}, {2, -540}}, kRules), In(2, kT0 + 300s));
  EXPECT_EQ(NextRoom(In(1), kT0 + 300s, 2, {{1, -600}, {2, -541}}, kRules).monitor_id, 1)
      << "5.9 dB is under the 6 dB margin";
}

TEST(AStableRoom, MovesAtOnceWhenItsRoomNoLongerHearsTheDevice) {
  EXPECT_EQ(NextRoom(In(1), kT0 + 300s, 2, {{2, -700}}, kRules), In(2, kT0 + 300s));
}

TEST(AStableRoom, StartsAfreshAfterAGapLongerThanForgetAfter) {
  EXPECT_EQ(NextRoom(In(1), kT0 + 1200s, 2, {{1, -560}, {2, -530}}, kRules), In(2, kT0 + 1200s));
  EXPECT_EQ(NextRoom(In(1), kT0 + 900s, 2, {{1, -560}, {2, -530}}, kRules).monitor_id, 1);
}

TEST(AStableRoom, TakesTheWinnerForAnIntervalNotAfterItsState) {
  // An old interval processed late: the state says nothing about it.
  EXPECT_EQ(NextRoom(In(1, kT0 + 600s), kT0 + 300s, 2, {{1, -560}, {2, -530}}, kRules),
            In(2, kT0 + 300s));
}

TEST(AStableRoom, WithOneIntervalToSwitchIsTheRawWinner) {
  const RoomRules raw{.switch_margin_tenths = 1000, .switch_intervals = 1, .forget_after = 900s};
  EXPECT_EQ(NextRoom(In(1), kT0 + 300s, 2, {{1, -560}, {2, -559}}, raw).monitor_id, 2);
}

const ConfidenceRules kConfidence{
    .high_margin_tenths = 60, .high_min_monitors = 2, .ambiguous_margin_tenths = 20};

TEST(ASightingsConfidence, IsHighWithAClearLeadOverAnotherMonitor) {
  EXPECT_EQ(ClassifySighting(60, 2, true, kConfidence), Confidence::kHigh);
  EXPECT_EQ(ClassifySighting(59, 5, true, kConfidence), Confidence::kLow);
}

TEST(ASightingsConfidence, IsAmbiguousWhenTwoMonitorsHearItAlike) {
  EXPECT_EQ(ClassifySighting(19, 3, true, kConfidence), Confidence::kAmbiguous);
  EXPECT_EQ(ClassifySighting(20, 3, true, kConfidence), Confidence::kLow);
  EXPECT_EQ(ClassifySighting(0, 2, false, kConfidence), Confidence::kAmbiguous);
}

TEST(ASightingsConfidence, IsLowWhenHeardAloneOrWhenTheRoomHeldAgainstTheWinner) {
  EXPECT_EQ(ClassifySighting(std::nullopt, 1, true, kConfidence), Confidence::kLow);
  EXPECT_EQ(ClassifySighting(80, 3, false, kConfidence), Confidence::kLow);
}

TEST(ASightingsConfidence, RoundTripsItsStoredWords) {
  for (const Confidence c : {Confidence::kHigh, Confidence::kLow, Confidence::kAmbiguous}) {
    EXPECT_EQ(ParseConfidence(ToString(c)), c);
  }
  EXPECT_EQ(ParseConfidence("sure"), std::nullopt);
}

const RoomSettings kSettings{.rules = kRules, .confidence = kConfidence};

RoomInput Heard(MonitorId winner, std::map<MonitorId, int> by_monitor,
                std::optional<RoomState> state = std::nullopt,
                std::optional<MonitorId> decided = std::nullopt) {
  Sighting s;
  s.monitor_id = winner;
  s.monitors_heard = static_cast<int>(by_monitor.size());
  s.calibrated_tenths = by_monitor.at(winner);
  for (const auto& [m, v] : by_monitor) {
    if (m == winner) continue;
    const int margin = s.calibrated_tenths - v;
    s.calibrated_margin_tenths = std::min(s.calibrated_margin_tenths.value_or(margin), margin);
  }
  return RoomInput{.sighting = s,
                   .calibrated_by_monitor = std::move(by_monitor),
                   .decided_room = decided,
                   .state = std::move(state)};
}

TEST(ARoomDecision, AdvancesTheStateAndRatesTheStableRoom) {
  const RoomDecision held =
      DecideRoom(Heard(2, {{1, -560}, {2, -530}}, In(1)), kT0 + 300s, kSettings);
  EXPECT_EQ(held.room_monitor_id, 1);
  EXPECT_EQ(held.confidence, Confidence::kLow) << "the room held against the winner";
  ASSERT_TRUE(held.new_state);
  EXPECT_EQ(held.new_state->challenger, 2);

  const RoomDecision clear =
      DecideRoom(Heard(1, {{1, -500}, {2, -580}}, In(1)), kT0 + 300s, kSettings);
  EXPECT_EQ(clear.room_monitor_id, 1);
  EXPECT_EQ(clear.confidence, Confidence::kHigh);
}

TEST(ARoomDecision, KeepsTheRoomOfAnIntervalProcessedAgainAndLeavesTheStateAlone) {
  const RoomDecision again =
      DecideRoom(Heard(2, {{1, -560}, {2, -500}}, In(3, kT0 + 600s), 3), kT0 + 300s, kSettings);
  EXPECT_EQ(again.room_monitor_id, 3);
  EXPECT_EQ(again.new_state, std::nullopt);
  const RoomDecision late =
      DecideRoom(Heard(2, {{1, -560}, {2, -500}}, In(3, kT0 + 600s)), kT0 + 300s, kSettings);
  EXPECT_EQ(late.room_monitor_id, 2) << "never decided: its winner";
  EXPECT_EQ(late.new_state, std::nullopt);
}

}  // namespace
}  // namespace blemon
