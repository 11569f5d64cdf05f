#include "blemon/payload_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace blemon {
namespace {

using ::testing::Optional;

TEST(APayloadText, WritesManufacturerDataAsCompanyColonPrefixInLowerCaseHex) {
  const std::vector<ManufacturerPrefix> data = {{.company_id = 0x004C, .prefix = {0x10, 0x05}},
                                                {.company_id = 0x0006, .prefix = {0x01, 0x02}}};
  EXPECT_EQ(FormatManufacturerData(data), "004c:1005;0006:0102");
}

TEST(APayloadText, ReadsBackEveryManufacturerPrefixItWrote) {
  const std::vector<ManufacturerPrefix> data = {
      {.company_id = 0x0000, .prefix = {}},
      {.company_id = 0xFFFF, .prefix = {0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02, 0xFF}}};
  EXPECT_EQ(FormatManufacturerData(data), "0000:;ffff:deadbeef000102ff");
  EXPECT_THAT(ParseManufacturerData(FormatManufacturerData(data)), Optional(data));
}

TEST(APayloadText, ReadsTheEmptyTextAsNoData) {
  EXPECT_THAT(ParseManufacturerData(""), Optional(std::vector<ManufacturerPrefix>{}));
  EXPECT_THAT(ParseUuid16List(""), Optional(std::vector<std::uint16_t>{}));
  EXPECT_EQ(FormatUuid16List({}), "");
}

TEST(APayloadText, RefusesDamagedManufacturerData) {
  for (const char* bad :
       {"004c", "04c:10", "004c:1", "004c:zz", "004c:10;", ";004c:10", "+04c:10", "004c:10;0006"}) {
    EXPECT_EQ(ParseManufacturerData(bad), std::nullopt) << bad;
  }
}

TEST(APayloadText, WritesAndReadsSixteenBitUuidLists) {
  const std::vector<std::uint16_t> uuids = {0x180F, 0xFE9F, 0x0001};
  EXPECT_EQ(FormatUuid16List(uuids), "180f,fe9f,0001");
  EXPECT_THAT(ParseUuid16List("180f,FE9F,0001"), Optional(uuids));
  for (const char* bad : {"180", "180f,", ",180f", "1800f", "180g", "-180"}) {
    EXPECT_EQ(ParseUuid16List(bad), std::nullopt) << bad;
  }
}

Reading ReadingWithPayload() {
  return Reading{.mac = *MacAddress::Parse("AA:BB:CC:DD:EE:01"),
                 .address_class = AddressClass::kPublic,
                 .rssi = -60,
                 .advert_count = 1,
                 .name = std::nullopt,
                 .tx_power = std::nullopt,
                 .company_ids = {0x0006, 0x004C},
                 .payload = {.manufacturer_data = {{.company_id = 0x004C, .prefix = {0x12, 0x19}}},
                             .service_uuids = {0x180F, 0xFD5A},
                             .appearance = 0x0941,
                             .monitor_beacon = MonitorBeacon{.monitor_id = 7, .tx_power = -4}}};
}

TEST(APayloadText, GivesAReadingsPayloadAsColumnsAndBack) {
  const Reading reading = ReadingWithPayload();
  const PayloadColumns columns = ToPayloadColumns(reading);
  EXPECT_EQ(columns, (PayloadColumns{.company_ids = "0006,004c",
                                     .manufacturer_data = "004c:1219",
                                     .service_uuids = "180f,fd5a",
                                     .appearance = 0x0941,
                                     .beacon_monitor_id = 7,
                                     .beacon_tx_power = -4}));
  Reading back = reading;
  back.company_ids.clear();
  back.payload = {};
  EXPECT_TRUE(FromPayloadColumns(columns, back));
  EXPECT_EQ(back, reading);
}

TEST(APayloadText, GivesNullColumnsForAReadingWithoutPayload) {
  Reading reading = ReadingWithPayload();
  reading.company_ids.clear();
  reading.payload = {};
  EXPECT_EQ(ToPayloadColumns(reading), PayloadColumns{});
  Reading back = ReadingWithPayload();
  EXPECT_TRUE(FromPayloadColumns(PayloadColumns{}, back));
  EXPECT_EQ(back, reading);
}

TEST(APayloadText, KeepsTheIntactColumnsOfADamagedRowAndSaysSo) {
  PayloadColumns columns = ToPayloadColumns(ReadingWithPayload());
  columns.manufacturer_data = "apple";
  Reading back = ReadingWithPayload();
  EXPECT_FALSE(FromPayloadColumns(columns, back));
  EXPECT_TRUE(back.payload.manufacturer_data.empty());
  EXPECT_EQ(back.payload.service_uuids, ReadingWithPayload().payload.service_uuids);
}

}  // namespace
}  // namespace blemon
