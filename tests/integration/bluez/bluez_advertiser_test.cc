// The BlueZ advertiser against a real dbus-daemon serving python-dbusmock's BlueZ with
// LEAdvertisingManager1 (tests/peers/bluez5_blemon.py). The mock reads the advertisement's
// properties back from our object over the bus while RegisterAdvertisement is pending, as
// bluetoothd does, so what is asserted here is what bluetoothd would have put on the air.

#include "blemon/bluez/bluez_advertiser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "blemon/beacon.h"
#include "blemon/bluez/bluez_scanner.h"
#include "bluez_mock_client.h"
#include "scanner_options.h"

namespace blemon::bluez {
namespace {

using ::testing::AllOf;
using testing::BluezMock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using testing::PropertyMap;
using ::testing::StartsWith;

constexpr char kHci0[] = "hci0";
constexpr char kAdvertPath[] = "/org/blemon/beacon";

using Bytes = std::vector<std::uint8_t>;
using ServiceData = std::map<std::string, sdbus::Variant>;

std::unique_ptr<Advertiser> MakeTestAdvertiser() {
  internal::ScannerOptions options;
  options.adapter = kHci0;
  options.call_timeout = std::chrono::milliseconds(2000);
  return internal::MakeAdvertiser(options);
}

Bytes BeaconBytes(const PropertyMap& properties) {
  const auto data = properties.at("ServiceData").get<ServiceData>();
  return data.at(std::string(kBeaconServiceUuid)).get<Bytes>();
}

class ABluezAdvertiser : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BluezMock::Configured())
        << "DBUS_SYSTEM_BUS_ADDRESS is not set: run through ctest (fixture bluez_mock)";
    mock_.Reset();
    mock_.AddAdapter(kHci0);
  }

  std::vector<std::string> Log() { return mock_.AdvertisingLog(kHci0); }

  BluezMock mock_;
};

TEST_F(ABluezAdvertiser, RegistersTheBeaconWithItsServiceDataAndUnregistersItOnStop) {
  auto advertiser = MakeTestAdvertiser();
  const AdvertiseOutcome outcome = advertiser->Start(42);
  EXPECT_EQ(outcome.error, std::nullopt);
  EXPECT_THAT(outcome.beacon,
              Optional(MonitorBeacon{.monitor_id = 42, .tx_power = kDefaultBeaconTxPower}));

  const auto adverts = mock_.Advertisements(kHci0);
  ASSERT_EQ(adverts.size(), 1u);
  EXPECT_EQ(adverts[0].path, kAdvertPath);
  const PropertyMap& properties = adverts[0].properties;
  EXPECT_EQ(properties.at("Type").get<std::string>(), "broadcast");
  // The adapter told no TX power: "unknown", for the receivers to take the TX Power Level field.
  EXPECT_EQ(BeaconBytes(properties), (Bytes{42, 0, 0, 0, 0x7F, 1}));
  EXPECT_EQ(properties.at("Includes").get<std::vector<std::string>>(),
            std::vector<std::string>{"tx-power"});
  EXPECT_EQ(properties.count("ServiceUUIDs"), 0u);  // would not fit 31 bytes with the data
  EXPECT_EQ(properties.count("LocalName"), 0u);

  // Already on the air: nothing registered twice.
  EXPECT_TRUE(advertiser->Start(42).beacon.has_value());
  EXPECT_EQ(mock_.Advertisements(kHci0).size(), 1u);

  advertiser->Stop();
  EXPECT_THAT(mock_.Advertisements(kHci0), IsEmpty());
  const std::string owner = adverts[0].owner;
  EXPECT_THAT(Log(), ElementsAre("register " + owner + " " + kAdvertPath,
                                 "unregister " + owner + " " + kAdvertPath));
}

TEST_F(ABluezAdvertiser, PutsTheTxPowerBluetoothdSelectedIntoTheBeacon) {
  mock_.SetAdvertising(kHci0, "accept", /*selected_tx_power=*/-6);
  auto advertiser = MakeTestAdvertiser();
  const AdvertiseOutcome outcome = advertiser->Start(7);
  EXPECT_THAT(outcome.beacon, Optional(MonitorBeacon{.monitor_id = 7, .tx_power = -6}));

  const auto adverts = mock_.Advertisements(kHci0);
  ASSERT_EQ(adverts.size(), 1u);
  EXPECT_EQ(BeaconBytes(adverts[0].properties), (Bytes{7, 0, 0, 0, 0xFA, 1}));
  // Learned while registering: registered once more to say it.
  EXPECT_THAT(Log(), ElementsAre(StartsWith("register "), StartsWith("unregister "),
                                 StartsWith("register ")));
}

