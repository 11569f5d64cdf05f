// The monitor beacon's service data (blemon/beacon.h): the bytes a monitor puts on the air, and
// the strict reading of bytes that came off it.

#include "blemon/beacon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace blemon {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

using Bytes = std::vector<std::uint8_t>;

TEST(ABeaconServiceData, EncodesMonitorIdLittleEndianThenTxPowerThenVersion) {
  EXPECT_THAT(EncodeBeaconServiceData(0x12345678, -8),
              Optional(ElementsAre(0x78, 0x56, 0x34, 0x12, 0xF8, 0x01)));
}

TEST(ABeaconServiceData, EncodesAnUnknownTxPowerAs127) {
  EXPECT_THAT(EncodeBeaconServiceData(7, std::nullopt),
              Optional(ElementsAre(7, 0, 0, 0, 0x7F, 0x01)));
}

TEST(ABeaconServiceData, ClampsTxPowerIntoTheRangeHciAllows) {
  EXPECT_THAT(EncodeBeaconServiceData(1, 30), Optional(ElementsAre(1, 0, 0, 0, 20, 1)));
  EXPECT_THAT(EncodeBeaconServiceData(1, -200), Optional(ElementsAre(1, 0, 0, 0, 0x81, 1)));
}

TEST(ABeaconServiceData, RefusesMonitorIdsThatDoNotFitFourBytes) {
  EXPECT_EQ(EncodeBeaconServiceData(-1, 0), std::nullopt);
  EXPECT_EQ(EncodeBeaconServiceData(0x1'0000'0000LL, 0), std::nullopt);
  EXPECT_TRUE(EncodeBeaconServiceData(0xFFFF'FFFFLL, 0).has_value());
}

TEST(ABeaconServiceData, ParsesWhatItEncodes) {
  for (const std::optional<int> power : {std::optional<int>(-127), std::optional<int>(0),
                                         std::optional<int>(20), std::optional<int>()}) {
    const auto bytes = EncodeBeaconServiceData(0xFFFF'FFFFLL, power);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_THAT(ParseBeaconServiceData(*bytes),
                Optional(BeaconServiceData{.monitor_id = 0xFFFF'FFFFu, .tx_power = power}));
  }
}

TEST(ABeaconServiceData, IgnoresAnyOtherLength) {
  EXPECT_EQ(ParseBeaconServiceData(Bytes{}), std::nullopt);
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 0}), std::nullopt);
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 0, 1, 0}), std::nullopt);
}

TEST(ABeaconServiceData, IgnoresAnotherFormatVersion) {
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 0, 0}), std::nullopt);
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 0, 2}), std::nullopt);
}

TEST(ABeaconServiceData, IgnoresATxPowerOutsideTheRange) {
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 21, 1}), std::nullopt);
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 126, 1}), std::nullopt);
  EXPECT_EQ(ParseBeaconServiceData(Bytes{1, 0, 0, 0, 0x80, 1}), std::nullopt);  // -128
}

TEST(AMonitorBeacon, TakesTheServiceDataTxPowerFirst) {
  EXPECT_EQ(ToMonitorBeacon({.monitor_id = 3, .tx_power = 4}, -10),
            (MonitorBeacon{.monitor_id = 3, .tx_power = 4}));
}

TEST(AMonitorBeacon, FallsBackToTheAdvertsTxPowerFieldThenTheDefault) {
  EXPECT_EQ(ToMonitorBeacon({.monitor_id = 3, .tx_power = std::nullopt}, -10),
            (MonitorBeacon{.monitor_id = 3, .tx_power = -10}));
  EXPECT_EQ(ToMonitorBeacon({.monitor_id = 3, .tx_power = std::nullopt}, std::nullopt),
            (MonitorBeacon{.monitor_id = 3, .tx_power = kDefaultBeaconTxPower}));
  // A TX Power Level field out of range is no information.
  EXPECT_EQ(ToMonitorBeacon({.monitor_id = 3, .tx_power = std::nullopt}, 127),
            (MonitorBeacon{.monitor_id = 3, .tx_power = kDefaultBeaconTxPower}));
}

TEST(ABeaconServiceUuid, MatchesInAnyLetterCaseOnly) {
  EXPECT_TRUE(IsBeaconServiceUuid("d24e15b0-c0ac-48d3-81cf-75c80e03e46f"));
  EXPECT_TRUE(IsBeaconServiceUuid("D24E15B0-C0AC-48D3-81CF-75C80E03E46F"));
  EXPECT_FALSE(IsBeaconServiceUuid("d24e15b0-c0ac-48d3-81cf-75c80e03e46"));
  EXPECT_FALSE(IsBeaconServiceUuid("0000feaa-0000-1000-8000-00805f9b34fb"));
}

}  // namespace
}  // namespace blemon
