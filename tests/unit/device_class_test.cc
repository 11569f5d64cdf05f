// Golden tests of the device classes: one constructed advert per rule, each as a real device of
// that kind sends it (byte values from the sources cited in device_class.cc), and the vendor
// names generated from the vendored company identifier list.
#include "blemon/device_class.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "blemon/vendor.h"

namespace blemon {
namespace {

using ::testing::Optional;

AdvertPayload Manufacturer(std::uint16_t company, std::vector<std::uint8_t> prefix) {
  return AdvertPayload{.manufacturer_data = {{.company_id = company, .prefix = std::move(prefix)}},
                       .service_uuids = {},
                       .appearance = std::nullopt,
                       .monitor_beacon = std::nullopt};
}
AdvertPayload Services(std::vector<std::uint16_t> uuids) {
  return AdvertPayload{.manufacturer_data = {},
                       .service_uuids = std::move(uuids),
                       .appearance = std::nullopt,
                       .monitor_beacon = std::nullopt};
}
AdvertPayload Appearance(std::uint16_t appearance) {
  return AdvertPayload{.manufacturer_data = {},
                       .service_uuids = {},
                       .appearance = appearance,
                       .monitor_beacon = std::nullopt};
}

struct Golden {
  const char* what;
  AdvertPayload payload;
  std::optional<std::string_view> name;
  DeviceClass expected;
};

std::vector<Golden> Goldens() {
  return {
      // Beacons
      {"iBeacon",
       Manufacturer(0x004C, {0x02, 0x15, 0xE2, 0xC5, 0x6D, 0xB5, 0xDF, 0xFB}),
       {},
       DeviceClass::kBeacon},
      {"Eddystone-UID", Services({0xFEAA}), {}, DeviceClass::kBeacon},
      {"AltBeacon (Radius Networks' company)",
       Manufacturer(0x0118, {0xBE, 0xAC, 0x2F, 0x23}),
       {},
       DeviceClass::kBeacon},
      // Tracker tags
      {"AirTag separated from its owner",
       Manufacturer(0x004C, {0x12, 0x19, 0x10, 0xAB}),
       {},
       DeviceClass::kTracker},
      {"Tile", Services({0xFEED}), {}, DeviceClass::kTracker},
      {"Tile, newer", Services({0xFEEC}), {}, DeviceClass::kTracker},
      {"Samsung SmartTag", Services({0xFD5A}), {}, DeviceClass::kTracker},
      {"Chipolo", Services({0xFE33}), {}, DeviceClass::kTracker},
      {"a tag by its appearance", Appearance(0x0200), {}, DeviceClass::kTracker},
      // Earbuds and headphones
      {"AirPods (proximity pairing)",
       Manufacturer(0x004C, {0x07, 0x19, 0x01, 0x0E, 0x20}),
       {},
       DeviceClass::kEarbuds},
      {"Fast Pair headphones", Services({0xFE2C}), {}, DeviceClass::kEarbuds},
      {"earbud appearance", Appearance(0x0941), {}, DeviceClass::kEarbuds},
      {"hearing aid appearance", Appearance(0x0A41), {}, DeviceClass::kEarbuds},
      // Phones
      {"iPhone (nearby info)",
       Manufacturer(0x004C, {0x10, 0x05, 0x01, 0x18, 0x4C, 0x8F, 0x3A}),
       {},
       DeviceClass::kPhone},
      {"iPhone (handoff)", Manufacturer(0x004C, {0x0C, 0x0E, 0x00}), {}, DeviceClass::kPhone},
      {"Android phone (Microsoft CDP, type 8)",
       Manufacturer(0x0006, {0x01, 0x08, 0x20, 0x02}),
       {},
       DeviceClass::kPhone},
      {"phone appearance", Appearance(0x0040), {}, DeviceClass::kPhone},
      {"Exposure Notification", Services({0xFD6F}), {}, DeviceClass::kPhone},
      // Watches and bands
      {"Apple Watch (Magic Switch)", Manufacturer(0x004C, {0x0B, 0x05}), {}, DeviceClass::kWatch},
      {"sports watch appearance", Appearance(0x00C1), {}, DeviceClass::kWatch},
      {"heart rate belt", Services({0x180D}), {}, DeviceClass::kWatch},
      // Computers
      {"Windows laptop (Microsoft CDP, type 15)",
       Manufacturer(0x0006, {0x01, 0x0F, 0x20, 0x0A}),
       {},
       DeviceClass::kComputer},
      {"Windows desktop, version bits set",
       Manufacturer(0x0006, {0x01, 0x29, 0x20}),
       {},
       DeviceClass::kComputer},
      {"keyboard appearance", Appearance(0x03C1), {}, DeviceClass::kComputer},
      {"laptop appearance", Appearance(0x0083), {}, DeviceClass::kComputer},
      // TV and media
      {"Apple TV (AirPlay target)",
       Manufacturer(0x004C, {0x09, 0x06, 0x03}),
       {},
       DeviceClass::kMedia},
      {"television appearance", Appearance(0x0A01), {}, DeviceClass::kMedia},
      {"soundbar appearance", Appearance(0x0842), {}, DeviceClass::kMedia},
      {"Xbox (Microsoft CDP, type 1)", Manufacturer(0x0006, {0x01, 0x01}), {}, DeviceClass::kMedia},
      // Home appliances and sensors
      {"HomeKit accessory", Manufacturer(0x004C, {0x06, 0x31, 0x00}), {}, DeviceClass::kAppliance},
      {"thermometer appearance", Appearance(0x0300), {}, DeviceClass::kAppliance},
      {"Xiaomi sensor (MiBeacon)", Services({0xFE95}), {}, DeviceClass::kAppliance},
      {"weight scale appearance", Appearance(0x0C81), {}, DeviceClass::kAppliance},
      // Names, when the payload says nothing
      {"a named phone", {}, "Anna's iPhone", DeviceClass::kPhone},
      {"named headphones", {}, "WH-1000XM4 Headphones", DeviceClass::kEarbuds},
      {"a named TV", {}, "[TV] Samsung 7 Series", DeviceClass::kMedia},
      // Unknown
      {"nothing at all", {}, {}, DeviceClass::kUnknown},
      {"an unlisted Apple message", Manufacturer(0x004C, {0x16, 0x08}), {}, DeviceClass::kUnknown},
      {"Apple data without a type byte", Manufacturer(0x004C, {}), {}, DeviceClass::kUnknown},
      {"a vendor's private data", Manufacturer(0x0059, {0x01, 0x02}), {}, DeviceClass::kUnknown},
      {"the generic appearance", Appearance(0x0000), {}, DeviceClass::kUnknown},
      {"Microsoft data of another scenario",
       Manufacturer(0x0006, {0x03, 0x09}),
       {},
       DeviceClass::kUnknown},
      {"a name that tells nothing", {}, "XYZ-1234", DeviceClass::kUnknown},
  };
}

TEST(ADeviceClassifier, GivesEveryConstructedAdvertItsGoldenClass) {
  for (const Golden& g : Goldens()) {
    const Classification c = ClassifyPayload(g.payload, g.name);
    EXPECT_EQ(c.device_class, g.expected)
        << g.what << ": got " << ToString(c.device_class) << " (" << c.evidence << ")";
    EXPECT_EQ(c.evidence.empty(), g.expected == DeviceClass::kUnknown) << g.what;
  }
}

TEST(ADeviceClassifier, CoversEveryClassInItsGoldens) {
  std::set<DeviceClass> covered;
  for (const Golden& g : Goldens()) covered.insert(g.expected);
  for (const std::string_view name : {"unknown", "phone", "watch", "earbuds", "tracker", "beacon",
                                      "computer", "media", "appliance"}) {
    const auto device_class = DeviceClassFromString(name);
    ASSERT_TRUE(device_class.has_value()) << name;
    EXPECT_EQ(ToString(*device_class), name);
    EXPECT_TRUE(covered.count(*device_class)) << name << " has no golden advert";
  }
  EXPECT_EQ(DeviceClassFromString("toaster"), std::nullopt);
}

TEST(ADeviceClassifier, LetsExplicitFormatsWinOverHints) {
  // An iBeacon with a phone's appearance and name is a beacon; a Tile named like a phone is a
  // tracker; the appearance wins over an Apple continuity message; the payload over the name.
  AdvertPayload ibeacon = Manufacturer(0x004C, {0x02, 0x15});
  ibeacon.appearance = 0x0040;
  EXPECT_EQ(ClassifyPayload(ibeacon, "iPhone").device_class, DeviceClass::kBeacon);
  EXPECT_EQ(ClassifyPayload(Services({0x180F, 0xFEED}), "My phone").device_class,
            DeviceClass::kTracker);
  AdvertPayload watch = Manufacturer(0x004C, {0x10, 0x05});
  watch.appearance = 0x00C0;
  EXPECT_EQ(ClassifyPayload(watch).device_class, DeviceClass::kWatch);
  EXPECT_EQ(ClassifyPayload(Services({0xFE2C}), "Pixel 8").device_class, DeviceClass::kEarbuds);
}

Reading At(const char* mac, int rssi, AdvertPayload payload, std::vector<std::uint16_t> companies,
           std::optional<std::string> name = std::nullopt) {
  return Reading{.mac = *MacAddress::Parse(mac),
                 .address_class = AddressClass::kResolvablePrivate,
                 .rssi = rssi,
                 .advert_count = 1,
                 .name = std::move(name),
                 .tx_power = std::nullopt,
                 .company_ids = std::move(companies),
                 .payload = std::move(payload)};
}

TEST(ADeviceProfile, TakesTheClassAndVendorOfTheStrongestTellingReading) {
  const std::vector<Reading> readings = {
      // Two monitors heard the phone; the stronger one heard its nearby info.
      At("4A:00:00:00:00:01", -80, {}, {}),
      At("4A:00:00:00:00:01", -50, Manufacturer(0x004C, {0x10, 0x05}), {0x004C}),
      // A weaker reading with another class does not win.
      At("4A:00:00:00:00:01", -90, Services({0xFE2C}), {}),
      // A Windows laptop: class and vendor from its Microsoft beacon.
      At("4A:00:00:00:00:02", -60, Manufacturer(0x0006, {0x01, 0x09}), {0x0006}),
      // A device that tells nothing is left out.
      At("4A:00:00:00:00:03", -40, {}, {}),
      // A vendor without a class.
      At("4A:00:00:00:00:04", -70, Manufacturer(0x0059, {0x01}), {0x0059}),
  };
  const auto profiles = ProfileDevices(readings);
  ASSERT_EQ(profiles.size(), 3u);
  EXPECT_EQ(profiles[0].first.ToString(), "4A:00:00:00:00:01");
  EXPECT_EQ(profiles[0].second.device_class, DeviceClass::kPhone);
  EXPECT_THAT(profiles[0].second.vendor, Optional(std::string_view("Apple, Inc.")));
  EXPECT_EQ(profiles[1].second.device_class, DeviceClass::kComputer);
  EXPECT_THAT(profiles[1].second.vendor, Optional(std::string_view("Microsoft")));
  EXPECT_EQ(profiles[2].first.ToString(), "4A:00:00:00:00:04");
  EXPECT_EQ(profiles[2].second.device_class, DeviceClass::kUnknown);
  EXPECT_THAT(profiles[2].second.vendor, Optional(std::string_view("Nordic Semiconductor ASA")));
}

TEST(ADeviceProfile, NamesTheCompanyWhoseDataGaveTheClass) {
  AdvertPayload both = Manufacturer(0x0006, {});
  both.manufacturer_data.push_back({.company_id = 0x004C, .prefix = {0x02, 0x15}});
  const auto profiles = ProfileDevices({At("4A:00:00:00:00:05", -60, both, {0x0006, 0x004C})});
  ASSERT_EQ(profiles.size(), 1u);
  EXPECT_EQ(profiles[0].second.device_class, DeviceClass::kBeacon);
  EXPECT_THAT(profiles[0].second.vendor, Optional(std::string_view("Apple, Inc.")))
      << "not Microsoft, whose empty data came first";
}

TEST(AVendor, NamesWellKnownCompaniesFromTheGeneratedList) {
  EXPECT_THAT(CompanyName(0x004C), Optional(std::string_view("Apple, Inc.")));
  EXPECT_THAT(CompanyName(0x0006), Optional(std::string_view("Microsoft")));
  EXPECT_THAT(CompanyName(0x0075), Optional(std::string_view("Samsung Electronics Co. Ltd.")));
  EXPECT_THAT(CompanyName(0x00E0), Optional(std::string_view("Google")));
  EXPECT_THAT(CompanyName(0x0000), Optional(std::string_view("Ericsson AB")));
  EXPECT_EQ(CompanyName(0xFFFE), std::nullopt);
}

TEST(AVendor, KeepsEscapedAndNonAsciiNamesIntact) {
  EXPECT_THAT(CompanyName(896), Optional(std::string_view("LLC \"MEGA-F service\"")));
  EXPECT_THAT(CompanyName(549), Optional(std::string_view("Nestlé Nespresso S.A.")));
}

TEST(AVendor, IsTheFirstListedCompanyOfAReading) {
  EXPECT_THAT(VendorOf(At("4A:00:00:00:00:01", -50, Manufacturer(0xFFFE, {}), {0xFFFE, 0x004C})),
              Optional(std::string_view("Apple, Inc.")));
  EXPECT_EQ(VendorOf(At("4A:00:00:00:00:01", -50, {}, {})), std::nullopt);
}

}  // namespace
}  // namespace blemon
