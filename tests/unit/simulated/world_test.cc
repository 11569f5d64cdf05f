// The simulated world's model: floor plan, device population, time behaviour.

#include "world.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "hash.h"

namespace blemon::simulated {
namespace {

constexpr std::int64_t kPeriodStart = 1'699'999'200;  // a multiple of 900 s

SimulationSettings Settings(std::uint64_t seed, int devices) {
  SimulationSettings s;
  s.seed = seed;
  s.devices = devices;
  return s;
}

TEST(AWorld, DrawsAddressClassesInTheDocumentedShares) {
  const World world(Settings(21, 4000));
  std::map<AddressClass, int> counts;
  for (const DeviceProfile& d : world.devices()) ++counts[d.address_class];

  const auto share = [&](AddressClass c) { return 100.0 * counts[c] / 4000.0; };
  EXPECT_NEAR(share(AddressClass::kResolvablePrivate), kResolvablePrivatePercent, 3.0);
  EXPECT_NEAR(share(AddressClass::kRandomStatic), kRandomStaticPercent, 3.0);
  EXPECT_NEAR(share(AddressClass::kPublic), kPublicPercent, 3.0);
  EXPECT_NEAR(share(AddressClass::kNonResolvable), kNonResolvablePercent, 2.0);
}

TEST(AWorld, GivesAddressesTopBitsThatMatchTheirClass) {
  const World world(Settings(22, 500));
  for (const DeviceProfile& d : world.devices()) {
    const MacAddress mac = world.AddressAt(d, kPeriodStart * 1000);
    const AddressType type =
        d.address_class == AddressClass::kPublic ? AddressType::kPublic : AddressType::kRandom;
    EXPECT_EQ(mac.Classify(type), d.address_class) << mac.ToString();
  }
}

TEST(AWorld, RotatesPrivateAddressesEveryFifteenMinutesOnly) {
  const World world(Settings(23, 500));
  const std::int64_t start_ms = kPeriodStart * 1000;
  const std::int64_t period_ms = kAddressRotationSeconds * 1000;
  int rotating = 0;
  for (const DeviceProfile& d : world.devices()) {
    const MacAddress first = world.AddressAt(d, start_ms);
    const MacAddress last = world.AddressAt(d, start_ms + period_ms - 1);
    const MacAddress next = world.AddressAt(d, start_ms + period_ms);
    EXPECT_EQ(first, last);
    if (d.address_class == AddressClass::kResolvablePrivate ||
        d.address_class == AddressClass::kNonResolvable) {
      ++rotating;
      EXPECT_NE(last, next);
    } else {
      EXPECT_EQ(last, next);
    }
  }
  EXPECT_GT(rotating, 200);
}

TEST(AWorld, SendsAdvertsOneTenthToOneSecondApart) {
  const World world(Settings(24, 1000));
  const std::int64_t from = kPeriodStart * 1000 + 123;
  for (const DeviceProfile& d : world.devices()) {
    const auto times = world.AdvertTimes(d, from, from + 10'000);
    ASSERT_GE(times.size(), 10u);
    ASSERT_LE(times.size(), 100u);
    EXPECT_GE(times.front(), from);
    EXPECT_LT(times.back(), from + 10'000);
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_GE(times[i] - times[i - 1], 100);
      EXPECT_LE(times[i] - times[i - 1], 1000);
    }
  }
}

TEST(AWorld, SplitsAWindowIntoPartsWithoutLosingOrDoublingAdverts) {
  const World world(Settings(25, 50));
  const std::int64_t from = kPeriodStart * 1000;
  for (const DeviceProfile& d : world.devices()) {
    auto whole = world.AdvertTimes(d, from, from + 10'000);
    auto first = world.AdvertTimes(d, from, from + 3'333);
    const auto second = world.AdvertTimes(d, from + 3'333, from + 10'000);
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, whole);
  }
}

TEST(AWorld, MovesSomeDevicesBetweenRoomsAndKeepsTheOthersInPlace) {
  const World world(Settings(26, 300));
  int movers_seen_elsewhere = 0;
  for (const DeviceProfile& d : world.devices()) {
    std::set<int> rooms;
    for (std::int64_t t = kPeriodStart; t < kPeriodStart + 86'400; t += 600) {
      const DeviceState state = world.StateAt(d, t);
      rooms.insert(state.room);
      EXPECT_EQ(RoomContaining(state.position), state.room);
    }
    if (d.moves) {
      if (rooms.size() > 1) ++movers_seen_elsewhere;
    } else {
      EXPECT_EQ(rooms, std::set<int>{d.home_room});
    }
  }
  EXPECT_GT(movers_seen_elsewhere, 300 * kMovingPercent / 100 / 2);
}

TEST(AWorld, LetsSomeDevicesLeaveAndComeBack) {
  const World world(Settings(27, 300));
  int leavers = 0;
  for (const DeviceProfile& d : world.devices()) {
    int present = 0, absent = 0;
    for (std::int64_t t = kPeriodStart; t < kPeriodStart + 86'400; t += 600) {
      (world.StateAt(d, t).present ? present : absent) += 1;
    }
    if (!d.comes_and_goes) {
      EXPECT_EQ(absent, 0);
    } else if (present > 0 && absent > 0) {
      ++leavers;
    }
  }
  EXPECT_GT(leavers, 300 * kComesAndGoesPercent / 100 / 2);
}

TEST(AWorld, KeepsEachDeviceWhenTheWorldGrows) {
  const World small(Settings(28, 20));
  const World large(Settings(28, 400));
  for (std::size_t i = 0; i < small.devices().size(); ++i) {
    const DeviceProfile& a = small.devices()[i];
    const DeviceProfile& b = large.devices()[i];
    EXPECT_EQ(small.AddressAt(a, kPeriodStart * 1000), large.AddressAt(b, kPeriodStart * 1000));
    EXPECT_EQ(a.raw_name, b.raw_name);
    EXPECT_EQ(small.StateAt(a, kPeriodStart).room, large.StateAt(b, kPeriodStart).room);
  }
}

TEST(AWorld, FindsRoomsIgnoringCaseAndSurroundingSpace) {
  EXPECT_EQ(FindRoom("Living Room"), FindRoom(" LIVING room\t"));
  EXPECT_TRUE(FindRoom("garage").has_value());
  EXPECT_FALSE(FindRoom("Attic").has_value());
  EXPECT_FALSE(FindRoom("Living  Room").has_value());
}

TEST(AWorld, PlacesAMonitorAtItsRoomsCentre) {
  const MonitorPlacement m = PlaceMonitor("office");
  ASSERT_TRUE(m.named_room.has_value());
  EXPECT_EQ(FloorPlan()[static_cast<std::size_t>(*m.named_room)].name, "Office");
  EXPECT_EQ(RoomContaining(m.position), m.named_room);
}

TEST(AWorld, PlacesAnUnknownLocationInsideTheHouseByItsNameAlone) {
  const MonitorPlacement attic = PlaceMonitor("Attic");
  const MonitorPlacement again = PlaceMonitor("attic ");
  const MonitorPlacement shed = PlaceMonitor("Shed");

  EXPECT_FALSE(attic.named_room.has_value());
  EXPECT_EQ(attic.position.x, again.position.x);
  EXPECT_EQ(attic.position.y, again.position.y);
  EXPECT_TRUE(attic.position.x != shed.position.x || attic.position.y != shed.position.y);
  EXPECT_TRUE(RoomContaining(attic.position).has_value());
  EXPECT_TRUE(RoomContaining(shed.position).has_value());
}

TEST(AWorld, CountsTheWallsBetweenTwoPoints) {
  const auto centre = [](std::string_view room) {
    return FloorPlan()[static_cast<std::size_t>(*FindRoom(room))].Centre();
  };
  EXPECT_EQ(WallsBetween(centre("Kitchen"), {7, 1}), 0);
  EXPECT_EQ(WallsBetween(centre("Kitchen"), centre("Dining Room")), 1);
  EXPECT_EQ(WallsBetween(centre("Garage"), centre("Living Room")), 3);
  EXPECT_EQ(WallsBetween(centre("Kitchen"), centre("Bedroom")), 2);  // through the hallway
}

TEST(AWorld, LosesSignalWithDistanceAndWalls) {
  const World world(Settings(29, 1));
  DeviceProfile reference = world.devices()[0];
  reference.tx_offset_db = 0;
  const Point monitor{8, 3};  // in the kitchen
  EXPECT_NEAR(world.MeanRssi(reference, {9, 3}, monitor), kRssiAtOneMetre, 1e-9);
  EXPECT_NEAR(world.MeanRssi(reference, {10, 3}, monitor),
              kRssiAtOneMetre - 10 * kPathLossExponent * std::log10(2.0), 1e-9);
  // Same distance, one wall further: the neighbour room's device is weaker by one wall.
  EXPECT_NEAR(
      world.MeanRssi(reference, {8, 1}, {8, 5}) - world.MeanRssi(reference, {9, 3}, {13, 3}),
      kWallLossDb, 1e-9);
}

TEST(ACounterBasedGaussian, HasZeroMeanAndUnitSpread) {
  double sum = 0, sum_sq = 0;
  constexpr int kSamples = 200'000;
  for (int i = 0; i < kSamples; ++i) {
    const double z = Gaussian(Hash(31, static_cast<std::uint64_t>(i)));
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / kSamples;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum_sq / kSamples - mean * mean), 1.0, 0.01);
}

}  // namespace
}  // namespace blemon::simulated
