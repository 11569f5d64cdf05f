#include "blemon/mqtt/home_assistant.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace blemon::mqtt {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'100));

TEST(ASlug, KeepsLowerCaseLettersAndDigitsAndFoldsTheRestIntoOneUnderscore) {
  EXPECT_EQ(Slug("Living Room"), "living_room");
  EXPECT_EQ(Slug("alice-phone"), "alice_phone");
  EXPECT_EQ(Slug("  Küche #2 / Nord "), "k_che_2_nord");
  EXPECT_EQ(Slug("blemon/#+"), "blemon");  // never a wildcard or a level in a topic
  EXPECT_EQ(Slug(""), "unnamed");
  EXPECT_EQ(Slug("###"), "unnamed");
}

TEST(AMonitorStatus, IsOfflineWhenStoppedStaleAfterTwoSilentIntervalsElseOnline) {
  EXPECT_EQ(StatusOf(false, kT0, kT0, 300s), MonitorStatus::kOffline);
  EXPECT_EQ(StatusOf(true, kT0 - 600s, kT0, 300s), MonitorStatus::kOnline);
  EXPECT_EQ(StatusOf(true, kT0 - 601s, kT0, 300s), MonitorStatus::kStale);
  EXPECT_EQ(StatusOf(true, std::nullopt, kT0, 300s), MonitorStatus::kStale);
}

PresenceSnapshot Snapshot() {
  PresenceSnapshot s{.interval_start = kT0, .watched = {}, .rooms = {}};
  s.watched.push_back(
      {.name = "alice", .device = "A", .home = true, .room = "Hall", .last_seen = kT0});
  s.watched.push_back(
      {.name = "bob", .device = "B", .home = false, .room = "Hall", .last_seen = kT0 - 900s});
  s.rooms.push_back({.room = "Hall", .devices = 3, .by_class = {{"phone", 3}}});
  return s;
}

TEST(TheRoomsOfASnapshot, KeepARoomThatEmptiedAtZeroAndListTheWatchedInEach) {
  const auto rooms = RoomsOf(Snapshot(), {"Kitchen"});
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].name, "Hall");
  EXPECT_EQ(rooms[0].devices, 3);
  EXPECT_EQ(rooms[0].watched, std::vector<std::string>{"alice"});  // bob is away
  EXPECT_EQ(rooms[1].name, "Kitchen");
  EXPECT_EQ(rooms[1].devices, 0);
}

TEST(TheTrackedDevicesOfASnapshot, HaveNoRoomWhenAway) {
  const auto devices = TrackedDevicesOf(Snapshot());
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].room, "Hall");
  EXPECT_TRUE(devices[0].home);
  EXPECT_EQ(devices[1].room, "");
  EXPECT_FALSE(devices[1].home);
}

TEST(TheStates, PutAnAwayDeviceInNoZoneAndItsRoomSensorAtAway) {
  const TopicNames names{.discovery_prefix = "ha", .base = "b", .sw_version = "1"};
  std::map<std::string, std::string> state;
  for (const auto& m : States(names, TrackedDevicesOf(Snapshot()), {}, {})) {
    EXPECT_TRUE(m.retain);
    EXPECT_TRUE(m.event_id.empty());
    state[m.topic] = m.payload;
  }
  EXPECT_EQ(Json::parse(state.at("b/device/alice/attributes"))["in_zones"],
            Json::array({"zone.home"}));
  EXPECT_EQ(Json::parse(state.at("b/device/bob/attributes"))["in_zones"], Json::array());
  EXPECT_TRUE(Json::parse(state.at("b/device/bob/attributes"))["room"].is_null());
  EXPECT_EQ(state.at("b/device/bob/room"), "away");
  EXPECT_EQ(state.at("b/device/alice/room"), "Hall");
}

TEST(AnEventMessage, IsNotRetainedAndCarriesItsEventId) {
  const TopicNames names{.discovery_prefix = "ha", .base = "b", .sw_version = "1"};
  const PresenceEvent event{.event_id = "A/1/arrive",
                            .watch_name = "alice",
                            .device = "A",
                            .interval_start = kT0,
                            .kind = PresenceEventKind::kArrive,
                            .from_room = "",
                            .to_room = "Hall",
                            .decided_in = kT0};
  const OutgoingMessage m = EventMessage(names, event);
  EXPECT_EQ(m.topic, "b/events");
  EXPECT_FALSE(m.retain);
  EXPECT_EQ(m.event_id, "A/1/arrive");
  EXPECT_EQ(Json::parse(m.payload)["event_id"], "A/1/arrive");
}

}  // namespace
}  // namespace blemon::mqtt
