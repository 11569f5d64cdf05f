#include "device_payload.h"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "hash.h"

namespace blemon::simulated {
namespace {

constexpr std::uint16_t kApple = 0x004C;
constexpr std::uint16_t kMicrosoft = 0x0006;
constexpr std::uint16_t kSamsung = 0x0075;
constexpr std::uint16_t kGoogle = 0x00E0;
constexpr std::uint16_t kGarmin = 0x0087;
constexpr std::uint16_t kSony = 0x012D;

// 16-bit service UUIDs (Assigned Numbers 3.3 and 3.4).
constexpr std::uint16_t kHeartRateService = 0x180D;
constexpr std::uint16_t kEnvironmentalSensing = 0x181A;
constexpr std::uint16_t kHumanInterfaceDevice = 0x1812;
constexpr std::uint16_t kSmartTagService = 0xFD5A;  // Samsung
constexpr std::uint16_t kTileService = 0xFEED;
constexpr std::uint16_t kEddystone = 0xFEAA;
constexpr std::uint16_t kXiaomiService = 0xFE95;
constexpr std::uint16_t kGarminService = 0xFE1F;
constexpr std::uint16_t kBoseService = 0xFEBE;
constexpr std::uint16_t kSignifyService = 0xFE0F;
constexpr std::uint16_t kGoogleNearby = 0xFEF3;
constexpr std::uint16_t kFastPair = 0xFE2C;

// GAP appearance values (Assigned Numbers 2.6).
constexpr std::uint16_t kAppearancePhone = 0x0040;
constexpr std::uint16_t kAppearanceComputer = 0x0080;
constexpr std::uint16_t kAppearanceSportsWatch = 0x00C1;
constexpr std::uint16_t kAppearanceHeartRateBelt = 0x0341;
constexpr std::uint16_t kAppearanceMouse = 0x03C2;
constexpr std::uint16_t kAppearanceGamepad = 0x03C4;
constexpr std::uint16_t kAppearanceSpeaker = 0x0841;
constexpr std::uint16_t kAppearanceEarbud = 0x0941;
constexpr std::uint16_t kAppearanceHeadphones = 0x0943;

template <class T, std::size_t N>
T Pick(std::uint64_t draw, const std::array<T, N>& choices) {
  return choices[Below(draw, N)];
}

// Builds a profile one field at a time.
class Recipe {
 public:
  explicit Recipe(DeviceKind kind) { profile_.kind = kind; }
  Recipe& Manufacturer(std::uint16_t company, std::initializer_list<std::uint8_t> lasting,
                       std::uint8_t changing) {
    profile_.lasting.manufacturer_data.push_back({.company_id = company, .prefix = lasting});
    profile_.changing_bytes.push_back(changing);
    return *this;
  }
  Recipe& Service(std::uint16_t uuid) {
    profile_.lasting.service_uuids.push_back(uuid);
    return *this;
  }
  Recipe& Appearance(std::uint16_t appearance) {
    profile_.lasting.appearance = appearance;
    return *this;
  }
  PayloadProfile Done() { return std::move(profile_); }

