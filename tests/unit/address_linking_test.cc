// Linking rotating addresses into estimated devices, on constructed intervals.

#include "blemon/address_linking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace blemon {
namespace {

constexpr Seconds kInterval{300};
constexpr UtcTime kStart{Seconds{1'700'000'100}};

UtcTime Interval(int n) { return kStart + kInterval * n; }

MacAddress Mac(const std::string& text) { return *MacAddress::Parse(text); }

PayloadSignature Phone(std::uint8_t status = 0x1B) {
  return {.address_class = AddressClass::kResolvablePrivate,
          .device_class = DeviceClass::kPhone,
          .company_ids = {0x004C},
          .manufacturers = {{.company_id = 0x004C, .prefix = {0x10, 0x05, status}}},
          .service_uuids = {},
          .appearance = std::nullopt,
          .tx_power = std::nullopt};
}

AddressObservation Seen(const std::string& mac, PayloadSignature signature,
                        std::map<MonitorId, int> rssi) {
  return {.mac = Mac(mac), .signature = std::move(signature), .rssi_by_monitor = std::move(rssi)};
}

const std::map<MonitorId, int> kKitchen{{1, -55}, {2, -75}, {3, -90}};
const std::map<MonitorId, int> kKitchenAgain{{1, -57}, {2, -73}, {3, -91}};
const std::map<MonitorId, int> kKitchenTwin{{1, -56}, {2, -75}, {3, -90}};
const std::map<MonitorId, int> kBedroom{{1, -88}, {2, -70}, {3, -52}};
const std::map<MonitorId, int> kBedroomAgain{{1, -86}, {2, -71}, {3, -54}};

// Feeds one interval per element from Interval(0) on, then two empty ones so that every pending
// decision is made; returns all the links made.
std::vector<AddressLink> Feed(AddressLinker& linker,
                              const std::vector<std::vector<AddressObservation>>& intervals) {
  std::vector<AddressLink> links;
  for (std::size_t n = 0; n < intervals.size() + 2; ++n) {
    const auto made =
        linker.AddInterval(Interval(static_cast<int>(n)), kInterval,
                           n < intervals.size() ? intervals[n] : std::vector<AddressObservation>{});
    links.insert(links.end(), made.begin(), made.end());
  }
  return links;
}

TEST(AnAddressLinker, LinksAnAddressThatStopsToOneThatStartsWithTheSameSignatureAndPlace) {
  AddressLinker linker;
  EXPECT_TRUE(linker
                  .AddInterval(Interval(0), kInterval,
                               std::vector{Seen("51:00:00:00:00:01", Phone(), kKitchen)})
                  .empty());
  EXPECT_TRUE(linker
                  .AddInterval(Interval(1), kInterval,
                               std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)})
                  .empty());
  // Decided one interval later, when the new address has been heard a second time.
  const auto links = linker.AddInterval(Interval(2), kInterval,
                                        std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchen)});

  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].from, Mac("51:00:00:00:00:01"));
  EXPECT_EQ(links[0].to, Mac("52:00:00:00:00:02"));
  EXPECT_EQ(links[0].from_last_interval, Interval(0));
  EXPECT_EQ(links[0].to_first_interval, Interval(1));
  EXPECT_EQ(linker.EstimatedDevice(Mac("52:00:00:00:00:02")), Mac("51:00:00:00:00:01"));
  EXPECT_EQ(linker.EstimatedDevice(Mac("51:00:00:00:00:01")), Mac("51:00:00:00:00:01"));
}

TEST(AnAddressLinker, FollowsAChainOfRotationsToItsFirstAddress) {
  AddressLinker linker;
  linker.AddInterval(Interval(0), kInterval,
                     std::vector{Seen("51:00:00:00:00:01", Phone(), kKitchen)});
  linker.AddInterval(Interval(1), kInterval,
                     std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)});
  linker.AddInterval(Interval(2), kInterval,
                     std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchen)});
  linker.AddInterval(Interval(3), kInterval,
                     std::vector{Seen("53:00:00:00:00:03", Phone(), kKitchen)});
  linker.AddInterval(Interval(4), kInterval,
                     std::vector{Seen("53:00:00:00:00:03", Phone(), kKitchenAgain)});
  EXPECT_EQ(linker.EstimatedDevice(Mac("53:00:00:00:00:03")), Mac("51:00:00:00:00:01"));
}

