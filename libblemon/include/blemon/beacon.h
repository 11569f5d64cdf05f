#pragma once

// The monitor beacon on the air: the service data every blemon monitor advertises so the other
// monitors can tell it from a phone and calibrate their RSSI against it (reading.h's
// MonitorBeacon is what a scan makes of it). Pure encoding and strict parsing; the BlueZ adapter
// puts the bytes on the air and hands received bytes to ParseBeaconServiceData.
//
// Wire format, version 1: the service data of the blemon service UUID (AD type 0x21, "Service
// Data - 128-bit UUID"), exactly 6 bytes:
//
//   offset  size  field
//   0       4     monitor id, unsigned, little endian (monitors.monitor_id)
//   4       1     TX power in dBm, signed (two's complement), -127..20; 127 = the sender did not
//                 know it (the receiver then uses the advert's own TX Power Level field, else
//                 kDefaultBeaconTxPower)
//   5       1     format version, 1
//
// 128-bit service data plus the flags and TX Power Level fields take 30 of a legacy advert's 31
// bytes, which is why the UUID is not also listed as a 128-bit service UUID (18 more bytes).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/reading.h"

namespace blemon {

// Generated once at random for blemon (a version 4 UUID); lower case, as BlueZ writes UUIDs.
inline constexpr std::string_view kBeaconServiceUuid = "d24e15b0-c0ac-48d3-81cf-75c80e03e46f";
inline constexpr std::uint8_t kBeaconFormatVersion = 1;
inline constexpr std::size_t kBeaconServiceDataBytes = 6;
// The TX power byte's "not known" (HCI's "not available", 0x7F).
inline constexpr int kBeaconTxPowerUnknown = 127;
// dBm assumed for a beacon whose sender knew no TX power and whose advert carried no TX Power
// Level field: a typical class 2 BLE controller's advertising power.
inline constexpr int kDefaultBeaconTxPower = 0;
// The TX power range HCI allows for advertising (Core 5.2, Vol 4, Part E, 7.8.53).
inline constexpr int kMinBeaconTxPower = -127;
inline constexpr int kMaxBeaconTxPower = 20;

// What the service data says, before the receiver fills in an unknown TX power.
struct BeaconServiceData {
  std::uint32_t monitor_id = 0;
  std::optional<int> tx_power;  // dBm; nullopt when the sender sent kBeaconTxPowerUnknown

  friend bool operator==(const BeaconServiceData&, const BeaconServiceData&) = default;
};

// The 6 bytes for `monitor` at `tx_power` dBm (nullopt: unknown). A TX power outside -127..20 is
// clamped into it. nullopt when the monitor id does not fit in 4 bytes (negative or > 2^32-1).
std::optional<std::vector<std::uint8_t>> EncodeBeaconServiceData(MonitorId monitor,
                                                                 std::optional<int> tx_power);

// Strict: nullopt unless `bytes` is exactly kBeaconServiceDataBytes long, of format version 1,
// with a TX power byte in -127..20 or 127. The bytes come off the air: anything is possible.
std::optional<BeaconServiceData> ParseBeaconServiceData(std::span<const std::uint8_t> bytes);

// The beacon a reading carries: the service data's TX power, else the advert's TX Power Level
// field (`advert_tx_power`), else kDefaultBeaconTxPower.
MonitorBeacon ToMonitorBeacon(const BeaconServiceData& data, std::optional<int> advert_tx_power);

// True when `uuid` is kBeaconServiceUuid in any letter case.
bool IsBeaconServiceUuid(std::string_view uuid);

}  // namespace blemon