 private:
  PayloadProfile profile_;
};

// Apple continuity "Nearby Info" (type 0x10): length, status flags and action code, Wi-Fi state
// last while the device's state does; a three-byte authentication tag changes with the address.
PayloadProfile AppleNearby(DeviceKind kind, std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 3> kLengths{0x05, 0x06, 0x07};
  constexpr std::array<std::uint8_t, 8> kStatus{0x01, 0x03, 0x07, 0x0B, 0x11, 0x13, 0x17, 0x1B};
  constexpr std::array<std::uint8_t, 4> kWifi{0x00, 0x04, 0x18, 0x1C};
  return Recipe(kind)
      .Manufacturer(kApple,
                    {0x10, Pick(draw, kLengths), Pick(SplitMix64(draw), kStatus),
                     Pick(SplitMix64(draw + 1), kWifi)},
                    3)
      .Done();
}

// Apple continuity "Handoff" (type 0x0C, length 0x0E) from a Mac: the clipboard flag lasts, the
// sequence number and encrypted payload do not.
PayloadProfile AppleHandoff(std::uint64_t draw) {
  const std::uint8_t clipboard = (draw & 1) != 0 ? 0x08 : 0x00;
  return Recipe(DeviceKind::kComputer).Manufacturer(kApple, {0x0C, 0x0E, clipboard}, 5).Done();
}

// Apple "Proximity Pairing" (type 0x07, length 0x19) from AirPods: the model number lasts.
PayloadProfile AppleProximityPairing(std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 4> kModels{0x02, 0x0E, 0x0F, 0x13};  // AirPods 1, Pro, 2, 3
  return Recipe(DeviceKind::kEarbuds)
      .Manufacturer(kApple, {0x07, 0x19, 0x01, Pick(draw, kModels), 0x20}, 3)
      .Done();
}

// Apple "Find My" offline finding (type 0x12, length 0x19): status lasts, the key part rotates.
PayloadProfile AppleFindMy(std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 3> kStatus{0x10, 0x50, 0x90};
  return Recipe(DeviceKind::kTracker)
      .Manufacturer(kApple, {0x12, 0x19, Pick(draw, kStatus)}, 5)
      .Done();
}

// iBeacon: type 0x02, length 0x15, then the proximity UUID (all lasting).
PayloadProfile IBeacon(std::uint64_t draw) {
  const auto b = [&](int i) { return static_cast<std::uint8_t>(draw >> (8 * i)); };
  return Recipe(DeviceKind::kBeacon)
      .Manufacturer(kApple, {0x02, 0x15, b(0), b(1), b(2), b(3), b(4), b(5)}, 0)
      .Done();
}

// Microsoft Connected Devices Platform beacon: scenario 0x01, version and device type 0x09
// (Windows desktop), version and flags 0x20, reserved/flags; a four-byte salt changes.
PayloadProfile MicrosoftCdp(std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 3> kFlags{0x00, 0x02, 0x22};
  return Recipe(DeviceKind::kComputer)
      .Manufacturer(kMicrosoft, {0x01, 0x09, 0x20, Pick(draw, kFlags)}, 4)
      .Appearance(kAppearanceComputer)
      .Done();
}

// Samsung's own manufacturer data: 0x42 then a type; the bytes after the first two are
// illustrative (Samsung publishes no description), lasting per device and model.
PayloadProfile SamsungPhone(std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 3> kState{0x02, 0x0A, 0x0E};
  return Recipe(DeviceKind::kPhone)
      .Manufacturer(kSamsung, {0x42, 0x09, 0x81, Pick(draw, kState)}, 4)
      .Done();
}
PayloadProfile SamsungBuds(std::uint64_t draw) {
  constexpr std::array<std::uint8_t, 3> kModel{0x6E, 0x70, 0x8A};
  return Recipe(DeviceKind::kEarbuds)
      .Manufacturer(kSamsung, {0x42, 0x04, 0x01, Pick(draw, kModel)}, 3)
      .Appearance(kAppearanceEarbud)
      .Done();
}

PayloadProfile GooglePhone(std::uint64_t draw) {
  Recipe recipe(DeviceKind::kPhone);
  recipe.Service(kGoogleNearby);
  if ((draw & 1) != 0) recipe.Appearance(kAppearancePhone);
  return recipe.Done();
}

PayloadProfile OfKind(DeviceKind kind) { return Recipe(kind).Done(); }

struct ModelPayload {
  std::string_view model;
  PayloadProfile (*make)(std::uint64_t draw);
};

// The product names of world.cc's tables.
constexpr std::array<ModelPayload, 22> kModelPayloads{{
    {"iPhone", [](std::uint64_t d) { return AppleNearby(DeviceKind::kPhone, d); }},
    {"iPad", [](std::uint64_t d) { return AppleNearby(DeviceKind::kTablet, d); }},
    {"AirPods Pro", AppleProximityPairing},
    {"Apple Watch", [](std::uint64_t d) { return AppleNearby(DeviceKind::kWatch, d); }},
    {"Galaxy S23", SamsungPhone},
    {"Pixel 7", GooglePhone},
    {"Galaxy Buds2 Pro", SamsungBuds},
    {"Mi Band 6",
     [](std::uint64_t) { return Recipe(DeviceKind::kFitnessBand).Service(kXiaomiService).Done(); }},
    {"小米手环7",
     [](std::uint64_t) { return Recipe(DeviceKind::kFitnessBand).Service(kXiaomiService).Done(); }},
    {"JBL Flip 5",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kSpeaker).Appearance(kAppearanceSpeaker).Done();
     }},
    {"Forerunner 245",
     [](std::uint64_t d) {
       return Recipe(DeviceKind::kWatch)
           .Manufacturer(kGarmin, {0x01, 0x0D, static_cast<std::uint8_t>(d)}, 0)
           .Service(kGarminService)
           .Appearance(kAppearanceSportsWatch)
           .Done();
     }},
    {"LE-Bose QC35 II",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kHeadphones)
           .Service(kBoseService)
           .Appearance(kAppearanceHeadphones)
           .Done();
     }},
    {"[TV] Samsung Q70 Series (55)",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kTv).Manufacturer(kSamsung, {0x42, 0x04, 0x01, 0x01}, 4).Done();
     }},
    {"Tile",
     [](std::uint64_t) { return Recipe(DeviceKind::kTracker).Service(kTileService).Done(); }},
    {"WH-1000XM4",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kHeadphones)
           .Manufacturer(kSony, {0x03, 0x00, 0x40}, 0)
           .Service(kFastPair)
           .Appearance(kAppearanceHeadphones)
           .Done();
     }},
    {"Xbox Wireless Controller",
     [](std::uint64_t) {  // Microsoft Swift Pair
       return Recipe(DeviceKind::kPeripheral)
           .Manufacturer(kMicrosoft, {0x03, 0x00, 0x80}, 0)
           .Appearance(kAppearanceGamepad)
           .Done();
     }},
    {"Hue Lamp",
     [](std::uint64_t) { return Recipe(DeviceKind::kAppliance).Service(kSignifyService).Done(); }},
    {"Govee_H6159_3A2F", [](std::uint64_t) { return OfKind(DeviceKind::kAppliance); }},
    {"Polar H10 9E2F1A2B",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kHeartRateSensor)
           .Service(kHeartRateService)
           .Appearance(kAppearanceHeartRateBelt)
           .Done();
     }},
    {"Charge 5", [](std::uint64_t) { return OfKind(DeviceKind::kFitnessBand); }},
    {"MX Master 3",
     [](std::uint64_t) {
       return Recipe(DeviceKind::kPeripheral)
           .Service(kHumanInterfaceDevice)
           .Appearance(kAppearanceMouse)
           .Done();
     }},
    {"Kühlschrank", [](std::uint64_t) { return OfKind(DeviceKind::kAppliance); }},
}};

