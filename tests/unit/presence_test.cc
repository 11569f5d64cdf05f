#include "blemon/presence.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace blemon
