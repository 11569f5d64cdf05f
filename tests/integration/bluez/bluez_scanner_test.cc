// The BlueZ scanner against a real dbus-daemon serving python-dbusmock's BlueZ (fixture
// `bluez_mock`). Each test resets the mock, shapes it, starts a scan on a second thread, and acts
// on the mock once discovery is on, i.e. inside the scan window.

#include "blemon/bluez/bluez_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/reading.h"
#include "bluez_mock_client.h"
#include "scanner_options.h"

namespace blemon::bluez {
namespace {

using testing::BluezMock;
using testing::DevicePath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using testing::PropertyMap;

constexpr char kHci0[] = "hci0";

const Reading* Find(const ScanResult& result, const std::string& address) {
  for (const auto& reading : result.readings) {
    if (reading.mac.ToString() == address) return &reading;
  }
  return nullptr;
}

// A scan running on its own thread, so the test can play BlueZ meanwhile.
class BackgroundScan {
 public:
  BackgroundScan(Scanner& scanner, Seconds window)
      : result_(std::async(std::launch::async, [&scanner, window, token = stop_.get_token()] {
          return scanner.Scan(window, token);
        })) {}
  ~BackgroundScan() {
    stop_.request_stop();
    if (result_.valid()) result_.wait();
  }
  void RequestStop() { stop_.request_stop(); }
  ScanResult Get() { return result_.get(); }

 private:
  std::stop_source stop_;
  std::future<ScanResult> result_;
};

class ABluezScanner : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BluezMock::Configured())
        << "DBUS_SYSTEM_BUS_ADDRESS is not set: run through ctest (fixture bluez_mock)";
    mock_.Reset();
  }

  BluezMock mock_;
};

TEST_F(ABluezScanner, ReportsDevicesHeardInTheWindowWithStrongestRssiAndAdvertCount) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));

  // Stock AddDevice: InterfacesAdded with RSSI -79, and ManufacturerData of the wrong type.
  const auto phone = mock_.AddDevice(kHci0, "00:11:22:33:44:55", "Phone");
  mock_.Advertise(phone, -60);
  mock_.Advertise(phone, -70);
  // A random static address with manufacturer data, as a tag would advertise.
  mock_.AddDeviceWithProperties(
      kHci0, "C1:22:33:44:55:66",
      {{"AddressType", sdbus::Variant(std::string("random"))},
       {"Name", sdbus::Variant(std::string("Tag"))},
       {"RSSI", sdbus::Variant(std::int16_t{-50})},
       {"TxPower", sdbus::Variant(std::int16_t{-8})},
       {"ManufacturerData", sdbus::Variant(std::map<std::uint16_t, sdbus::Variant>{
                                {0x0059, sdbus::Variant(std::vector<std::uint8_t>{1, 2})},
                                {0x004C, sdbus::Variant(std::vector<std::uint8_t>{3})}})}},
      /*announce=*/true);
  // No Name, and BlueZ's stand-in Alias (the address): no name to report.
  mock_.AddDeviceWithProperties(kHci0, "4A:00:00:00:00:01",
                                {{"AddressType", sdbus::Variant(std::string("random"))},
                                 {"Alias", sdbus::Variant(std::string("4A-00-00-00-00-01"))},
                                 {"RSSI", sdbus::Variant(std::int16_t{-90})}},
                                /*announce=*/true);

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 3u);

  const Reading* phone_reading = Find(result, "00:11:22:33:44:55");
  ASSERT_NE(phone_reading, nullptr);
  EXPECT_EQ(phone_reading->rssi, -60);
  EXPECT_EQ(phone_reading->advert_count, 3);
  EXPECT_EQ(phone_reading->address_class, AddressClass::kPublic);
  EXPECT_THAT(phone_reading->name, Optional(std::string("Phone")));
  EXPECT_THAT(phone_reading->company_ids, IsEmpty());

  const Reading* tag = Find(result, "C1:22:33:44:55:66");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(tag->rssi, -50);
  EXPECT_EQ(tag->advert_count, 1);
  EXPECT_EQ(tag->address_class, AddressClass::kRandomStatic);
  EXPECT_THAT(tag->name, Optional(std::string("Tag")));
  EXPECT_THAT(tag->tx_power, Optional(-8));
  EXPECT_EQ(tag->company_ids, (std::vector<std::uint16_t>{0x004C, 0x0059}));

  const Reading* anonymous = Find(result, "4A:00:00:00:00:01");
  ASSERT_NE(anonymous, nullptr);
  EXPECT_EQ(anonymous->address_class, AddressClass::kResolvablePrivate);
  EXPECT_EQ(anonymous->name, std::nullopt);

  EXPECT_EQ(result.stats.adverts, 5);
}