TEST(AnAddressLinker, LinksARotationHeardWithinOneIntervalUnderBothAddresses) {
  AddressLinker linker;
  linker.AddInterval(Interval(0), kInterval,
                     std::vector{Seen("51:00:00:00:00:01", Phone(), kKitchen)});
  // The rotation fell inside interval 1's scan: both addresses were heard in it.
  linker.AddInterval(Interval(1), kInterval,
                     std::vector{Seen("51:00:00:00:00:01", Phone(), kKitchen),
                                 Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)});
  linker.AddInterval(Interval(2), kInterval,
                     std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)});
  const auto links = linker.AddInterval(Interval(3), kInterval, std::vector<AddressObservation>{});
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].from_last_interval, Interval(1));
  EXPECT_EQ(links[0].to_first_interval, Interval(1));
  EXPECT_EQ(linker.EstimatedDevice(Mac("52:00:00:00:00:02")), Mac("51:00:00:00:00:01"));
}

TEST(AnAddressLinker, LinksTwoDevicesRotatingAtOnceByTheirSignatures) {
  AddressLinker linker;
  PayloadSignature computer = Phone();
  computer.company_ids = {0x0006};
  computer.manufacturers = {{.company_id = 0x0006, .prefix = {0x01, 0x09, 0x20, 0x02}}};
  // Side by side, so the RSSI cannot tell them apart; the payload can.
  const auto links = Feed(linker, {{Seen("51:00:00:00:00:01", Phone(), kKitchen),
                                    Seen("61:00:00:00:00:01", computer, kKitchenTwin)},
                                   {Seen("62:00:00:00:00:02", computer, kKitchen),
                                    Seen("52:00:00:00:00:02", Phone(), kKitchenTwin)}});
  EXPECT_EQ(links.size(), 2u);
  EXPECT_EQ(linker.EstimatedDevice(Mac("52:00:00:00:00:02")), Mac("51:00:00:00:00:01"));
  EXPECT_EQ(linker.EstimatedDevice(Mac("62:00:00:00:00:02")), Mac("61:00:00:00:00:01"));
}

TEST(AnAddressLinker, LinksTwoLookalikesRotatingAtOnceByWhereTheyAre) {
  AddressLinker linker;
  const auto links = Feed(linker, {{Seen("51:00:00:00:00:01", Phone(), kKitchen),
                                    Seen("61:00:00:00:00:01", Phone(), kBedroom)},
                                   {Seen("62:00:00:00:00:02", Phone(), kBedroomAgain),
                                    Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)}});
  EXPECT_EQ(links.size(), 2u);
  EXPECT_EQ(linker.EstimatedDevice(Mac("52:00:00:00:00:02")), Mac("51:00:00:00:00:01"));
  EXPECT_EQ(linker.EstimatedDevice(Mac("62:00:00:00:00:02")), Mac("61:00:00:00:00:01"));
}

TEST(AnAddressLinker, LeavesLookalikesAtOnePlaceUnlinkedRatherThanGuess) {
  AddressLinker linker;
  // Within a dB of each other: nothing tells which became which.
  const auto links = Feed(linker, {{Seen("51:00:00:00:00:01", Phone(), kKitchen),
                                    Seen("61:00:00:00:00:01", Phone(), kKitchenTwin)},
                                   {Seen("52:00:00:00:00:02", Phone(), kKitchenTwin),
                                    Seen("62:00:00:00:00:02", Phone(), kKitchen)}});
  EXPECT_TRUE(links.empty());
  EXPECT_EQ(linker.EstimatedDevice(Mac("52:00:00:00:00:02")), Mac("52:00:00:00:00:02"));
  EXPECT_EQ(linker.EstimatedDevice(Mac("62:00:00:00:00:02")), Mac("62:00:00:00:00:02"));
}

TEST(AnAddressLinker, NeverLinksAcrossDifferentSignaturesOrPlaces) {
  AddressLinker linker;
  const auto links = Feed(linker, {{Seen("51:00:00:00:00:01", Phone(0x1B), kKitchen),
                                    Seen("61:00:00:00:00:01", Phone(0x07), kBedroom)},
                                   {Seen("52:00:00:00:00:02", Phone(0x07), kKitchen),
                                    Seen("62:00:00:00:00:02", Phone(0x1B), kBedroom)}});
  EXPECT_TRUE(links.empty());
}

