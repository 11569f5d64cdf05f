#pragma once

// What kind of device sent an advertisement, from its payload: a pure function of what the
// scanner heard (no lookup, no state). The rules and their sources are in device_class.cc; the
// classes and their stored names in docs/database.md ("Device classes").

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/payload_text.h"
#include "blemon/reading.h"

namespace blemon {

enum class DeviceClass {
  kUnknown,
  kPhone,      // phone (or tablet: Apple's and Microsoft's adverts do not tell them apart)
  kWatch,      // watch or band, and other worn sensors (heart rate, running)
  kEarbuds,    // earbuds, headphones, headsets, hearing aids
  kTracker,    // tracker tag: AirTag and Find My accessories, Tile, SmartTag, Chipolo
  kBeacon,     // iBeacon, Eddystone, AltBeacon
  kComputer,   // computer, and its keyboards and mice
  kMedia,      // TV or media: displays, speakers, streaming boxes, remotes, consoles
  kAppliance,  // home appliance or sensor: lights, thermostats, scales, thermometers
};

// The stored name: "unknown", "phone", "watch", "earbuds", "tracker", "beacon", "computer",
// "media", "appliance".
std::string_view ToString(DeviceClass device_class);
std::optional<DeviceClass> DeviceClassFromString(std::string_view text);

// A class and the evidence it rests on, in words ("Apple continuity: proximity pairing").
struct Classification {
  DeviceClass device_class = DeviceClass::kUnknown;
  std::string_view evidence;  // static text; empty for kUnknown
  // The company whose manufacturer data gave the class (Apple for an iBeacon), if any.
  std::optional<std::uint16_t> company_id;

  friend bool operator==(const Classification&, const Classification&) = default;
};

// Classifies one advert payload. Explicit formats win over hints, in this order: beacon formats,
// tracker formats, the GAP Appearance, Apple continuity messages, Microsoft's CDP beacon, Google
// Fast Pair and other service UUIDs, then the name (when given). The address class is not an
// input: it says how long an address lasts, not what sent it.
Classification ClassifyPayload(const AdvertPayload& payload,
                               std::optional<std::string_view> name = std::nullopt);

// The class and vendor of one device over an interval's readings of it (from every monitor).
struct DeviceProfile {
  DeviceClass device_class = DeviceClass::kUnknown;
  std::optional<std::string_view> vendor;  // blemon/vendor.h's VendorOf
};

// A reading as far as ProfileDevices looks at it: the MAC, an RSSI, the name and the payload
// columns of a staged row (blemon/payload_text.h). A damaged payload column is left out.
Reading ProfileReading(const MacAddress& mac, int rssi, std::optional<std::string> name,
                       const PayloadColumns& columns);

// Per device of `readings`, the profile its most telling reading gives: the strongest reading
// with a known class gives the class, the strongest naming a listed company the vendor (ties: the
// first in order). A reading's vendor is the company whose data gave its class, else VendorOf.
// Devices whose readings tell neither are left out.
std::vector<std::pair<MacAddress, DeviceProfile>> ProfileDevices(
    const std::vector<Reading>& readings);

}  // namespace blemon