TEST_F(ABluezScanner, ReportsTheAdvertPayloadOfADevice) {
  using Bytes = std::vector<std::uint8_t>;
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  // Earbuds as BlueZ shows them: Apple proximity pairing data (longer than the kept 8 bytes),
  // a Fast Pair service and a vendor 128-bit UUID, service data, and the earbud appearance.
  const auto earbuds = mock_.AddDeviceWithProperties(
      kHci0, "5E:00:00:00:00:07",
      {{"AddressType", sdbus::Variant(std::string("random"))},
       {"RSSI", sdbus::Variant(std::int16_t{-58})},
       {"ManufacturerData", sdbus::Variant(std::map<std::uint16_t, sdbus::Variant>{
                                {0x004C, sdbus::Variant(Bytes{0x07, 0x19, 0x01, 0x0E, 0x20, 0x2B,
                                                              0x99, 0x8F, 0x11})}})},
       {"ServiceUUIDs",
        sdbus::Variant(std::vector<std::string>{"0000fe2c-0000-1000-8000-00805f9b34fb",
                                                "9fa480e0-4967-4542-9390-d343dc5d04ae"})},
       {"ServiceData", sdbus::Variant(std::map<std::string, sdbus::Variant>{
                           {"0000180f-0000-1000-8000-00805f9b34fb", sdbus::Variant(Bytes{90})}})},
       {"Appearance", sdbus::Variant(std::uint16_t{0x0941})}},
      /*announce=*/true);
  // A later advert with other manufacturer data, as PropertiesChanged.
  mock_.EmitDeviceChange(
      earbuds, {{"RSSI", sdbus::Variant(std::int16_t{-62})},
                {"ManufacturerData", sdbus::Variant(std::map<std::uint16_t, sdbus::Variant>{
                                         {0x004C, sdbus::Variant(Bytes{0x07, 0x19, 0x02})},
                                         {0x0006, sdbus::Variant(Bytes{0x01})}})}});

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  const Reading* reading = Find(result, "5E:00:00:00:00:07");
  ASSERT_NE(reading, nullptr);
  EXPECT_EQ(reading->advert_count, 2);
  EXPECT_EQ(reading->company_ids, (std::vector<std::uint16_t>{0x0006, 0x004C}));
  const AdvertPayload expected{
      .manufacturer_data = {{.company_id = 0x0006, .prefix = {0x01}},
                            {.company_id = 0x004C, .prefix = {0x07, 0x19, 0x02}}},
      .service_uuids = {0x180F, 0xFE2C},
      .appearance = 0x0941,
      .monitor_beacon = std::nullopt};
  EXPECT_EQ(reading->payload, expected);
}

TEST_F(ABluezScanner, IgnoresCachedDevicesWithoutAdvertsInTheWindow) {
  mock_.AddAdapter(kHci0);
  mock_.AddDevice(kHci0, "00:00:00:00:00:0C", "Cached and silent");
  const auto heard =
      mock_.AddDeviceWithProperties(kHci0, "DA:00:00:00:00:0D",
                                    {{"AddressType", sdbus::Variant(std::string("random"))},
                                     {"Name", sdbus::Variant(std::string("Cached, then heard"))},
                                     {"RSSI", sdbus::Variant(std::int16_t{-40})}},
                                    /*announce=*/false);
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.Advertise(heard, -55);

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  const Reading& reading = result.readings.front();
  EXPECT_EQ(reading.mac.ToString(), "DA:00:00:00:00:0D");
  // The RSSI of the advert, not the cached -40; address type and name from the cache.
  EXPECT_EQ(reading.rssi, -55);
  EXPECT_EQ(reading.advert_count, 1);
  EXPECT_EQ(reading.address_class, AddressClass::kRandomStatic);
  EXPECT_THAT(reading.name, Optional(std::string("Cached, then heard")));
}