TEST(AnAddressLinker, IgnoresAddressesThatDoNotRotate) {
  AddressLinker linker;
  PayloadSignature fixed = Phone();
  fixed.address_class = AddressClass::kRandomStatic;
  const auto links = Feed(linker, {{Seen("C1:00:00:00:00:01", fixed, kKitchen)},
                                   {Seen("C2:00:00:00:00:02", fixed, kKitchenAgain)}});
  EXPECT_TRUE(links.empty());
}

TEST(AnAddressLinker, LinksNothingAcrossAMissingInterval) {
  AddressLinker linker;
  linker.AddInterval(Interval(0), kInterval,
                     std::vector{Seen("51:00:00:00:00:01", Phone(), kKitchen)});
  for (int n = 2; n < 5; ++n) {
    EXPECT_TRUE(linker
                    .AddInterval(Interval(n), kInterval,
                                 std::vector{Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)})
                    .empty());
  }
}

TEST(AnAddressLinker, LeavesAnAddressThatStartsLaterThanTheNextIntervalUnlinked) {
  AddressLinker linker;
  const auto links = Feed(linker, {{Seen("51:00:00:00:00:01", Phone(), kKitchen)},
                                   {},
                                   {Seen("52:00:00:00:00:02", Phone(), kKitchenAgain)}});
  EXPECT_TRUE(links.empty());
}

AddressHistory History(std::vector<std::map<MonitorId, int>> patterns, int first, int last) {
  return {.signature = Phone(),
          .patterns = std::move(patterns),
          .first_interval = Interval(first),
          .last_interval = Interval(last),
          .predecessor = std::nullopt,
          .has_successor = false};
}

TEST(DecidingLinks, LinksFromHistoriesAsAStoreBuildsThem) {
  std::map<MacAddress, AddressHistory> histories;
  histories.emplace(Mac("51:00:00:00:00:01"), History({kKitchen, kKitchen}, 0, 1));
  histories.emplace(Mac("52:00:00:00:00:02"), History({kKitchenAgain, kKitchen}, 2, 3));
  // Decided when interval 3 is processed: 51 was last heard in interval 1.
  EXPECT_TRUE(DecideLinks(histories, Interval(2), kInterval).empty());
  const auto links = DecideLinks(histories, Interval(3), kInterval);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].from, Mac("51:00:00:00:00:01"));
  EXPECT_EQ(links[0].to, Mac("52:00:00:00:00:02"));
  // The same histories give the same links: a retried or repeated run decides alike.
  EXPECT_EQ(DecideLinks(histories, Interval(3), kInterval), links);
}

TEST(DecidingLinks, NeverGivesAnAddressASecondPredecessorOrSuccessor) {
  std::map<MacAddress, AddressHistory> histories;
  histories.emplace(Mac("51:00:00:00:00:01"), History({kKitchen}, 1, 1));
  histories.emplace(Mac("52:00:00:00:00:02"), History({kKitchen}, 2, 3));
  histories.at(Mac("52:00:00:00:00:02")).predecessor = Mac("41:00:00:00:00:00");
  EXPECT_TRUE(DecideLinks(histories, Interval(3), kInterval).empty());

  histories.at(Mac("52:00:00:00:00:02")).predecessor.reset();
  histories.at(Mac("51:00:00:00:00:01")).has_successor = true;
  EXPECT_TRUE(DecideLinks(histories, Interval(3), kInterval).empty());
}

TEST(DecidingLinks, DecidesOnStagedReadingsAsTheInMemoryLinkerDoes) {
  std::vector<StagedSignal> staged;
  const auto stage = [&](const std::string& mac, int interval,
                         const std::map<MonitorId, int>& pattern) {
    for (const auto& [monitor, rssi] : pattern) {
      // Each reading twice, once weaker (a second scan): the strongest counts.
      staged.push_back({Mac(mac), Interval(interval), monitor, rssi - 5, Phone()});
      staged.push_back({Mac(mac), Interval(interval), monitor, rssi, Phone()});
    }
  };
  stage("41:00:00:00:00:00", 0, kBedroom);
  stage("51:00:00:00:00:01", 1, kKitchen);
  stage("52:00:00:00:00:02", 2, kKitchenAgain);
  stage("52:00:00:00:00:02", 3, kKitchen);
  const std::vector<StoredLink> stored{{Mac("41:00:00:00:00:00"), Mac("51:00:00:00:00:01")}};
  const auto histories = HistoriesFromStaged(staged, stored);

  ASSERT_EQ(histories.size(), 3u);
  const AddressHistory& later = histories.at(Mac("52:00:00:00:00:02"));
  EXPECT_EQ(later.first_interval, Interval(2));
  EXPECT_EQ(later.last_interval, Interval(3));
  EXPECT_EQ(later.patterns, (std::vector{kKitchenAgain, kKitchen}));
  EXPECT_EQ(histories.at(Mac("51:00:00:00:00:01")).predecessor, Mac("41:00:00:00:00:00"));
  EXPECT_TRUE(histories.at(Mac("41:00:00:00:00:00")).has_successor);

  const auto links = DecideLinks(histories, Interval(3), kInterval);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].from, Mac("51:00:00:00:00:01"));
  EXPECT_EQ(links[0].to, Mac("52:00:00:00:00:02"));
}

