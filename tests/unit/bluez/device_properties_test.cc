// What the BlueZ adapter makes of Device1 / Adapter1 property maps, well-formed or not. A real bus
// carries whatever bluetoothd (or a mock) puts in a variant; none of it may throw or be misread.

#include "device_properties.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace blemon::bluez::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

using ManufacturerData = std::map<std::uint16_t, sdbus::Variant>;

PropertyMap WellFormedDevice() {
  return {
      {"Address", sdbus::Variant(std::string("C1:22:33:44:55:66"))},
      {"AddressType", sdbus::Variant(std::string("random"))},
      {"Name", sdbus::Variant(std::string("Tag"))},
      {"Alias", sdbus::Variant(std::string("Tag"))},
      {"RSSI", sdbus::Variant(std::int16_t{-67})},
      {"TxPower", sdbus::Variant(std::int16_t{4})},
      {"ManufacturerData",
       sdbus::Variant(ManufacturerData{{0x0075, sdbus::Variant(std::vector<std::uint8_t>{1})},
                                       {0x004C, sdbus::Variant(std::vector<std::uint8_t>{2})}})},
      {"Paired", sdbus::Variant(false)},
  };
}

TEST(ADevicePropertyParser, ReadsEveryPropertyOfAWellFormedDevice) {
  const DeviceUpdate update = ParseDeviceProperties(WellFormedDevice());
  EXPECT_THAT(update.address, Optional(std::string("C1:22:33:44:55:66")));
  EXPECT_THAT(update.address_type, Optional(std::string("random")));
  EXPECT_THAT(update.name, Optional(std::string("Tag")));
  EXPECT_THAT(update.alias, Optional(std::string("Tag")));
  EXPECT_TRUE(update.rssi_present);
  EXPECT_THAT(update.rssi, Optional(-67));
  EXPECT_THAT(update.tx_power, Optional(4));
  ASSERT_TRUE(update.company_ids.has_value());
  EXPECT_THAT(*update.company_ids, ElementsAre(0x004C, 0x0075));
  EXPECT_EQ(update.malformed, 0);
}

using ServiceData = std::map<std::string, sdbus::Variant>;
using Bytes = std::vector<std::uint8_t>;

// An AirPods-like device as BlueZ 5.66 shows it: Apple proximity pairing data longer than the
// kept prefix, a Fast Pair service (16-bit, on the base UUID), a vendor 128-bit UUID and a
// 32-bit one (both left out), service data, and the headset appearance.
PropertyMap DeviceWithPayload() {
  PropertyMap device = WellFormedDevice();
  device["ManufacturerData"] = sdbus::Variant(ManufacturerData{
      {0x004C, sdbus::Variant(Bytes{0x07, 0x19, 0x01, 0x0E, 0x20, 0x2B, 0x99, 0x8F, 0x01, 0x02})},
      {0x0006, sdbus::Variant(Bytes{})}});
  device["ServiceUUIDs"] = sdbus::Variant(std::vector<std::string>{
      "0000FE2C-0000-1000-8000-00805F9B34FB", "0000180f-0000-1000-8000-00805f9b34fb",
      "9fa480e0-4967-4542-9390-d343dc5d04ae", "12345678-0000-1000-8000-00805f9b34fb"});
  device["ServiceData"] = sdbus::Variant(
      ServiceData{{"0000fd5a-0000-1000-8000-00805f9b34fb", sdbus::Variant(Bytes{1})},
                  {"0000180f-0000-1000-8000-00805f9b34fb", sdbus::Variant(Bytes{})}});
  device["Appearance"] = sdbus::Variant(std::uint16_t{0x0941});
  return device;
}

TEST(ADevicePropertyParser, ReadsTheAdvertPayload) {
  const DeviceUpdate update = ParseDeviceProperties(DeviceWithPayload());
  ASSERT_TRUE(update.manufacturer_data.has_value());
  EXPECT_THAT(
      *update.manufacturer_data,
      ElementsAre(ManufacturerPrefix{.company_id = 0x0006, .prefix = {}},
                  ManufacturerPrefix{.company_id = 0x004C,
                                     .prefix = {0x07, 0x19, 0x01, 0x0E, 0x20, 0x2B, 0x99, 0x8F}}));
  EXPECT_THAT(update.company_ids, Optional(ElementsAre(0x0006, 0x004C)));
  EXPECT_THAT(update.service_uuids, Optional(ElementsAre(0x180F, 0xFE2C)));
  EXPECT_THAT(update.service_data_uuids, Optional(ElementsAre(0x180F, 0xFD5A)));
  EXPECT_THAT(update.appearance, Optional(0x0941));
  EXPECT_EQ(update.malformed, 0);
}