TEST_F(ABluezScanner, DropsAndCountsAdvertsWithUnknownRssi127) {
  mock_.AddAdapter(kHci0);
  const auto only_unknown = mock_.AddDevice(kHci0, "00:00:00:00:01:27", "Unknown RSSI");
  const auto mixed = mock_.AddDevice(kHci0, "00:00:00:00:00:66", "Sometimes unknown");
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.Advertise(only_unknown, 127);
  mock_.Advertise(mixed, 127);
  mock_.Advertise(mixed, -66);

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings.front().mac.ToString(), "00:00:00:00:00:66");
  EXPECT_EQ(result.readings.front().rssi, -66);
  EXPECT_EQ(result.readings.front().advert_count, 1);
  EXPECT_EQ(result.stats.dropped_unknown_rssi, 2);
}

TEST_F(ABluezScanner, KeepsTheReadingOfADeviceRemovedMidScan) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  const auto device = mock_.AddDevice(kHci0, "00:00:00:00:00:0E", "Leaving");
  mock_.Advertise(device, -61);
  mock_.RemoveDevice(kHci0, device);

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings.front().mac.ToString(), "00:00:00:00:00:0E");
  EXPECT_EQ(result.readings.front().rssi, -61);
  EXPECT_EQ(result.readings.front().advert_count, 2);
}

TEST_F(ABluezScanner, SurvivesPropertiesOfTheWrongType) {
  mock_.AddAdapter(kHci0);
  const auto device = mock_.AddDevice(kHci0, "00:00:00:00:00:BA", "Odd");
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.UpdateDevice(device, {{"RSSI", sdbus::Variant(std::string("loud"))},
                              {"Name", sdbus::Variant(std::int32_t{7})},
                              {"ManufacturerData", sdbus::Variant(std::string("none"))}});
  mock_.UpdateDevice(device, {{"RSSI", sdbus::Variant(std::int16_t{-71})},
                              {"TxPower", sdbus::Variant(std::string("high"))}});

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings.front().rssi, -71);
  EXPECT_EQ(result.readings.front().advert_count, 1);
  EXPECT_THAT(result.readings.front().name, Optional(std::string("Odd")));
  EXPECT_EQ(result.stats.dropped_no_rssi, 1);
}

TEST_F(ABluezScanner, ReportsThatThereIsNoAdapter) {
  auto scanner = MakeScanner("");
  const ScanResult result = scanner->Scan(Seconds(0), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("no Bluetooth adapter found"));
  EXPECT_THAT(result.readings, IsEmpty());
}

TEST_F(ABluezScanner, NamesTheAdaptersThereAreWhenTheConfiguredOneIsMissing) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner("hci1");
  const ScanResult result = scanner->Scan(Seconds(0), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("adapter hci1 not found"));
  EXPECT_THAT(*result.error, HasSubstr("BlueZ has: hci0"));
}

TEST_F(ABluezScanner, ScansWithTheConfiguredAdapterOnly) {
  mock_.AddAdapter(kHci0);
  mock_.AddAdapter("hci1");
  auto scanner = MakeScanner("hci1");
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering("hci1"));
  EXPECT_FALSE(mock_.Discovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:01", "Heard by hci0");
  mock_.AddDevice("hci1", "00:00:00:00:00:02", "Heard by hci1");

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings.front().mac.ToString(), "00:00:00:00:00:02");
}

TEST_F(ABluezScanner, SaysHowToPowerOnAPoweredOffAdapter) {
  mock_.AddAdapter(kHci0);
  mock_.SetAdapterProperty(kHci0, "Powered", sdbus::Variant(false));
  auto scanner = MakeScanner(kHci0);
  const ScanResult result = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("hci0 is powered off"));
  EXPECT_THAT(*result.error, HasSubstr("rfkill unblock bluetooth"));
  EXPECT_THAT(*result.error, HasSubstr("bluetoothctl power on"));
  EXPECT_FALSE(mock_.Discovering(kHci0));
}

TEST_F(ABluezScanner, NamesTheBluetoothGroupWhenAccessIsDenied) {
  mock_.AddAdapter(kHci0);
  mock_.FailAdapterMethod(kHci0, "SetDiscoveryFilter", "a{sv}",
                          "org.freedesktop.DBus.Error.AccessDenied");
  auto scanner = MakeScanner(kHci0);
  const ScanResult result = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("access denied"));
  EXPECT_THAT(*result.error, HasSubstr("group 'bluetooth'"));
  EXPECT_THAT(*result.error, HasSubstr("usermod -aG bluetooth"));
}

