#include "blemon/device_class.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string>
#include <utility>

#include "blemon/vendor.h"

namespace blemon {
namespace {

using C = DeviceClass;

constexpr std::array<std::pair<DeviceClass, std::string_view>, 9> kNames = {{
    {C::kUnknown, "unknown"},
    {C::kPhone, "phone"},
    {C::kWatch, "watch"},
    {C::kEarbuds, "earbuds"},
    {C::kTracker, "tracker"},
    {C::kBeacon, "beacon"},
    {C::kComputer, "computer"},
    {C::kMedia, "media"},
    {C::kAppliance, "appliance"},
}};

// Company identifiers (Bluetooth SIG Assigned Numbers, section 7).
constexpr std::uint16_t kApple = 0x004C;
constexpr std::uint16_t kMicrosoft = 0x0006;

// A classification on `evidence`, from `company`'s manufacturer data when given.
Classification Is(DeviceClass device_class, std::string_view evidence,
                  std::optional<std::uint16_t> company = std::nullopt) {
  return Classification{.device_class = device_class, .evidence = evidence, .company_id = company};
}

const ManufacturerPrefix* FindCompany(const AdvertPayload& payload, std::uint16_t company) {
  for (const ManufacturerPrefix& m : payload.manufacturer_data) {
    if (m.company_id == company) return &m;
  }
  return nullptr;
}

bool HasService(const AdvertPayload& payload, std::uint16_t uuid) {
  return std::find(payload.service_uuids.begin(), payload.service_uuids.end(), uuid) !=
         payload.service_uuids.end();
}

// Beacon formats, whoever makes the hardware.
//  * iBeacon: Apple manufacturer data starting 0x02 0x15 (type, length 21) — Apple, "Getting
//    Started with iBeacon" (2014), and the Proximity Beacon specification.
//  * Eddystone: service data for UUID 0xFEAA (Google) — github.com/google/eddystone, protocol
//    specification. (Its FMDN frame, 0x40/0x41, is a Find My Device tracker, rare enough here.)
//  * AltBeacon: manufacturer data of any company starting with the beacon code 0xBE 0xAC —
//    AltBeacon specification, altbeacon.org (github.com/AltBeacon/spec).
std::optional<Classification> Beacon(const AdvertPayload& payload) {
  const ManufacturerPrefix* apple = FindCompany(payload, kApple);
  if (apple && apple->prefix.size() >= 2 && apple->prefix[0] == 0x02 && apple->prefix[1] == 0x15) {
    return Is(C::kBeacon, "iBeacon", kApple);
  }
  if (HasService(payload, 0xFEAA)) return Is(C::kBeacon, "Eddystone (service 0xFEAA)");
  for (const ManufacturerPrefix& m : payload.manufacturer_data) {
    if (m.prefix.size() >= 2 && m.prefix[0] == 0xBE && m.prefix[1] == 0xAC) {
      return Is(C::kBeacon, "AltBeacon (beacon code 0xBEAC)", m.company_id);
    }
  }
  return std::nullopt;
}

// Tracker tags by their service UUIDs (Bluetooth SIG member UUIDs, Assigned Numbers 3.11):
// 0xFEED and 0xFEEC Tile, Inc.; 0xFD5A Samsung (SmartTag); 0xFE33 CHIPOLO d.o.o. And Apple's
// Find My message, continuity type 0x12 ("offline finding"), which AirTags and Find My
// accessories send when away from their owner (Heinrich et al., "Who Can Find My Devices?",
// PETS 2021).
std::optional<Classification> Tracker(const AdvertPayload& payload) {
  if (HasService(payload, 0xFEED) || HasService(payload, 0xFEEC)) {
    return Is(C::kTracker, "Tile (service 0xFEED/0xFEEC)");
  }
  if (HasService(payload, 0xFD5A)) return Is(C::kTracker, "Samsung SmartTag (0xFD5A)");
  if (HasService(payload, 0xFE33)) return Is(C::kTracker, "Chipolo (service 0xFE33)");
  const ManufacturerPrefix* apple = FindCompany(payload, kApple);
  if (apple && !apple->prefix.empty() && apple->prefix[0] == 0x12) {
    return Is(C::kTracker, "Apple Find My (continuity 0x12)", kApple);
  }
  return std::nullopt;
}

// GAP Appearance: the category is the value's top 10 bits (Bluetooth SIG Assigned Numbers,
// section 2.6, "Appearance Values"). Categories not listed say too little (generic, vehicle,
// aircraft, barcode scanner, eye glasses, ...).
std::optional<Classification> FromAppearance(std::uint16_t appearance) {
  struct Category {
    std::uint16_t category;
    DeviceClass device_class;
    std::string_view evidence;
  };
  static constexpr Category kCategories[] = {
      {0x001, C::kPhone, "appearance: phone (0x0040)"},
      {0x002, C::kComputer, "appearance: computer (0x0080)"},
      {0x003, C::kWatch, "appearance: watch (0x00C0)"},
      {0x004, C::kAppliance, "appearance: clock (0x0100)"},
      {0x005, C::kMedia, "appearance: display (0x0140)"},
      {0x006, C::kMedia, "appearance: remote control (0x0180)"},
      {0x008, C::kTracker, "appearance: tag (0x0200)"},
      {0x009, C::kTracker, "appearance: keyring (0x0240)"},
      {0x00A, C::kMedia, "appearance: media player (0x0280)"},
      {0x00C, C::kAppliance, "appearance: thermometer (0x0300)"},
      {0x00D, C::kWatch, "appearance: heart rate sensor (0x0340)"},
      {0x00E, C::kAppliance, "appearance: blood pressure (0x0380)"},
      {0x00F, C::kComputer, "appearance: human interface device (0x03C0)"},
      {0x010, C::kAppliance, "appearance: glucose meter (0x0400)"},
      {0x011, C::kWatch, "appearance: running walking sensor (0x0440)"},
      {0x012, C::kAppliance, "appearance: cycling (0x0480)"},
      {0x013, C::kAppliance, "appearance: control device (0x04C0)"},
      {0x014, C::kAppliance, "appearance: network device (0x0500)"},
      {0x015, C::kAppliance, "appearance: sensor (0x0540)"},
      {0x016, C::kAppliance, "appearance: light fixtures (0x0580)"},
      {0x017, C::kAppliance, "appearance: fan (0x05C0)"},
      {0x018, C::kAppliance, "appearance: HVAC (0x0600)"},
      {0x019, C::kAppliance, "appearance: air conditioning (0x0640)"},
      {0x01A, C::kAppliance, "appearance: humidifier (0x0680)"},
      {0x01B, C::kAppliance, "appearance: heating (0x06C0)"},
      {0x01C, C::kAppliance, "appearance: access control (0x0700)"},
      {0x01D, C::kAppliance, "appearance: motorized device (0x0740)"},
      {0x01E, C::kAppliance, "appearance: power device (0x0780)"},
      {0x01F, C::kAppliance, "appearance: light source (0x07C0)"},
      {0x020, C::kAppliance, "appearance: window covering (0x0800)"},
      {0x021, C::kMedia, "appearance: audio sink (0x0840)"},
      {0x022, C::kMedia, "appearance: audio source (0x0880)"},
      {0x024, C::kAppliance, "appearance: domestic appliance (0x0900)"},
      {0x025, C::kEarbuds, "appearance: wearable audio device (0x0940)"},
      {0x027, C::kMedia, "appearance: AV equipment (0x09C0)"},
      {0x028, C::kMedia, "appearance: display equipment (0x0A00)"},
      {0x029, C::kEarbuds, "appearance: hearing aid (0x0A40)"},
      {0x02A, C::kMedia, "appearance: gaming (0x0A80)"},
      {0x02B, C::kMedia, "appearance: signage (0x0AC0)"},
      {0x031, C::kAppliance, "appearance: pulse oximeter (0x0C40)"},
      {0x032, C::kAppliance, "appearance: weight scale (0x0C80)"},
      {0x034, C::kAppliance, "appearance: continuous glucose monitor (0x0D00)"},
      {0x051, C::kWatch, "appearance: outdoor sports activity (0x1440)"},
  };
  const auto category = static_cast<std::uint16_t>(appearance >> 6);
  for (const Category& c : kCategories) {
    if (c.category == category) return Is(c.device_class, c.evidence);
  }
  return std::nullopt;
}

// Apple continuity messages: manufacturer data of company 0x004C whose first byte is the message
// type (Martin et al., "Handoff All Your Privacy", PETS 2019; Celosia and Cunche, "Discontinued
// Privacy", PETS 2020; github.com/furiousMAC/continuity). iBeacon (0x02) and Find My (0x12) are
// handled above. Nearby info and handoff come from iPhones, iPads and Macs alike: counted as
// phones, the commonest sender.
std::optional<Classification> AppleContinuityType(std::uint8_t type) {
  switch (type) {
    case 0x07:
      return Is(C::kEarbuds, "Apple continuity: proximity pairing (AirPods, Beats)");
    case 0x09:
      return Is(C::kMedia, "Apple continuity: AirPlay target (Apple TV, HomePod)");
    case 0x06:
      return Is(C::kAppliance, "Apple continuity: HomeKit accessory");
    case 0x0B:
      return Is(C::kWatch, "Apple continuity: Magic Switch (Apple Watch)");
    case 0x05:
    case 0x0A:
    case 0x0C:
    case 0x0E:
    case 0x0F:
    case 0x10:
      return Is(C::kPhone,
                "Apple continuity: AirDrop, AirPlay source, handoff, hotspot, nearby "
                "action or nearby info (iPhone, iPad, Mac)");
    default:
      return std::nullopt;
  }
}

std::optional<Classification> AppleContinuity(const AdvertPayload& payload) {
  const ManufacturerPrefix* apple = FindCompany(payload, kApple);
  if (!apple || apple->prefix.empty()) return std::nullopt;
  auto classification = AppleContinuityType(apple->prefix[0]);
  if (classification) classification->company_id = kApple;
  return classification;
}

// Microsoft's Connected Devices Platform beacon: company 0x0006, scenario type 0x01, then a byte
// whose low 5 bits are the device type ([MS-CDP] 2.2.2.2.2 "Bluetooth Advertising Beacon").
std::optional<Classification> MicrosoftDeviceType(std::uint8_t type) {
  switch (type) {
    case 1:  // Xbox One
      return Is(C::kMedia, "Microsoft CDP: Xbox");
    case 6:   // iPhone
    case 8:   // Android device
    case 11:  // Windows 10 Phone
      return Is(C::kPhone, "Microsoft CDP: phone");
    case 7:   // iPad
    case 9:   // Windows 10 desktop
    case 12:  // Linux device
    case 14:  // Surface Hub
    case 15:  // Windows laptop
    case 16:  // Windows tablet
      return Is(C::kComputer, "Microsoft CDP: Windows or other computer");
    case 13:  // Windows IoT
      return Is(C::kAppliance, "Microsoft CDP: Windows IoT");
    default:
      return std::nullopt;
  }
}

std::optional<Classification> MicrosoftCdp(const AdvertPayload& payload) {
  const ManufacturerPrefix* microsoft = FindCompany(payload, kMicrosoft);
  if (!microsoft || microsoft->prefix.size() < 2 || microsoft->prefix[0] != 0x01) {
    return std::nullopt;
  }
  auto classification = MicrosoftDeviceType(microsoft->prefix[1] & 0x1F);
  if (classification) classification->company_id = kMicrosoft;
  return classification;
}

// Service UUIDs that tell the kind (Bluetooth SIG Assigned Numbers 3.4 GATT services and 3.11
// member UUIDs): Google Fast Pair 0xFE2C (audio accessories, developers.google.com/nearby/
// fast-pair); Exposure Notification 0xFD6F (phones, Apple/Google specification); Heart Rate
// 0x180D; Health Thermometer 0x1809; Environmental Sensing 0x181A; Xiaomi 0xFE95 (MiBeacon home
// sensors); Sonos 0xFE07; Amazon 0xFE03 (Echo).
std::optional<Classification> FromServices(const AdvertPayload& payload) {
  struct Service {
    std::uint16_t uuid;
    DeviceClass device_class;
    std::string_view evidence;
  };
  static constexpr Service kServices[] = {
      {0xFE2C, C::kEarbuds, "Google Fast Pair (service 0xFE2C)"},
      {0xFD6F, C::kPhone, "Exposure Notification (service 0xFD6F)"},
      {0x180D, C::kWatch, "Heart Rate service (0x180D)"},
      {0x1809, C::kAppliance, "Health Thermometer service (0x1809)"},
      {0x181A, C::kAppliance, "Environmental Sensing service (0x181A)"},
      {0xFE95, C::kAppliance, "Xiaomi MiBeacon (service 0xFE95)"},
      {0xFE07, C::kMedia, "Sonos (service 0xFE07)"},
      {0xFE03, C::kMedia, "Amazon (service 0xFE03)"},
  };
  for (const Service& s : kServices) {
    if (HasService(payload, s.uuid)) return Is(s.device_class, s.evidence);
  }
  return std::nullopt;
}

bool ContainsWord(std::string_view haystack, std::string_view needle) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

// Names users and makers give devices: the weakest hint, used only when the payload says nothing.
std::optional<Classification> FromName(std::string_view name) {
  struct Hint {
    std::string_view word;
    DeviceClass device_class;
  };
  static constexpr Hint kHints[] = {
      {"airpods", C::kEarbuds},   {"buds", C::kEarbuds},    {"headphone", C::kEarbuds},
      {"headset", C::kEarbuds},   {"beats", C::kEarbuds},   {"iphone", C::kPhone},
      {"galaxy s", C::kPhone},    {"pixel", C::kPhone},     {"phone", C::kPhone},
      {"watch", C::kWatch},       {"band", C::kWatch},      {"fitbit", C::kWatch},
      {"macbook", C::kComputer},  {"laptop", C::kComputer}, {"desktop", C::kComputer},
      {"keyboard", C::kComputer}, {"mouse", C::kComputer},  {"[tv]", C::kMedia},
      {" tv", C::kMedia},         {"tile", C::kTracker},    {"tag", C::kTracker},
  };
  for (const Hint& hint : kHints) {
    if (ContainsWord(name, hint.word)) return Is(hint.device_class, "name");
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(DeviceClass device_class) {
  for (const auto& [value, name] : kNames) {
    if (value == device_class) return name;
  }
  return "unknown";
}

std::optional<DeviceClass> DeviceClassFromString(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

Classification ClassifyPayload(const AdvertPayload& payload, std::optional<std::string_view> name) {
  if (auto c = Beacon(payload)) return *c;
  if (auto c = Tracker(payload)) return *c;
  if (payload.appearance) {
    if (auto c = FromAppearance(*payload.appearance)) return *c;
  }
  if (auto c = AppleContinuity(payload)) return *c;
  if (auto c = MicrosoftCdp(payload)) return *c;
  if (auto c = FromServices(payload)) return *c;
  if (name) {
    if (auto c = FromName(*name)) return *c;
  }
  return {};
}

Reading ProfileReading(const MacAddress& mac, int rssi, std::optional<std::string> name,
                       const PayloadColumns& columns) {
  Reading reading{.mac = mac,
                  .address_class = AddressClass::kPublic,
                  .rssi = rssi,
                  .advert_count = 0,
                  .name = std::move(name),
                  .tx_power = std::nullopt,
                  .company_ids = {},
                  .payload = {}};
  FromPayloadColumns(columns, reading);
  return reading;
}

std::vector<std::pair<MacAddress, DeviceProfile>> ProfileDevices(
    const std::vector<Reading>& readings) {
  struct Best {
    int class_rssi = 0;
    int vendor_rssi = 0;
    DeviceProfile profile;
  };
  std::map<MacAddress, Best> best;
  for (const Reading& r : readings) {
    const Classification classification = ClassifyPayload(r.payload, r.name);
    const DeviceClass device_class = classification.device_class;
    std::optional<std::string_view> vendor;
    if (classification.company_id) vendor = CompanyName(*classification.company_id);
    if (!vendor) vendor = VendorOf(r);
    if (device_class == C::kUnknown && !vendor) continue;
    auto [it, fresh] = best.try_emplace(r.mac);
    Best& b = it->second;
    if (device_class != C::kUnknown &&
        (b.profile.device_class == C::kUnknown || r.rssi > b.class_rssi)) {
      b.profile.device_class = device_class;
      b.class_rssi = r.rssi;
    }
    if (vendor && (!b.profile.vendor || r.rssi > b.vendor_rssi)) {
      b.profile.vendor = vendor;
      b.vendor_rssi = r.rssi;
    }
  }
  std::vector<std::pair<MacAddress, DeviceProfile>> profiles;
  profiles.reserve(best.size());
  for (const auto& [mac, b] : best) profiles.emplace_back(mac, b.profile);
  return profiles;
}

}  // namespace blemon
