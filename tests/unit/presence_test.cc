#include "blemon/presence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace blemon {
namespace {

constexpr UtcTime At(long long unix_seconds) { return UtcTime{Seconds{unix_seconds}}; }

TEST(APresenceEventId, IsMadeOfDeviceIntervalAndKindOnly) {
  EXPECT_EQ(PresenceEventId("AA:BB:CC:DD:EE:FF", At(1764550800), PresenceEventKind::kArrive),
            "AA:BB:CC:DD:EE:FF/1764550800/arrive");
  EXPECT_EQ(PresenceEventId("alice", At(300), PresenceEventKind::kRoomChange),
            "alice/300/room_change");
}

TEST(APresenceEventKind, RoundTripsThroughItsName) {
  for (auto kind :
       {PresenceEventKind::kArrive, PresenceEventKind::kLeave, PresenceEventKind::kRoomChange}) {
    EXPECT_EQ(PresenceEventKindFromString(ToString(kind)), kind);
  }
  EXPECT_EQ(PresenceEventKindFromString("Arrive"), std::nullopt);
}

TEST(AWatchTargetKind, RoundTripsThroughItsName) {
  EXPECT_EQ(WatchTargetKindFromString("mac"), WatchTargetKind::kMac);
  EXPECT_EQ(WatchTargetKindFromString("identity"), WatchTargetKind::kIdentity);
  EXPECT_EQ(WatchTargetKindFromString("irk"), std::nullopt);
}

constexpr Seconds kInterval{300};
constexpr UtcTime kT0 = At(1764547200);  // 2025-12-01 00:00:00 UTC
constexpr UtcTime Nth(int n) { return kT0 + n * kInterval; }

const std::string kPhone = "AA:BB:CC:DD:EE:01";
const std::string kWatch = "alice-phone";

std::vector<WatchEntry> OnePhone() {
  return {WatchEntry{.name = kWatch, .kind = WatchTargetKind::kMac, .target = kPhone}};
}

PresenceSighting In(const std::string& mac, const std::string& room,
                    const std::string& device_class = "public") {
  return PresenceSighting{
      .mac = mac, .identity = std::nullopt, .room = room, .device_class = device_class};
}

// Feeds the engine one interval after another: `rooms[i]` is where the phone was seen in
// interval i ("" for unseen); returns every event.
std::vector<PresenceEvent> RunIntervals(const std::vector<std::string>& rooms, int away_after = 3) {
  const auto watch = OnePhone();
  PresenceState state;
  std::vector<PresenceEvent> events;
  for (int i = 0; i < static_cast<int>(rooms.size()); ++i) {
    std::vector<PresenceSighting> sightings;
    if (!rooms[i].empty()) sightings.push_back(In(kPhone, rooms[i]));
    auto step = AdvancePresence({.away_after_intervals = away_after}, kInterval, watch, state,
                                Nth(i), sightings);
    events.insert(events.end(), step.events.begin(), step.events.end());
    state = step.state;
  }
  return events;
}

using Kinds = std::vector<std::pair<PresenceEventKind, UtcTime>>;
Kinds KindsOf(const std::vector<PresenceEvent>& events) {
  Kinds kinds;
  for (const auto& e : events) kinds.emplace_back(e.kind, e.interval_start);
  return kinds;
}

TEST(APresenceEngine, ArrivesWhenFirstSeenIntoThatRoom) {
  const auto events = RunIntervals({"", "kitchen"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, PresenceEventKind::kArrive);
  EXPECT_EQ(events[0].interval_start, Nth(1));
  EXPECT_EQ(events[0].to_room, "kitchen");
  EXPECT_EQ(events[0].from_room, "");
  EXPECT_EQ(events[0].watch_name, kWatch);
  EXPECT_EQ(events[0].event_id, PresenceEventId(kPhone, Nth(1), PresenceEventKind::kArrive));
}

TEST(APresenceEngine, ReportsARoomChangeOnlyWhenTheRoomDiffers) {
  const auto events = RunIntervals({"kitchen", "kitchen", "hall", "hall"});
  EXPECT_EQ(KindsOf(events), (Kinds{{PresenceEventKind::kArrive, Nth(0)},
                                    {PresenceEventKind::kRoomChange, Nth(2)}}));
  EXPECT_EQ(events[1].from_room, "kitchen");
  EXPECT_EQ(events[1].to_room, "hall");
}

TEST(APresenceEngine, LeavesAfterAwayAfterIntervalsUnseenDatedToTheFirstUnseen) {
  // Seen in 0, unseen in 1, 2, 3: the third unseen interval decides, the leave is dated 1.
  const auto events = RunIntervals({"kitchen", "", "", "", ""});
  EXPECT_EQ(KindsOf(events),
            (Kinds{{PresenceEventKind::kArrive, Nth(0)}, {PresenceEventKind::kLeave, Nth(1)}}));
  EXPECT_EQ(events[1].decided_in, Nth(3));
  EXPECT_EQ(events[1].from_room, "kitchen");
  EXPECT_EQ(events[1].to_room, "");
}

TEST(APresenceEngine, ToleratesFewerMissesThanAwayAfterIntervals) {
  EXPECT_EQ(KindsOf(RunIntervals({"kitchen", "", "", "kitchen", "", "", "kitchen"})),
            (Kinds{{PresenceEventKind::kArrive, Nth(0)}}));
}

TEST(APresenceEngine, LeavesAndArrivesAgainWhenTheGapHadNoProcessedInterval) {
  // Intervals 1..4 never processed (nobody scanned): the device is seen again in 5.
  const auto watch = OnePhone();
  const std::vector<PresenceSighting> kitchen = {In(kPhone, "kitchen")};
  auto first = AdvancePresence({}, kInterval, watch, {}, Nth(0), kitchen);
  auto later = AdvancePresence({}, kInterval, watch, first.state, Nth(5), kitchen);
  EXPECT_EQ(KindsOf(later.events),
            (Kinds{{PresenceEventKind::kLeave, Nth(1)}, {PresenceEventKind::kArrive, Nth(5)}}));
}

TEST(APresenceEngine, GivesTheSameEventsWhenAnIntervalIsRunAgain) {
  const auto watch = OnePhone();
  const std::vector<PresenceSighting> hall = {In(kPhone, "hall")};
  auto first = AdvancePresence({}, kInterval, watch, {}, Nth(0), hall);
  EXPECT_EQ(AdvancePresence({}, kInterval, watch, {}, Nth(0), hall).events, first.events);
}

TEST(APresenceEngine, FollowsAnIdentityThroughAnyOfItsAddresses) {
  const std::vector<WatchEntry> watch = {
      {.name = "bob-watch", .kind = WatchTargetKind::kIdentity, .target = "bob"}};
  std::vector<PresenceSighting> sightings = {In("5A:00:00:00:00:01", "office")};
  sightings[0].identity = "bob";
  const auto step = AdvancePresence({}, kInterval, watch, {}, Nth(0), sightings);
  ASSERT_EQ(step.events.size(), 1u);
  EXPECT_EQ(step.events[0].device, "bob");
  EXPECT_EQ(step.state.watched[0].room, "office");
}

TEST(APresenceEngine, CountsEveryDeviceOfARoomSplitByClass) {
  const std::vector<PresenceSighting> sightings = {
      In("00:00:00:00:00:01", "hall", "public"), In("00:00:00:00:00:02", "hall", "phone"),
      In("00:00:00:00:00:03", "hall", "phone"), In("00:00:00:00:00:04", "office", "public")};
  const auto step = AdvancePresence({}, kInterval, OnePhone(), {}, Nth(0), sightings);
  ASSERT_EQ(step.snapshot.rooms.size(), 2u);
  EXPECT_EQ(step.snapshot.rooms[0].room, "hall");
  EXPECT_EQ(step.snapshot.rooms[0].devices, 3);
  EXPECT_EQ(step.snapshot.rooms[0].by_class,
            (std::map<std::string, int>{{"phone", 2}, {"public", 1}}));
  EXPECT_EQ(step.snapshot.rooms[1].devices, 1);
  EXPECT_EQ(step.snapshot.watched.size(), 1u);
  EXPECT_FALSE(step.snapshot.watched[0].home);
}

TEST(APresenceEngine, DropsTheStateOfEntriesNoLongerWatched) {
  const std::vector<PresenceSighting> hall = {In(kPhone, "hall")};
  auto first = AdvancePresence({}, kInterval, OnePhone(), {}, Nth(0), hall);
  auto second = AdvancePresence({}, kInterval, {}, first.state, Nth(1), hall);
  EXPECT_TRUE(second.state.watched.empty());
  EXPECT_TRUE(second.events.empty());
}

TEST(AVisitFold, CutsEventsIntoVisitsWithDwell) {
  const auto events = RunIntervals({"kitchen", "kitchen", "hall", "", "", "", "", "office"});
  // kitchen 0..2, hall 2..3 (leave dated 3), office 7..open
  const auto visits = VisitsOf(events, Nth(10));
  ASSERT_EQ(visits.size(), 3u);
  EXPECT_EQ(visits[0].room, "kitchen");
  EXPECT_EQ(visits[0].end - visits[0].start, 2 * kInterval);
  EXPECT_EQ(visits[1].room, "hall");
  EXPECT_EQ(visits[1].end, Nth(3));
  EXPECT_TRUE(visits[2].open);
  EXPECT_EQ(visits[2].end, Nth(10));
  const auto dwell = DwellOf(visits);
  ASSERT_EQ(dwell.size(), 3u);
  EXPECT_EQ(dwell[0].room, "hall");
  EXPECT_EQ(dwell[0].dwell, kInterval);
  EXPECT_EQ(dwell[2].room, "office");
  EXPECT_EQ(dwell[2].dwell, 3 * kInterval);
}

}  // namespace
}  // namespace blemon