TEST(ADevicePropertyParser, KeepsTheCompanyOfManufacturerDataThatIsNotBytes) {
  const DeviceUpdate update = ParseDeviceProperties(
      {{"ManufacturerData", sdbus::Variant(ManufacturerData{{0x0075, sdbus::Variant(true)}})}});
  EXPECT_THAT(update.manufacturer_data,
              Optional(ElementsAre(ManufacturerPrefix{.company_id = 0x0075, .prefix = {}})));
}

TEST(AShortUuid, IsTheSixteenBitValueOfAUuidOnTheBluetoothBase) {
  EXPECT_THAT(ShortUuid("0000feaa-0000-1000-8000-00805f9b34fb"), Optional(0xFEAA));
  EXPECT_THAT(ShortUuid("0000180F-0000-1000-8000-00805F9B34FB"), Optional(0x180F));
  EXPECT_EQ(ShortUuid("0001feaa-0000-1000-8000-00805f9b34fb"), std::nullopt) << "32-bit";
  EXPECT_EQ(ShortUuid("0000feaa-0000-1000-8000-00805f9b34fc"), std::nullopt) << "not the base";
  EXPECT_EQ(ShortUuid("0000feag-0000-1000-8000-00805f9b34fb"), std::nullopt);
  EXPECT_EQ(ShortUuid("feaa"), std::nullopt);
  EXPECT_EQ(ShortUuid(""), std::nullopt);
}

TEST(ADevicePropertyParser, TreatsMissingPropertiesAsUnknown) {
  const DeviceUpdate update = ParseDeviceProperties({});
  EXPECT_EQ(update.address, std::nullopt);
  EXPECT_EQ(update.name, std::nullopt);
  EXPECT_FALSE(update.rssi_present);
  EXPECT_EQ(update.rssi, std::nullopt);
  EXPECT_EQ(update.company_ids, std::nullopt);
  EXPECT_EQ(update.malformed, 0);
}

TEST(ADevicePropertyParser, IgnoresValuesOfTheWrongTypeAndCountsThem) {
  const DeviceUpdate update = ParseDeviceProperties({
      {"Address", sdbus::Variant(std::int32_t{42})},
      {"AddressType", sdbus::Variant(true)},
      {"Name", sdbus::Variant(std::vector<std::string>{"not", "a", "name"})},
      {"RSSI", sdbus::Variant(std::string("-40"))},
      {"TxPower", sdbus::Variant(3.5)},
      {"ManufacturerData", sdbus::Variant(std::string("Apple"))},
      {"ServiceUUIDs", sdbus::Variant(std::string("180f"))},
      {"ServiceData", sdbus::Variant(ManufacturerData{})},
      {"Appearance", sdbus::Variant(std::string("watch"))},
  });
  EXPECT_EQ(update.address, std::nullopt);
  EXPECT_EQ(update.address_type, std::nullopt);
  EXPECT_EQ(update.name, std::nullopt);
  EXPECT_EQ(update.rssi, std::nullopt);
  EXPECT_EQ(update.tx_power, std::nullopt);
  EXPECT_EQ(update.company_ids, std::nullopt);
  EXPECT_EQ(update.manufacturer_data, std::nullopt);
  EXPECT_EQ(update.service_uuids, std::nullopt);
  EXPECT_EQ(update.service_data_uuids, std::nullopt);
  EXPECT_EQ(update.appearance, std::nullopt);
  EXPECT_EQ(update.malformed, 9);
}

TEST(ADevicePropertyParser, StillSeesAnAdvertWhenItsRssiIsMalformed) {
  // The key says BlueZ heard the device; the value says nothing usable about how well.
  const DeviceUpdate update = ParseDeviceProperties({{"RSSI", sdbus::Variant(std::string("?"))}});
  EXPECT_TRUE(update.rssi_present);
  EXPECT_EQ(update.rssi, std::nullopt);
}

TEST(ADevicePropertyParser, IgnoresTheStockMocksEmptyAdvertisingPropertiesOfTheWrongContainerType) {
  // python-dbusmock's bluez5 template sends aa{qv} where BlueZ sends a{qv}.
  const DeviceUpdate update = ParseDeviceProperties({
      {"ManufacturerData", sdbus::Variant(std::vector<ManufacturerData>{})},
      {"ServiceData", sdbus::Variant(std::vector<std::map<std::string, sdbus::Variant>>{})},
      {"AdvertisingFlags", sdbus::Variant(std::vector<std::vector<std::uint8_t>>{})},
  });
  EXPECT_EQ(update.company_ids, std::nullopt);
  EXPECT_EQ(update.service_data_uuids, std::nullopt);
  EXPECT_EQ(update.malformed, 2);  // AdvertisingFlags is not read
}

