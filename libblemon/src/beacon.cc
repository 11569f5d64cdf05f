#include "blemon/beacon.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace blemon {

std::optional<std::vector<std::uint8_t>> EncodeBeaconServiceData(MonitorId monitor,
                                                                 std::optional<int> tx_power) {
  if (monitor < 0 || monitor > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  const auto id = static_cast<std::uint32_t>(monitor);
  const int power = tx_power ? std::clamp(*tx_power, kMinBeaconTxPower, kMaxBeaconTxPower)
                             : kBeaconTxPowerUnknown;
  return std::vector<std::uint8_t>{
      static_cast<std::uint8_t>(id & 0xFF),
      static_cast<std::uint8_t>((id >> 8) & 0xFF),
      static_cast<std::uint8_t>((id >> 16) & 0xFF),
      static_cast<std::uint8_t>((id >> 24) & 0xFF),
      static_cast<std::uint8_t>(static_cast<std::int8_t>(power)),
      kBeaconFormatVersion,
  };
}

std::optional<BeaconServiceData> ParseBeaconServiceData(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kBeaconServiceDataBytes || bytes[5] != kBeaconFormatVersion) {
    return std::nullopt;
  }
  BeaconServiceData data;
  data.monitor_id =
      static_cast<std::uint32_t>(bytes[0]) | static_cast<std::uint32_t>(bytes[1]) << 8 |
      static_cast<std::uint32_t>(bytes[2]) << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
  const int power = static_cast<std::int8_t>(bytes[4]);
  if (power == kBeaconTxPowerUnknown) return data;
  if (power < kMinBeaconTxPower || power > kMaxBeaconTxPower) return std::nullopt;
  data.tx_power = power;
  return data;
}

MonitorBeacon ToMonitorBeacon(const BeaconServiceData& data, std::optional<int> advert_tx_power) {
  // An advert's TX Power Level field is as untrusted as the rest of it.
  if (advert_tx_power &&
      (*advert_tx_power < kMinBeaconTxPower || *advert_tx_power > kMaxBeaconTxPower)) {
    advert_tx_power.reset();
  }
  return MonitorBeacon{
      .monitor_id = data.monitor_id,
      .tx_power = data.tx_power.value_or(advert_tx_power.value_or(kDefaultBeaconTxPower))};
}

bool IsBeaconServiceUuid(std::string_view uuid) {
  return std::equal(uuid.begin(), uuid.end(), kBeaconServiceUuid.begin(), kBeaconServiceUuid.end(),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

}  // namespace blemon
