// The Store's address linking (blemon/address_linking.h, schema version 11), on every backend:
// the processor links a rotating address that stops to one that starts at the same place, in the
// interval's own transaction, and never twice.

#include "address_links_contract.h"

#include <string>
#include <vector>

namespace blemon::testing {

Reading ALinkingStore::Rotating(const std::string& mac, int rssi) const {
  Reading reading = MakeReading(mac, rssi);
  reading.address_class = AddressClass::kResolvablePrivate;
  reading.tx_power = 8;
  if (const auto payload = payloads_.find(mac); payload != payloads_.end()) {
    reading.payload = payload->second;
    for (const ManufacturerPrefix& m : reading.payload.manufacturer_data) {
      reading.company_ids.push_back(m.company_id);
    }
  }
  return reading;
}

void ALinkingStore::SetUp() {
  AStore::SetUp();
  kitchen_ = Register("kitchen", "Kitchen");
  hall_ = Register("hall", "Hall");
}

void ALinkingStore::Interval(int n, const std::vector<std::pair<std::string, int>>& heard) {
  const UtcTime start = T0() + n * kInterval;
  std::vector<Reading> near, far;
  for (const auto& [mac, rssi] : heard) {
    near.push_back(Rotating(mac, rssi));
    far.push_back(Rotating(mac, rssi - 25));
  }
  near.push_back(MakeReading("AA:BB:CC:DD:EE:99", -70));
  ASSERT_TRUE(store_->StageBatch(MakeBatch(kitchen_, n + 1, start, start + Seconds{5}, near)));
  ASSERT_TRUE(store_->StageBatch(MakeBatch(hall_, n + 1, start, start + Seconds{5}, far)));
  links_ += ProcessAll(kitchen_, start).links_added;
}

std::string ALinkingStore::EstimatedDeviceOf(const std::string& mac) {
  return harness_->QueryScalar(
      "SELECT e.mac_address FROM address_links l JOIN ble_devices d ON d.device_id = l.device_id "
      "JOIN ble_devices e ON e.device_id = l.estimated_device_id WHERE d.mac_address = '" +
      mac + "'");
}

namespace {

TEST_P(ALinkingStore, LinksARotatingAddressToTheOneThatReplacedItAndFollowsTheChain) {
  Interval(0, {{"5A:00:00:00:00:01", -50}});
  Interval(1, {{"5A:00:00:00:00:01", -51}});
  Interval(2, {{"5B:00:00:00:00:02", -50}});
  Interval(3, {{"5B:00:00:00:00:02", -52}});
  Interval(4, {{"5C:00:00:00:00:03", -51}});
  Interval(5, {{"5C:00:00:00:00:03", -50}});
  Interval(6, {});

  EXPECT_EQ(links_, 2);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM address_links"), "2");
  EXPECT_EQ(EstimatedDeviceOf("5B:00:00:00:00:02"), "5A:00:00:00:00:01");
  EXPECT_EQ(EstimatedDeviceOf("5C:00:00:00:00:03"), "5A:00:00:00:00:01");
  // The public address heard throughout is nobody's link.
  EXPECT_EQ(EstimatedDeviceOf("AA:BB:CC:DD:EE:99"), "");
}

TEST_P(ALinkingStore, AddsNoLinkTwiceWhenAnIntervalIsProcessedAgain) {
  Interval(0, {{"5A:00:00:00:00:01", -50}});
  Interval(1, {{"5B:00:00:00:00:02", -50}});
  Interval(2, {{"5B:00:00:00:00:02", -51}});
  ASSERT_EQ(links_, 1);
  // A late batch makes interval 2 pending again.
  const UtcTime start = T0() + 2 * kInterval;
  const MonitorId late = Register("late", "Attic");
  ASSERT_TRUE(store_->StageBatch(
      MakeBatch(late, 1, start, start + Seconds{7}, {Rotating("5B:00:00:00:00:02", -90)})));
  EXPECT_EQ(ProcessAll(kitchen_, start).links_added, 0);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM address_links"), "1");
}

TEST_P(ALinkingStore, TellsTwoDevicesAtOnePlaceApartByTheirStagedPayloads) {
  // An iPhone (continuity Nearby Info) and a Windows laptop (Microsoft CDP) side by side; their
  // authentication tag and salt change with the address, the lasting bytes do not.
  const AdvertPayload phone{
      .manufacturer_data = {{.company_id = 0x004C, .prefix = {0x10, 0x05, 0x1B, 0x1C, 0xA1}}},
      .service_uuids = {},
      .appearance = std::nullopt,
      .monitor_beacon = std::nullopt};
  AdvertPayload laptop = phone;
  laptop.manufacturer_data = {{.company_id = 0x0006, .prefix = {0x01, 0x09, 0x20, 0x02, 0x77}}};
  laptop.appearance = 0x0080;
  payloads_ = {{"5A:00:00:00:00:01", phone}, {"6A:00:00:00:00:01", laptop}};
  payloads_["5B:00:00:00:00:02"] = phone;
  payloads_["5B:00:00:00:00:02"].manufacturer_data[0].prefix[4] = 0xB2;
  payloads_["6B:00:00:00:00:02"] = laptop;
  payloads_["6B:00:00:00:00:02"].manufacturer_data[0].prefix[4] = 0x88;

  Interval(0, {{"5A:00:00:00:00:01", -50}, {"6A:00:00:00:00:01", -50}});
  Interval(1, {{"6B:00:00:00:00:02", -50}, {"5B:00:00:00:00:02", -50}});
  Interval(2, {{"6B:00:00:00:00:02", -50}, {"5B:00:00:00:00:02", -50}});
  Interval(3, {});
  EXPECT_EQ(links_, 2);
  EXPECT_EQ(EstimatedDeviceOf("5B:00:00:00:00:02"), "5A:00:00:00:00:01");
  EXPECT_EQ(EstimatedDeviceOf("6B:00:00:00:00:02"), "6A:00:00:00:00:01");
}

TEST_P(ALinkingStore, LeavesTwoLookalikesThatRotateTogetherUnlinked) {
  Interval(0, {{"5A:00:00:00:00:01", -50}, {"6A:00:00:00:00:01", -50}});
  Interval(1, {{"5B:00:00:00:00:02", -50}, {"6B:00:00:00:00:02", -50}});
  Interval(2, {{"5B:00:00:00:00:02", -50}, {"6B:00:00:00:00:02", -50}});
  Interval(3, {});
  EXPECT_EQ(links_, 0);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM address_links"), "0");
}

TEST_P(ALinkingStore, DecidesNothingAcrossAnIntervalNobodyScanned) {
  // Both addresses heard in interval 1 (the rotation fell inside its scan): linked two intervals
  // after A's last, unless nobody scanned in between, when A might have been heard after all.
  Interval(0, {{"5A:00:00:00:00:01", -50}});
  Interval(1, {{"5A:00:00:00:00:01", -50}, {"5B:00:00:00:00:02", -50}});
  Interval(3, {{"5B:00:00:00:00:02", -50}});
  Interval(4, {{"5B:00:00:00:00:02", -50}});
  EXPECT_EQ(links_, 0);
}

TEST_P(ALinkingStore, LinksARotationHeardWithinOneScan) {
  Interval(0, {{"5A:00:00:00:00:01", -50}});
  Interval(1, {{"5A:00:00:00:00:01", -50}, {"5B:00:00:00:00:02", -50}});
  Interval(2, {{"5B:00:00:00:00:02", -50}});
  Interval(3, {{"5B:00:00:00:00:02", -50}});
  EXPECT_EQ(links_, 1);
  EXPECT_EQ(EstimatedDeviceOf("5B:00:00:00:00:02"), "5A:00:00:00:00:01");
}

}  // namespace
}  // namespace blemon::testing
