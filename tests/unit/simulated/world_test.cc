// The simulated world's model: floor plan, device population, time behaviour.

#include "world.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

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

bool Rotates(const DeviceProfile& d) {
  return d.address_class == AddressClass::kResolvablePrivate ||
         d.address_class == AddressClass::kNonResolvable;
}

TEST(AWorld, RotatesEachAddressOnItsOwnTimerEverySevenToFifteenMinutesOrAfterHours) {
  const World world(Settings(23, 500));
  const std::int64_t day_start = kPeriodStart * 1000;
  int rotating = 0, long_lived = 0;
  std::set<std::int64_t> durations, first_changes;
  for (const DeviceProfile& d : world.devices()) {
    if (!Rotates(d)) {
      EXPECT_EQ(world.AddressAt(d, day_start), world.AddressAt(d, day_start + 86'400'000));
      continue;
    }
    ++rotating;
    RotationSlot slot = RotationSlotAt(d.rotation, day_start);
    first_changes.insert(slot.end_ms);
    const bool is_long = slot.end_ms - slot.start_ms > kMaxRotationMs;
    long_lived += is_long ? 1 : 0;
    for (; slot.start_ms < day_start + 86'400'000; slot = RotationSlotAt(d.rotation, slot.end_ms)) {
      const std::int64_t length = slot.end_ms - slot.start_ms;
      if (is_long) {
        EXPECT_GE(length, kMinLongLivedMs - 180'000);
        EXPECT_LE(length, kMaxLongLivedMs + 180'000);
      } else {
        EXPECT_GE(length, kMinRotationMs);
        EXPECT_LE(length, kMaxRotationMs);
      }
      durations.insert(length);
      const MacAddress address = world.AddressAt(d, slot.start_ms);
      EXPECT_EQ(address, world.AddressAt(d, slot.end_ms - 1));
      EXPECT_NE(address, world.AddressAt(d, slot.end_ms));
    }
  }
  ASSERT_GT(rotating, 200);
  // Some keep one address for hours; the periods differ per device and per rotation, and no two
  // devices are in step.
  EXPECT_GT(long_lived, rotating * kLongLivedAddressPercent / 100 / 2);
  EXPECT_LT(long_lived, rotating * kLongLivedAddressPercent / 100 * 2);
  EXPECT_GT(durations.size(), 1000u);
  EXPECT_GT(first_changes.size(), static_cast<std::size_t>(rotating) * 9 / 10);
}

TEST(AWorld, ChangesOnlyAFewAddressesInAnyOneMinute) {
  const World world(Settings(23, 500));
  for (std::int64_t minute = 0; minute < 60; ++minute) {
    const std::int64_t t = (kPeriodStart + minute * 60) * 1000;
    int rotating = 0, changed = 0;
    for (const DeviceProfile& d : world.devices()) {
      if (!Rotates(d)) continue;
      ++rotating;
      if (world.AddressAt(d, t) != world.AddressAt(d, t + 60'000)) ++changed;
    }
    // One in about eleven rotates in a given minute; all at once was the old, unreal model.
    EXPECT_LT(changed, rotating / 5) << "minute " << minute;
  }
}

TEST(AWorld, MakesTheAddressesOfDevicesWithAKnownIrkResolveUnderItAlone) {
  const World world(Settings(29, 1000));
  std::vector<const DeviceProfile*> known;
  for (const DeviceProfile& d : world.devices()) {
    if (d.irk) known.push_back(&d);
  }
  ASSERT_GT(known.size(), 10u);
  ASSERT_LT(known.size(), 60u);
  for (const DeviceProfile* d : known) {
    EXPECT_EQ(d->address_class, AddressClass::kResolvablePrivate);
    for (std::int64_t t = kPeriodStart; t < kPeriodStart + 7200; t += 600) {
      EXPECT_TRUE(Resolves(*d->irk, world.AddressAt(*d, t * 1000)));
    }
  }
  int resolved_by_another = 0;
  for (const DeviceProfile& d : world.devices()) {
    if (d.address_class != AddressClass::kResolvablePrivate || &d == known.front()) continue;
    if (Resolves(*known.front()->irk, world.AddressAt(d, kPeriodStart * 1000))) {
      ++resolved_by_another;
    }
  }
  EXPECT_EQ(resolved_by_another, 0);
}

TEST(AWorld, TellsWhichDeviceIsBehindAnAddress) {
  const World world(Settings(30, 300));
  const std::int64_t from = kPeriodStart * 1000 + 5'000, to = from + 10'000;
  for (const DeviceProfile& d : world.devices()) {
    EXPECT_EQ(world.DeviceBehind(world.AddressAt(d, from), from, to), d.index);
    EXPECT_EQ(world.DeviceBehind(world.AddressAt(d, to - 1), from, to), d.index);
  }
  EXPECT_EQ(world.DeviceBehind(*MacAddress::Parse("12:34:56:78:9A:BC"), from, to), std::nullopt);
}

bool HasManufacturer(const AdvertPayload& p, std::uint16_t company,
                     std::vector<std::uint8_t> start) {
  for (const ManufacturerPrefix& m : p.manufacturer_data) {
    if (m.company_id == company && m.prefix.size() >= start.size() &&
        std::equal(start.begin(), start.end(), m.prefix.begin())) {
      return true;
    }
  }
  return false;
}

bool HasService(const AdvertPayload& p, std::uint16_t uuid) {
  return std::find(p.service_uuids.begin(), p.service_uuids.end(), uuid) != p.service_uuids.end();
}

// What a real device of each kind would carry: Apple continuity types, Samsung, Microsoft, the
// trackers' and beacons' service data.
bool FitsKind(const DeviceProfile& d, const AdvertPayload& p) {
  switch (d.payload.kind) {
    case DeviceKind::kPhone:
      return HasManufacturer(p, 0x004C, {0x10}) || HasManufacturer(p, 0x0075, {0x42, 0x09}) ||
             HasService(p, 0xFEF3);
    case DeviceKind::kEarbuds:
      return HasManufacturer(p, 0x004C, {0x07, 0x19}) || HasManufacturer(p, 0x0075, {0x42});
    case DeviceKind::kTracker:
      return HasManufacturer(p, 0x004C, {0x12, 0x19}) || HasService(p, 0xFD5A) ||
             HasService(p, 0xFEED);
    case DeviceKind::kBeacon:
      return HasManufacturer(p, 0x004C, {0x02, 0x15}) || HasService(p, 0xFEAA);
    case DeviceKind::kComputer:
      return HasManufacturer(p, 0x004C, {0x0C, 0x0E}) ||
             HasManufacturer(p, 0x0006, {0x01, 0x09, 0x20});
    default:
      return true;
  }
}

TEST(AWorld, GivesEachDeviceAPayloadThatFitsItsKindAndVendor) {
  const World world(Settings(31, 2000));
  std::map<DeviceKind, int> kinds;
  for (const DeviceProfile& d : world.devices()) {
    ++kinds[d.payload.kind];
    const AdvertPayload p = world.PayloadAt(d, kPeriodStart * 1000);
    EXPECT_TRUE(FitsKind(d, p)) << KindName(d.payload.kind) << " " << d.index;
    std::vector<std::uint16_t> companies;
    for (const ManufacturerPrefix& m : p.manufacturer_data) {
      companies.push_back(m.company_id);
      EXPECT_LE(m.prefix.size(), kMaxManufacturerPrefixBytes);
    }
    EXPECT_EQ(companies, d.company_ids);
  }
  for (const DeviceKind kind :
       {DeviceKind::kPhone, DeviceKind::kComputer, DeviceKind::kEarbuds, DeviceKind::kTracker,
        DeviceKind::kBeacon, DeviceKind::kWatch, DeviceKind::kTv, DeviceKind::kAppliance}) {
    EXPECT_GT(kinds[kind], 0) << KindName(kind);
  }
  EXPECT_GT(kinds[DeviceKind::kPhone], 2000 / 5);
}

TEST(AWorld, KeepsThePayloadsLastingBytesAcrossRotationsAndChangesTheRest) {
  const World world(Settings(32, 500));
  int changed = 0;
  for (const DeviceProfile& d : world.devices()) {
    const RotationSlot slot = RotationSlotAt(d.rotation, kPeriodStart * 1000);
    const AdvertPayload before = world.PayloadAt(d, slot.end_ms - 1);
    const AdvertPayload after = world.PayloadAt(d, slot.end_ms);
    EXPECT_EQ(before.service_uuids, after.service_uuids);
    EXPECT_EQ(before.appearance, after.appearance);
    ASSERT_EQ(before.manufacturer_data.size(), after.manufacturer_data.size());
    for (std::size_t i = 0; i < before.manufacturer_data.size(); ++i) {
      const auto& lasting = d.payload.lasting.manufacturer_data[i].prefix;
      for (const auto* p : {&before, &after}) {
        const auto& bytes = p->manufacturer_data[i].prefix;
        ASSERT_GE(bytes.size(), std::min(lasting.size(), kMaxManufacturerPrefixBytes));
        EXPECT_TRUE(std::equal(bytes.begin(), bytes.begin() + 3, lasting.begin()));
      }
      if (before.manufacturer_data[i] != after.manufacturer_data[i]) ++changed;
    }
  }
  EXPECT_GT(changed, 100);
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