TEST(ADevicePropertyParser, ReadsAnEmptyManufacturerDataAsNoCompanies) {
  const DeviceUpdate update =
      ParseDeviceProperties({{"ManufacturerData", sdbus::Variant(ManufacturerData{})}});
  ASSERT_TRUE(update.company_ids.has_value());
  EXPECT_THAT(*update.company_ids, IsEmpty());
}

TEST(ADevicePropertyParser, AcceptsRssiOfOtherIntegerWidths) {
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::int16_t{-70})), Optional(-70));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::int32_t{-71})), Optional(-71));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::uint8_t{127})), Optional(127));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::int64_t{-72})), Optional(-72));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::uint16_t{20})), Optional(20));
}

TEST(ADevicePropertyParser, SaturatesHugeIntegersSoTheyStayOutOfRange) {
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::int64_t{1} << 40)),
              Optional(std::numeric_limits<int>::max()));
  EXPECT_THAT(ReadInteger(sdbus::Variant(-(std::int64_t{1} << 40))),
              Optional(std::numeric_limits<int>::min()));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::uint64_t{1} << 63)),
              Optional(std::numeric_limits<int>::max()));
  EXPECT_THAT(ReadInteger(sdbus::Variant(std::uint32_t{4'000'000'000u})),
              Optional(std::numeric_limits<int>::max()));
}

TEST(ADevicePropertyParser, ReadsNothingFromAnEmptyVariant) {
  EXPECT_EQ(ReadInteger(sdbus::Variant()), std::nullopt);
  EXPECT_EQ(ReadString(sdbus::Variant()), std::nullopt);
  EXPECT_EQ(ReadBool(sdbus::Variant()), std::nullopt);
}

TEST(ADeviceState, KeepsWhatIsKnownWhenAnUpdateLacksIt) {
  DeviceState state;
  state.Apply(ParseDeviceProperties(WellFormedDevice()));
  state.Apply(ParseDeviceProperties(
      {{"RSSI", sdbus::Variant(std::int16_t{-50})}, {"Name", sdbus::Variant(std::int16_t{1})}}));
  EXPECT_EQ(state.address, "C1:22:33:44:55:66");
  EXPECT_EQ(state.address_type, "random");
  EXPECT_THAT(state.name, Optional(std::string("Tag")));
  EXPECT_THAT(state.tx_power, Optional(4));
}

TEST(ADeviceState, AccumulatesCompanyIdsOverTheScan) {
  DeviceState state;
  state.Apply(ParseDeviceProperties(
      {{"ManufacturerData", sdbus::Variant(ManufacturerData{{0x0006, sdbus::Variant(true)}})}}));
  state.Apply(ParseDeviceProperties(
      {{"ManufacturerData", sdbus::Variant(ManufacturerData{{0x004C, sdbus::Variant(true)},
                                                            {0x0006, sdbus::Variant(true)}})}}));
  EXPECT_THAT(state.company_ids, ElementsAre(0x0006, 0x004C));
}

TEST(ADeviceState, KeepsTheLatestPrefixPerCompanyAndEveryServiceUuidHeard) {
  DeviceState state;
  state.Apply(ParseDeviceProperties(DeviceWithPayload()));
  state.Apply(ParseDeviceProperties(
      {{"ManufacturerData",
        sdbus::Variant(ManufacturerData{{0x004C, sdbus::Variant(Bytes{0x10})}})},
       {"ServiceUUIDs",
        sdbus::Variant(std::vector<std::string>{"0000feaa-0000-1000-8000-00805f9b34fb"})}}));
  const Advert advert = state.ToAdvert(-70);
  EXPECT_THAT(advert.payload.manufacturer_data,
              ElementsAre(ManufacturerPrefix{.company_id = 0x0006, .prefix = {}},
                          ManufacturerPrefix{.company_id = 0x004C, .prefix = {0x10}}));
  EXPECT_THAT(advert.payload.service_uuids, ElementsAre(0x180F, 0xFD5A, 0xFE2C, 0xFEAA));
  EXPECT_THAT(advert.payload.appearance, Optional(0x0941));
  EXPECT_EQ(advert.payload.monitor_beacon, std::nullopt);
  EXPECT_THAT(advert.company_ids, ElementsAre(0x0006, 0x004C));
}

TEST(ADeviceState, MakesAnAdvertWithTheSignalsRssi) {
  DeviceState state;
  state.Apply(ParseDeviceProperties(WellFormedDevice()));
  const Advert advert = state.ToAdvert(-80);
  EXPECT_EQ(advert.address, "C1:22:33:44:55:66");
  EXPECT_EQ(advert.address_type, "random");
  EXPECT_THAT(advert.rssi, Optional(-80));
  EXPECT_THAT(advert.name, Optional(std::string("Tag")));
  EXPECT_THAT(advert.tx_power, Optional(4));
  EXPECT_THAT(advert.company_ids, ElementsAre(0x004C, 0x0075));
}

TEST(ADeviceState, PrefersNameAndFallsBackToAUserSetAlias) {
  DeviceState state;
  state.address = "AA:BB:CC:DD:EE:FF";
  state.alias = "Kitchen tag";
  EXPECT_THAT(state.DisplayName(), Optional(std::string("Kitchen tag")));
  state.name = "iTag";
  EXPECT_THAT(state.DisplayName(), Optional(std::string("iTag")));
}

TEST(ADeviceState, ReportsNoNameWhenTheAliasOnlyRepeatsTheAddress) {
  DeviceState state;
  state.address = "AA:BB:CC:DD:EE:FF";
  state.alias = "AA-BB-CC-DD-EE-FF";
  EXPECT_EQ(state.DisplayName(), std::nullopt);
  state.alias = "aa:bb:cc:dd:ee:ff";
  EXPECT_EQ(state.DisplayName(), std::nullopt);
  state.name = "";
  EXPECT_EQ(state.DisplayName(), std::nullopt);
}

TEST(AnAliasCheck, TellsAnAddressFromANameThatMerelyContainsHexDigits) {
  EXPECT_TRUE(AliasRepeatsAddress("AA-BB-CC-DD-EE-FF", "AA:BB:CC:DD:EE:FF"));
  EXPECT_FALSE(AliasRepeatsAddress("AA-BB-CC-DD-EE-00", "AA:BB:CC:DD:EE:FF"));
  EXPECT_FALSE(AliasRepeatsAddress("Bed", "BE:D0:00:00:00:00"));
  EXPECT_FALSE(AliasRepeatsAddress("Cafe Beef 12", ""));
  EXPECT_TRUE(AliasRepeatsAddress("11-22-33-44-55-66", ""));
}

TEST(ADevicePath, GivesTheAddressOfABluezDeviceObject) {
  EXPECT_THAT(AddressFromDevicePath("/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF"),
              Optional(std::string("AA:BB:CC:DD:EE:FF")));
  EXPECT_EQ(AddressFromDevicePath("/org/bluez/hci0"), std::nullopt);
  EXPECT_EQ(AddressFromDevicePath("/org/bluez/hci0/dev_AA_BB"), std::nullopt);
  EXPECT_EQ(AddressFromDevicePath("/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF/service0001"),
            std::nullopt);
}

std::map<sdbus::ObjectPath, InterfaceMap> Objects(bool hci1_powered) {
  std::map<sdbus::ObjectPath, InterfaceMap> objects;
  objects[sdbus::ObjectPath("/org/bluez")] = {{"org.bluez.AgentManager1", {}}};
  objects[sdbus::ObjectPath("/org/bluez/hci1")] = {
      {kAdapterInterface, {{"Powered", sdbus::Variant(hci1_powered)}}}};
  objects[sdbus::ObjectPath("/org/bluez/hci0")] = {
      {kAdapterInterface, {{"Powered", sdbus::Variant(std::string("yes"))}}}};
  objects[sdbus::ObjectPath("/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF")] = {
      {kDeviceInterface, WellFormedDevice()}};
  return objects;
}

TEST(AnAdapterSearch, TakesTheFirstAdapterWhenNoneIsNamed) {
  std::vector<std::string> available;
  const auto adapter = FindAdapter(Objects(true), "", &available);
  ASSERT_TRUE(adapter.has_value());
  EXPECT_EQ(adapter->path, "/org/bluez/hci0");
  EXPECT_EQ(adapter->name, "hci0");
  EXPECT_EQ(adapter->powered, std::nullopt);  // "yes" is not a boolean
  EXPECT_THAT(available, ElementsAre("hci0", "hci1"));
}

TEST(AnAdapterSearch, FindsTheNamedAdapterAndItsPowerState) {
  const auto adapter = FindAdapter(Objects(false), "hci1");
  ASSERT_TRUE(adapter.has_value());
  EXPECT_EQ(adapter->path, "/org/bluez/hci1");
  EXPECT_THAT(adapter->powered, Optional(false));
}

TEST(AnAdapterSearch, FindsNothingWhenTheNamedAdapterIsMissing) {
  std::vector<std::string> available;
  EXPECT_EQ(FindAdapter(Objects(true), "hci2", &available), std::nullopt);
  EXPECT_THAT(available, ElementsAre("hci0", "hci1"));
  EXPECT_EQ(FindAdapter({}, ""), std::nullopt);
}

}  // namespace
}  // namespace blemon::bluez::internal