// A nameless device: mostly phones and computers talking to their own kind, then trackers,
// beacons and appliances, in proportions per vendor.
PayloadProfile NamelessPayload(std::uint16_t company, std::uint64_t draw) {
  const auto pick = Below(draw, 100);
  const std::uint64_t rest = SplitMix64(draw);
  switch (company) {
    case kApple:
      if (pick < 55) return AppleNearby(DeviceKind::kPhone, rest);
      if (pick < 70) return AppleHandoff(rest);
      if (pick < 80) return AppleProximityPairing(rest);
      if (pick < 92) return AppleFindMy(rest);
      return IBeacon(rest);
    case kMicrosoft:
      return MicrosoftCdp(rest);
    case kSamsung:
      if (pick < 70) return SamsungPhone(rest);
      if (pick < 85) return SamsungBuds(rest);
      return Recipe(DeviceKind::kTracker).Service(kSmartTagService).Done();
    case kGoogle:
      return GooglePhone(rest);
    default:
      if (pick < 30) return Recipe(DeviceKind::kTracker).Service(kTileService).Done();
      if (pick < 50) return Recipe(DeviceKind::kBeacon).Service(kEddystone).Done();
      if (pick < 70) {
        return Recipe(DeviceKind::kAppliance).Service(kEnvironmentalSensing).Done();
      }
      return OfKind(DeviceKind::kUnknown);
  }
}

}  // namespace

std::string_view KindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kPhone:
      return "phone";
    case DeviceKind::kTablet:
      return "tablet";
    case DeviceKind::kComputer:
      return "computer";
    case DeviceKind::kWatch:
      return "watch";
    case DeviceKind::kEarbuds:
      return "earbuds";
    case DeviceKind::kHeadphones:
      return "headphones";
    case DeviceKind::kSpeaker:
      return "speaker";
    case DeviceKind::kTracker:
      return "tracker";
    case DeviceKind::kBeacon:
      return "beacon";
    case DeviceKind::kTv:
      return "tv";
    case DeviceKind::kFitnessBand:
      return "fitness band";
    case DeviceKind::kHeartRateSensor:
      return "heart rate sensor";
    case DeviceKind::kPeripheral:
      return "peripheral";
    case DeviceKind::kAppliance:
      return "appliance";
    case DeviceKind::kUnknown:
      break;
  }
  return "unknown";
}

PayloadProfile DrawPayloadProfile(std::string_view model, std::uint16_t company,
                                  std::uint64_t draw) {
  if (!model.empty()) {
    for (const ModelPayload& entry : kModelPayloads) {
      if (entry.model == model) return entry.make(draw);
    }
    return OfKind(DeviceKind::kUnknown);
  }
  return NamelessPayload(company, draw);
}

AdvertPayload PayloadForRotation(const PayloadProfile& profile, std::uint64_t rotation_draw) {
  AdvertPayload payload = profile.lasting;
  for (std::size_t i = 0; i < payload.manufacturer_data.size(); ++i) {
    std::vector<std::uint8_t>& bytes = payload.manufacturer_data[i].prefix;
    const std::uint64_t changing = Hash(rotation_draw, i);
    for (int b = 0; b < profile.changing_bytes[i]; ++b) {
      bytes.push_back(static_cast<std::uint8_t>(changing >> (8 * (b % 8))));
    }
    if (bytes.size() > kMaxManufacturerPrefixBytes) bytes.resize(kMaxManufacturerPrefixBytes);
  }
  std::sort(payload.service_uuids.begin(), payload.service_uuids.end());
  return payload;
}

}  // namespace blemon::simulated