TEST(APayloadSignature, KeepsTheLastingPartOfAReading) {
  Reading reading{.mac = Mac("51:00:00:00:00:01"),
                  .address_class = AddressClass::kResolvablePrivate,
                  .rssi = -60,
                  .advert_count = 3,
                  .name = "Anna's iPhone",
                  .tx_power = 8,
                  .company_ids = {0x004C},
                  .payload = {.manufacturer_data = {{.company_id = 0x004C,
                                                     .prefix = {0x10, 0x05, 0x1B, 0xAA, 0xBB}}},
                              .service_uuids = {0xFEF3},
                              .appearance = 0x0040,
                              .monitor_beacon = std::nullopt}};
  const PayloadSignature signature = SignatureOf(reading);
  // Nearby Info keeps type, length, status and data flags; the authentication tag is dropped.
  EXPECT_EQ(signature.manufacturers[0].prefix, (std::vector<std::uint8_t>{0x10, 0x05, 0x1B, 0xAA}));
  EXPECT_EQ(signature.tx_power, 8);
  EXPECT_EQ(signature.device_class, DeviceClass::kPhone);
  EXPECT_EQ(signature.appearance, 0x0040);

  Reading rotated = reading;
  rotated.mac = Mac("52:00:00:00:00:02");
  rotated.name = std::nullopt;
  rotated.payload.manufacturer_data[0].prefix = {0x10, 0x05, 0x1B, 0xAA, 0x02};
  EXPECT_EQ(SignatureOf(rotated), signature);
  rotated.tx_power = 4;
  EXPECT_NE(SignatureOf(rotated), signature);
}

TEST(APayloadSignature, KeepsWhatEachKnownFormatHasLasting) {
  const auto lasting = [](std::uint16_t company, std::vector<std::uint8_t> prefix) {
    return LastingPrefixBytes({.company_id = company, .prefix = std::move(prefix)});
  };
  EXPECT_EQ(lasting(0x004C, {0x02, 0x15}), 8u);  // iBeacon
  EXPECT_EQ(lasting(0x004C, {0x07, 0x19}), 5u);  // Proximity Pairing: the model number
  EXPECT_EQ(lasting(0x004C, {0x10, 0x05}), 4u);  // Nearby Info
  EXPECT_EQ(lasting(0x004C, {0x12, 0x19}), 3u);  // Find My: a rolling key follows
  EXPECT_EQ(lasting(0x0006, {0x01, 0x09}), 4u);  // Microsoft CDP: a salt follows
  EXPECT_EQ(lasting(0x0075, {0x42, 0x09}), 3u);
}

TEST(AnRssiPatternDistance, IsTheRmsDifferenceWithUnheardMonitorsAtTheFloor) {
  EXPECT_EQ(RssiPatternDistance({}, {}, -100), std::nullopt);
  EXPECT_DOUBLE_EQ(*RssiPatternDistance({{1, -60}}, {{1, -64}}, -100), 4.0);
  // Monitor 2 heard only the first at -90: 10 dB above the floor. sqrt((0 + 100) / 2).
  EXPECT_DOUBLE_EQ(*RssiPatternDistance({{1, -60}, {2, -90}}, {{1, -60}}, -100), std::sqrt(50.0));
  // Readings below the floor count as the floor.
  EXPECT_DOUBLE_EQ(*RssiPatternDistance({{1, -105}}, {{1, -100}}, -100), 0.0);
}

}  // namespace
}  // namespace blemon