TEST_F(ABluezAdvertiser, ReportsARefusalAndRegistersOnceTheAdapterHasRoom) {
  mock_.SetAdvertising(kHci0, "full");
  auto advertiser = MakeTestAdvertiser();
  const AdvertiseOutcome refused = advertiser->Start(3);
  EXPECT_EQ(refused.beacon, std::nullopt);
  EXPECT_THAT(refused.error, Optional(HasSubstr("Maximum advertisements reached")));
  EXPECT_THAT(refused.error, Optional(HasSubstr("hci0 refused another advertisement")));

  mock_.SetAdvertising(kHci0, "accept");
  EXPECT_TRUE(advertiser->Start(3).beacon.has_value());
  EXPECT_EQ(mock_.Advertisements(kHci0).size(), 1u);
}

TEST_F(ABluezAdvertiser, ReportsAnAdapterThatCannotAdvertise) {
  auto advertiser = MakeTestAdvertiser();
  mock_.SetAdvertising(kHci0, "not-supported");
  EXPECT_THAT(advertiser->Start(3).error,
              Optional(AllOf(HasSubstr("hci0 cannot advertise"), HasSubstr("NotSupported"))));
  mock_.SetAdvertising(kHci0, "absent");
  EXPECT_THAT(advertiser->Start(3).error,
              Optional(AllOf(HasSubstr("hci0 cannot advertise"),
                             HasSubstr("no org.bluez.LEAdvertisingManager1"))));
}

TEST_F(ABluezAdvertiser, ReportsAMissingAdapter) {
  mock_.RemoveAdapter(kHci0);
  EXPECT_THAT(MakeTestAdvertiser()->Start(3).error,
              Optional(HasSubstr("no Bluetooth adapter hci0 to advertise on")));
}

TEST_F(ABluezAdvertiser, RegistersAgainAfterBluezReleasedTheAdvertisement) {
  auto advertiser = MakeTestAdvertiser();
  ASSERT_TRUE(advertiser->Start(9).beacon.has_value());
  mock_.ReleaseAdvertisements(kHci0);
  EXPECT_THAT(mock_.Advertisements(kHci0), IsEmpty());
  EXPECT_TRUE(advertiser->Start(9).beacon.has_value());
  EXPECT_EQ(mock_.Advertisements(kHci0).size(), 1u);
  EXPECT_THAT(
      Log(), ElementsAre(StartsWith("register "), StartsWith("release "), StartsWith("register ")));
}

TEST_F(ABluezAdvertiser, RegistersAgainAfterBluetoothdRestarted) {
  auto advertiser = MakeTestAdvertiser();
  ASSERT_TRUE(advertiser->Start(9).beacon.has_value());
  ASSERT_TRUE(BluezMock::KillMock());
  EXPECT_THAT(advertiser->Start(9).error, Optional(HasSubstr("BlueZ is not running")));
  ASSERT_TRUE(mock_.StartMock());
  mock_.AddAdapter(kHci0);
  EXPECT_TRUE(advertiser->Start(9).beacon.has_value());
  EXPECT_EQ(mock_.Advertisements(kHci0).size(), 1u);
}

TEST_F(ABluezAdvertiser, UnregistersWhenDestroyed) {
  {
    auto advertiser = MakeTestAdvertiser();
    ASSERT_TRUE(advertiser->Start(9).beacon.has_value());
  }
  EXPECT_THAT(mock_.Advertisements(kHci0), IsEmpty());
  EXPECT_THAT(Log(), ElementsAre(StartsWith("register "), StartsWith("unregister ")));
}

TEST_F(ABluezAdvertiser, LeavesScanningWorkingWhenRefused) {
  mock_.SetAdvertising(kHci0, "full");
  auto advertiser = MakeTestAdvertiser();
  ASSERT_FALSE(advertiser->Start(3).beacon.has_value());

  auto scanner = MakeScanner(kHci0);
  mock_.AddDeviceWithProperties(kHci0, "00:11:22:33:44:55",
                                {{"RSSI", sdbus::Variant(std::int16_t{-61})}},
                                /*announce=*/false);
  std::stop_source stop;
  auto scan =
      std::async(std::launch::async, [&] { return scanner->Scan(Seconds(1), stop.get_token()); });
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.Advertise(testing::DevicePath(kHci0, "00:11:22:33:44:55"), -58);
  const ScanResult result = scan.get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings[0].rssi, -58);
}

}  // namespace
}  // namespace blemon::bluez