TEST_F(ABluezScanner, ExplainsNotReadyAndFailedFromStartDiscovery) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);

  mock_.FailAdapterMethod(kHci0, "StartDiscovery", "", "org.bluez.Error.NotReady");
  ScanResult result = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("StartDiscovery on hci0"));
  EXPECT_THAT(*result.error, HasSubstr("not ready"));

  mock_.FailAdapterMethod(kHci0, "StartDiscovery", "", "org.bluez.Error.Failed");
  result = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("BlueZ reported a failure"));
  EXPECT_THAT(*result.error, HasSubstr("journalctl -u bluetooth"));
}

TEST_F(ABluezScanner, KeepsListeningWhenStartDiscoveryIsAlreadyInProgress) {
  mock_.AddAdapter(kHci0);
  mock_.FailAdapterMethod(kHci0, "StartDiscovery", "", "org.bluez.Error.InProgress",
                          /*then_discovering=*/true);
  auto scanner = MakeScanner(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:1F", "Heard anyway");

  const ScanResult result = scan.Get();
  EXPECT_EQ(result.error, std::nullopt);
  ASSERT_EQ(result.readings.size(), 1u);
}

TEST_F(ABluezScanner, FailsWhenStartDiscoveryIsInProgressAndNothingDiscovers) {
  // BlueZ answered InProgress and discovery never started: the window would pass in silence.
  mock_.AddAdapter(kHci0);
  mock_.FailAdapterMethod(kHci0, "StartDiscovery", "", "org.bluez.Error.InProgress");
  auto scanner = MakeScanner(kHci0);
  const ScanResult result = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(result.error.has_value()) << "a scan that never listened reported no error";
  EXPECT_THAT(*result.error, HasSubstr("StartDiscovery on hci0"));
  EXPECT_THAT(*result.error, HasSubstr("in progress"));
}

TEST_F(ABluezScanner, EndsEarlyWithItsReadingsWhenTheAdapterVanishes) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  const auto started = std::chrono::steady_clock::now();
  BackgroundScan scan(*scanner, Seconds(10));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  const auto device = mock_.AddDevice(kHci0, "00:00:00:00:00:2A", "Before the unplug");
  mock_.Advertise(device, -45);
  mock_.RemoveAdapter(kHci0);

  const ScanResult result = scan.Get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("adapter hci0 disappeared"));
  ASSERT_EQ(result.readings.size(), 1u);
  EXPECT_EQ(result.readings.front().rssi, -45);
}

TEST_F(ABluezScanner, EndsEarlyWhenTheAdapterIsPoweredOffMidScan) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  const auto started = std::chrono::steady_clock::now();
  BackgroundScan scan(*scanner, Seconds(10));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:2B", "Before the power cut");
  mock_.SetAdapterProperty(kHci0, "Powered", sdbus::Variant(false));

  const ScanResult result = scan.Get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("powered off"));
  EXPECT_EQ(result.readings.size(), 1u);
}

TEST_F(ABluezScanner, ReturnsAnErrorWhenBluetoothdDiesMidScanAndRecoversOnceItIsBack) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  {
    BackgroundScan scan(*scanner, Seconds(10));
    ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
    const auto device = mock_.AddDevice(kHci0, "00:00:00:00:00:3A", "Heard before the crash");
    mock_.Advertise(device, -52);
    ASSERT_TRUE(BluezMock::KillMock());

    const ScanResult result = scan.Get();
    ASSERT_TRUE(result.error.has_value());
    EXPECT_THAT(*result.error, HasSubstr("bluetoothd left the system bus"));
    ASSERT_EQ(result.readings.size(), 1u);
    EXPECT_EQ(result.readings.front().rssi, -52);
  }

  // While it is down, scans say so and return at once.
  const ScanResult while_down = scanner->Scan(Seconds(1), {});
  ASSERT_TRUE(while_down.error.has_value());
  EXPECT_THAT(*while_down.error, HasSubstr("BlueZ is not running"));
  EXPECT_THAT(*while_down.error, HasSubstr("systemctl start bluetooth"));

  // bluetoothd is back (a new owner of org.bluez): the same scanner works again.
  ASSERT_TRUE(mock_.StartMock());
  mock_.AddAdapter(kHci0);
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:3B", "Heard after the restart");
  const ScanResult after = scan.Get();
  EXPECT_EQ(after.error, std::nullopt);
  ASSERT_EQ(after.readings.size(), 1u);
  EXPECT_EQ(after.readings.front().mac.ToString(), "00:00:00:00:00:3B");
}

