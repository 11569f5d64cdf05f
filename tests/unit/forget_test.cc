#include "blemon/forget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace blemon {
namespace {

using ::testing::ElementsAre;

TEST(ADeviceStatementList, GroupsColumnsOfOneTableAndActionAndDeletesDevicesLast) {
  const std::vector<DeviceStatement> statements = DeviceStatements();
  ASSERT_FALSE(statements.empty());
  EXPECT_EQ(statements.back().table, "ble_devices");
  int staging = 0;
  for (const DeviceStatement& statement : statements) {
    if (statement.table == "sighting_staging") {
      ++staging;
      EXPECT_EQ(statement.columns.size(), 2u);  // mac_address OR resolved_mac: one count
    }
  }
  EXPECT_EQ(staging, 1);
  EXPECT_EQ(PlaceOf(statements[statements.size() - 2]), "identities (device_id unlinked)");
}

TEST(ADeviceQuery, OrsTheColumnsAndBindsEachKeyInOrder) {
  const DeviceStatement staging{
      .table = "sighting_staging",
      .unlink = false,
      .columns = {{"sighting_staging", "mac_address", DeviceKey::kAddress},
                  {"sighting_staging", "resolved_mac", DeviceKey::kAddress}}};
  DeviceKeys keys;
  keys.addresses = {"AA:00:00:00:00:01", "AA:00:00:00:00:02"};
  const DeviceQuery query = MakeDeviceQuery(staging, keys);
  EXPECT_EQ(query.apply_sql,
            "DELETE FROM sighting_staging WHERE mac_address IN (?, ?) OR resolved_mac IN (?, ?)");
  EXPECT_EQ(query.count_sql,
            "SELECT COUNT(*) FROM sighting_staging WHERE mac_address IN (?, ?) OR "
            "resolved_mac IN (?, ?)");
  EXPECT_EQ(query.params.size(), 4u);
}

TEST(ADeviceQuery, MatchesNothingWithoutKeysAndUnlinksByUpdate) {
  const DeviceStatement identities{
      .table = "identities",
      .unlink = true,
      .columns = {{"identities", "device_id", DeviceKey::kDeviceId, true}}};
  EXPECT_EQ(MakeDeviceQuery(identities, {}).apply_sql,
            "UPDATE identities SET device_id = NULL WHERE 1 = 0");
  DeviceKeys keys;
  keys.device_ids = {7};
  const DeviceQuery query = MakeDeviceQuery(identities, keys);
  EXPECT_EQ(query.apply_sql, "UPDATE identities SET device_id = NULL WHERE device_id IN (?)");
  EXPECT_EQ(std::get<std::int64_t>(query.params.at(0)), 7);
}

TEST(ADeviceQuery, FindsTheAlertsOfAWatchTargetByTheirEventIdPrefix) {
  const DeviceStatement deliveries{
      .table = "alert_deliveries",
      .unlink = false,
      .columns = {{"alert_deliveries", "event_id", DeviceKey::kEventOf}}};
  DeviceKeys keys;
  keys.watch_targets = {"7C:2E:BD:01:02:03", "alice_%"};
  const DeviceQuery query = MakeDeviceQuery(deliveries, keys);
  EXPECT_EQ(query.where, "(event_id >= ? AND event_id < ?) OR (event_id >= ? AND event_id < ?)");
  ASSERT_EQ(query.params.size(), 4u);
  // "<target>/" up to "<target>0": every id of that target and no other's ("alice_%x/…" sorts
  // after "alice_%0"), whatever LIKE would have made of '_' and '%'.
  EXPECT_EQ(std::get<std::string>(query.params.at(2)), "alice_%/");
  EXPECT_EQ(std::get<std::string>(query.params.at(3)), "alice_%0");
  EXPECT_EQ(MakeDeviceQuery(deliveries, {}).where, "1 = 0");
}

TEST(AddressSpellings, CoverColonsDashesAndNoSeparator) {
  EXPECT_THAT(AddressSpellings(*MacAddress::Parse("aa:bb:cc:dd:ee:0f")),
              ElementsAre("AA:BB:CC:DD:EE:0F", "AA-BB-CC-DD-EE-0F", "AABBCCDDEE0F"));
}

TEST(AddressesOfIdentity, FindsTheIdentitysRotatingAddressesInEitherByteOrder) {
  const Irk irk = *Irk::Parse("ec0234a357c8ad05341010a60a397d9b");
  const Irk other = *Irk::Parse("00112233445566778899aabbccddeeff");
  const MacAddress own = MakeResolvablePrivateAddress(irk, 0x123456);
  const MacAddress reversed = MakeResolvablePrivateAddress(irk.Reversed(), 0x234567);
  const MacAddress stranger = MakeResolvablePrivateAddress(other, 0x345678);
  const std::vector<MacAddress> candidates{own, reversed, stranger,
                                           *MacAddress::Parse("00:1A:7D:00:00:01")};
  EXPECT_THAT(AddressesOfIdentity(irk, /*byte_order_known=*/false, candidates),
              ::testing::UnorderedElementsAre(own, reversed));
  EXPECT_THAT(AddressesOfIdentity(irk, /*byte_order_known=*/true, candidates), ElementsAre(own));
}

}  // namespace
}  // namespace blemon
