#pragma once

// What a simulated device puts in its adverts besides address, name and TX power: the
// manufacturer data, 16-bit service UUIDs and appearance a real device of its kind and vendor
// sends. Part of it lasts for the device's life (the kind of message, a model number, status
// flags: what lets a watcher tell one device from another across rotations, as Becker et al.,
// "Tracking Anonymized Bluetooth Devices", PETS 2019, showed for Apple and Microsoft), the rest
// (authentication tags, salts, rolling keys) changes with every new address.

#include <cstdint>
#include <string_view>
#include <vector>

#include "blemon/reading.h"

namespace blemon::simulated {

enum class DeviceKind {
  kUnknown,
  kPhone,
  kTablet,
  kComputer,
  kWatch,
  kEarbuds,
  kHeadphones,
  kSpeaker,
  kTracker,
  kBeacon,
  kTv,
  kFitnessBand,
  kHeartRateSensor,
  kPeripheral,
  kAppliance,
};

// "phone", "tracker", ...: for test messages and docs.
std::string_view KindName(DeviceKind kind);

// A device's payload over its life.
struct PayloadProfile {
  DeviceKind kind = DeviceKind::kUnknown;
  // Manufacturer prefixes hold only the lasting bytes here; service UUIDs and appearance last.
  AdvertPayload lasting;
  // Per entry of lasting.manufacturer_data: how many bytes follow the lasting ones and change
  // with each address.
  std::vector<std::uint8_t> changing_bytes;
};

// The payload of a device of `model` (a product name of the world's tables; empty for a nameless
// device) whose name or company draw gave `company` (0: none); `draw` picks kind and lasting bytes
// where the model leaves a choice.
PayloadProfile DrawPayloadProfile(std::string_view model, std::uint16_t company,
                                  std::uint64_t draw);

// What the device sends while it holds one address: the lasting bytes, then `rotation_draw`'s
// bytes, each manufacturer prefix cut at kMaxManufacturerPrefixBytes.
AdvertPayload PayloadForRotation(const PayloadProfile& profile, std::uint64_t rotation_draw);

}  // namespace blemon::simulated