TEST_F(ABluezScanner, ReturnsAnErrorWhenTheSystemBusGoesAwayMidScan) {
  // A bus of its own: the shared one must outlive this test.
  const std::string dir = testing::Env("BLEMON_TEST_BLUEZ_DIR") + "-lost-bus";
  const std::string peer = testing::Env("BLEMON_TEST_BLUEZ_PEER");
  ASSERT_EQ(std::system((peer + " start " + dir + " >/dev/null").c_str()), 0);
  const std::string shared_bus = testing::Env("DBUS_SYSTEM_BUS_ADDRESS");
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir + "/bus").c_str(), 1);
  std::optional<ScanResult> result;
  {
    BluezMock own;
    own.AddAdapter(kHci0);
    auto scanner = MakeScanner(kHci0);
    BackgroundScan scan(*scanner, Seconds(10));
    if (own.WaitForDiscovering(kHci0)) {
      own.AddDevice(kHci0, "00:00:00:00:00:6A", "Heard before the bus died");
      own.Advertise(DevicePath(kHci0, "00:00:00:00:00:6A"), -48);
      EXPECT_EQ(std::system((peer + " kill-bus " + dir).c_str()), 0);
      result = scan.Get();
    }
  }
  EXPECT_EQ(std::system((peer + " stop " + dir).c_str()), 0);
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", shared_bus.c_str(), 1);

  ASSERT_TRUE(result.has_value()) << "the scan never started discovery";
  ASSERT_TRUE(result->error.has_value());
  EXPECT_THAT(*result->error, HasSubstr("lost the connection to the D-Bus system bus"));
  ASSERT_EQ(result->readings.size(), 1u);
  EXPECT_EQ(result->readings.front().rssi, -48);
}

TEST_F(ABluezScanner, SaysWhenThereIsNoSystemBus) {
  const std::string bus = testing::Env("DBUS_SYSTEM_BUS_ADDRESS");
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/blemon-test-bus", 1);
  auto scanner = MakeScanner(kHci0);
  const ScanResult result = scanner->Scan(Seconds(1), {});
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.c_str(), 1);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("D-Bus system bus"));
  EXPECT_THAT(*result.error, HasSubstr("/nonexistent/blemon-test-bus"));
}

TEST_F(ABluezScanner, GivesUpOnAStuckBluetoothdAfterTheCallTimeout) {
  mock_.AddAdapter(kHci0);
  mock_.ReplaceAdapterMethod(kHci0, "StartDiscovery", "", "import time\ntime.sleep(2.5)");
  internal::ScannerOptions options;
  options.adapter = kHci0;
  options.call_timeout = std::chrono::milliseconds(800);
  auto scanner = internal::MakeScanner(options);

  const auto started = std::chrono::steady_clock::now();
  const ScanResult result = scanner->Scan(Seconds(1), {});
  // The 0.8 s budget, not the 2.5 s hang.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2000));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_THAT(*result.error, HasSubstr("StartDiscovery on hci0: BlueZ did not answer in time"));
}

TEST_F(ABluezScanner, KeepsItsReadingsWhenStopDiscoveryHangs) {
  mock_.AddAdapter(kHci0);
  mock_.ReplaceAdapterMethod(kHci0, "StopDiscovery", "", "import time\ntime.sleep(2.5)");
  internal::ScannerOptions options;
  options.adapter = kHci0;
  options.call_timeout = std::chrono::milliseconds(800);
  auto scanner = internal::MakeScanner(options);

  const auto started = std::chrono::steady_clock::now();
  BackgroundScan scan(*scanner, Seconds(1));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:5A", "Heard before the hang");
  const ScanResult result = scan.Get();
  // The 1 s window plus at most one 0.8 s call timeout for StopDiscovery, not the 2.5 s hang.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3000));
  EXPECT_EQ(result.error, std::nullopt);
  EXPECT_EQ(result.readings.size(), 1u);
}

TEST_F(ABluezScanner, ReturnsAtOnceWithWhatItHasWhenStopped) {
  mock_.AddAdapter(kHci0);
  auto scanner = MakeScanner(kHci0);
  const auto started = std::chrono::steady_clock::now();
  BackgroundScan scan(*scanner, Seconds(30));
  ASSERT_TRUE(mock_.WaitForDiscovering(kHci0));
  mock_.AddDevice(kHci0, "00:00:00:00:00:4A", "Heard before the stop");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  scan.RequestStop();

  const ScanResult result = scan.Get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(result.error, std::nullopt);
  EXPECT_EQ(result.readings.size(), 1u);
  EXPECT_FALSE(mock_.Discovering(kHci0));  // it still stopped discovery on its way out
}

}  // namespace
}  // namespace blemon::bluez
