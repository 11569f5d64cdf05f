#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/mac_address.h"
#include "blemon/time.h"

namespace blemon {

inline constexpr int kMinRssi = -127;
inline constexpr int kMaxRssi = 20;
// BlueZ and HCI report 127 when the controller did not measure the signal.
inline constexpr int kUnknownRssi = 127;
inline constexpr std::size_t kMaxNameCharacters = 200;

enum class RssiVerdict { kValid, kUnknown, kOutOfRange };
RssiVerdict CheckRssi(int rssi);

// Names come from the radio and are untrusted: invalid UTF-8 becomes U+FFFD, control characters
// (C0, DEL, C1) are removed, the result is cut at 200 characters on a character boundary, and an
// empty result means "no name".
std::optional<std::string> SanitizeDeviceName(std::string_view raw);

// Bounds on what a reading keeps of an advertisement's payload: enough to tell what kind of device
// sent it (Apple's continuity type byte, the iBeacon or Eddystone prefix), too little to carry a
// message.
inline constexpr std::size_t kMaxManufacturerPrefixBytes = 8;
inline constexpr std::size_t kMaxServiceUuids = 8;
inline constexpr std::size_t kMaxManufacturers = 8;

// The start of one manufacturer-specific data field (Core Specification Supplement, Part A, 1.4):
// the company identifier and the first bytes that follow it.
struct ManufacturerPrefix {
  std::uint16_t company_id = 0;
  std::vector<std::uint8_t> prefix;  // at most kMaxManufacturerPrefixBytes

  friend auto operator<=>(const ManufacturerPrefix&, const ManufacturerPrefix&) = default;
};

// A blemon monitor's own advertisement, recognised by the blemon service UUID: which monitor sent
// it and at what TX power (dBm), so monitors hearing each other can calibrate their RSSI.
struct MonitorBeacon {
  std::uint32_t monitor_id = 0;
  int tx_power = 0;  // dBm, as the sending adapter reported it

  friend bool operator==(const MonitorBeacon&, const MonitorBeacon&) = default;
};

// What an advertisement says about its sender beyond address, name and TX power: the material of
// device classes and of linking rotating addresses.
struct AdvertPayload {
  // In a Reading: sorted by company, one per company (the latest heard), at most
  // kMaxManufacturers. In an Advert: as heard.
  std::vector<ManufacturerPrefix> manufacturer_data;
  // 16-bit UUIDs of the ServiceUUIDs list and of the ServiceData keys. In a Reading: sorted,
  // unique, at most kMaxServiceUuids.
  std::vector<std::uint16_t> service_uuids;
  std::optional<std::uint16_t> appearance;  // GAP Appearance (Assigned Numbers, 2.6.2)
  std::optional<MonitorBeacon> monitor_beacon;

  friend bool operator==(const AdvertPayload&, const AdvertPayload&) = default;
};

// One advertisement as a scanner heard it, before validation. Scanners fill what they know.
struct Advert {
  std::string address;       // as reported; parsed and normalised by the aggregator
  std::string address_type;  // "public" or "random" (BlueZ); empty when unknown → public
  std::optional<int> rssi;   // nullopt when the advert carried none
  std::optional<std::string> name;
  std::optional<int> tx_power;
  std::vector<std::uint16_t> company_ids;
  AdvertPayload payload;
};

// One device in one scan: the aggregate of all its adverts in the window.
struct Reading {
  MacAddress mac;
  AddressClass address_class = AddressClass::kPublic;
  int rssi = kMinRssi;  // the strongest valid RSSI heard
  int advert_count = 0;
  std::optional<std::string> name;  // latest non-empty, sanitised
  std::optional<int> tx_power;
  std::vector<std::uint16_t> company_ids;  // sorted, unique
  AdvertPayload payload;                   // bounded; the latest appearance and beacon heard

  friend bool operator==(const Reading&, const Reading&) = default;
};

// Counters of what a scan threw away, so nothing is dropped silently.
struct ScanStats {
  int adverts = 0;
  int dropped_unknown_rssi = 0;
  int dropped_invalid_rssi = 0;
  int dropped_invalid_address = 0;
  int dropped_no_rssi = 0;
  // Adverts whose blemon beacon service data did not parse (wrong length or format version,
  // blemon/beacon.h): the advert still counts, the beacon in it is ignored.
  int ignored_beacons = 0;

  friend bool operator==(const ScanStats&, const ScanStats&) = default;
};

// Folds many adverts per device into one Reading per device (strongest RSSI, advert count, latest
// non-empty name, address class, the union of company IDs and service UUIDs, the latest
// manufacturer prefix per company, appearance and monitor beacon; payload cut to the bounds above).
// Adverts with an unknown (127) or out-of-range RSSI, or an unparsable address, are counted in
// stats() and otherwise ignored.
class ScanAggregator {
 public:
  void Add(const Advert& advert);
  // Readings ordered by MAC address.
  std::vector<Reading> Readings() const;
  const ScanStats& stats() const { return stats_; }

 private:
  std::map<MacAddress, Reading> readings_;
  ScanStats stats_;
};

}  // namespace blemon
