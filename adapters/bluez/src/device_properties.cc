#include "device_properties.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

namespace blemon::bluez::internal {
namespace {

// Wide integers are clamped rather than wrapped, so a nonsense value stays out of range and the
// domain rejects it instead of it turning into a plausible RSSI.
template <typename T>
int Saturate(T value) {
  if (std::cmp_less(value, std::numeric_limits<int>::min())) return std::numeric_limits<int>::min();
  if (std::cmp_greater(value, std::numeric_limits<int>::max()))
    return std::numeric_limits<int>::max();
  return static_cast<int>(value);
}

// ManufacturerData is a{qv}: company identifier → payload (ay). The identifier and the first
// bytes of the payload are kept; a payload of another type keeps only its company.
std::optional<std::vector<ManufacturerPrefix>> ReadManufacturerData(const sdbus::Variant& value) {
  if (value.peekValueType() != "a{qv}") return std::nullopt;
  const auto data = value.get<std::map<std::uint16_t, sdbus::Variant>>();
  std::vector<ManufacturerPrefix> prefixes;
  prefixes.reserve(data.size());
  for (const auto& [company, payload] : data) {  // std::map: sorted by company
    ManufacturerPrefix prefix{.company_id = company, .prefix = {}};
    if (!payload.isEmpty() && payload.peekValueType() == "ay") {
      const auto bytes = payload.get<std::vector<std::uint8_t>>();
      prefix.prefix.assign(
          bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(
                                             std::min(bytes.size(), kMaxManufacturerPrefixBytes)));
    }
    prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

std::vector<std::uint16_t> SortedUnique(std::vector<std::uint16_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// ServiceUUIDs is "as" of 128-bit UUID strings.
std::optional<std::vector<std::uint16_t>> ReadServiceUuids(const sdbus::Variant& value) {
  if (value.isEmpty() || value.peekValueType() != "as") return std::nullopt;
  std::vector<std::uint16_t> uuids;
  for (const std::string& uuid : value.get<std::vector<std::string>>()) {
    if (const auto short_uuid = ShortUuid(uuid)) uuids.push_back(*short_uuid);
  }
  return SortedUnique(std::move(uuids));
}

// ServiceData is a{sv}: service UUID → data. Only the UUIDs are kept.
std::optional<std::vector<std::uint16_t>> ReadServiceDataUuids(const sdbus::Variant& value) {
  if (value.isEmpty() || value.peekValueType() != "a{sv}") return std::nullopt;
  std::vector<std::uint16_t> uuids;
  for (const auto& entry : value.get<std::map<std::string, sdbus::Variant>>()) {
    if (const auto short_uuid = ShortUuid(entry.first)) uuids.push_back(*short_uuid);
  }
  return SortedUnique(std::move(uuids));
}

// Appearance is "q"; another integer type in range is tolerated like RSSI's.
std::optional<std::uint16_t> ReadAppearance(const sdbus::Variant& value) {
  const auto number = ReadInteger(value);
  if (!number || *number < 0 || *number > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(*number);
}

// ServiceData is a{sv}: UUID -> bytes (ay). Only the blemon service UUID's entry is read here;
// its bytes are untrusted and parsed strictly.
// A ServiceData value of the wrong type is counted once, by the ServiceData UUID reader; here it
// only means "no beacon".
void ReadBeacon(const sdbus::Variant& value, DeviceUpdate& update) {
  try {
    if (value.peekValueType() != "a{sv}") return;
    for (const auto& [uuid, bytes] : value.get<std::map<std::string, sdbus::Variant>>()) {
      if (!IsBeaconServiceUuid(uuid)) continue;
      std::optional<BeaconServiceData> beacon;
      if (bytes.peekValueType() == "ay") {
        beacon = ParseBeaconServiceData(bytes.get<std::vector<std::uint8_t>>());
      }
      update.beacon = beacon;
      update.beacon_malformed = !beacon;
    }
  } catch (const sdbus::Error&) {
    // a value that lied about its own type: counted by the ServiceData UUID reader
  }
}

void MergeSorted(std::vector<std::uint16_t>& into, const std::vector<std::uint16_t>& more) {
  std::vector<std::uint16_t> merged;
  merged.reserve(into.size() + more.size());
  std::set_union(into.begin(), into.end(), more.begin(), more.end(), std::back_inserter(merged));
  into = std::move(merged);
}

std::string HexDigitsUpper(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      digits.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    } else if (c != ':' && c != '-' && c != '_') {
      return {};  // something other than an address
    }
  }
  return digits;
}

}  // namespace

std::optional<int> ReadInteger(const sdbus::Variant& value) {
  if (value.isEmpty()) return std::nullopt;
  const std::string type = value.peekValueType();
  if (type == "n") return value.get<std::int16_t>();
  if (type == "i") return value.get<std::int32_t>();
  if (type == "y") return value.get<std::uint8_t>();
  if (type == "q") return value.get<std::uint16_t>();
  if (type == "u") return Saturate(value.get<std::uint32_t>());
  if (type == "x") return Saturate(value.get<std::int64_t>());
  if (type == "t") return Saturate(value.get<std::uint64_t>());
  return std::nullopt;
}

std::optional<std::string> ReadString(const sdbus::Variant& value) {
  if (value.isEmpty() || value.peekValueType() != "s") return std::nullopt;
  return value.get<std::string>();
}

std::optional<bool> ReadBool(const sdbus::Variant& value) {
  if (value.isEmpty() || value.peekValueType() != "b") return std::nullopt;
  return value.get<bool>();
}

std::optional<std::uint16_t> ShortUuid(std::string_view uuid) {
  // Core Specification Vol 3, Part B, 2.5.1: the Bluetooth base UUID.
  constexpr std::string_view kBaseTail = "-0000-1000-8000-00805f9b34fb";
  if (uuid.size() != 36 || uuid.substr(0, 4) != "0000") return std::nullopt;
  for (std::size_t i = 0; i < kBaseTail.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(uuid[8 + i])));
    if (c != kBaseTail[i]) return std::nullopt;
  }
  std::uint16_t value = 0;
  for (const char c : uuid.substr(4, 4)) {
    const auto digit = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isxdigit(digit)) return std::nullopt;
    value = static_cast<std::uint16_t>(value * 16 +
                                       (std::isdigit(digit) ? digit - '0' : digit - 'a' + 10));
  }
  return value;
}

DeviceUpdate ParseDeviceProperties(const PropertyMap& properties) {
  DeviceUpdate update;
  // Reads one known property; an unexpected type leaves the field empty and is counted.
  auto take = [&](const char* key, auto read, auto& field) {
    const auto it = properties.find(key);
    if (it == properties.end()) return;
    try {
      field = read(it->second);
    } catch (const sdbus::Error&) {
      field.reset();  // a value that lied about its own type; treat as malformed
    }
    if (!field) ++update.malformed;
  };
  take("Address", ReadString, update.address);
  take("AddressType", ReadString, update.address_type);
  take("Name", ReadString, update.name);
  take("Alias", ReadString, update.alias);
  take("RSSI", ReadInteger, update.rssi);
  take("TxPower", ReadInteger, update.tx_power);
  take("ManufacturerData", ReadManufacturerData, update.manufacturer_data);
  take("ServiceUUIDs", ReadServiceUuids, update.service_uuids);
  take("ServiceData", ReadServiceDataUuids, update.service_data_uuids);
  take("Appearance", ReadAppearance, update.appearance);
  if (const auto data = properties.find("ServiceData"); data != properties.end()) {
    ReadBeacon(data->second, update);
  }
  if (update.manufacturer_data) {
    update.company_ids.emplace();
    for (const auto& m : *update.manufacturer_data) update.company_ids->push_back(m.company_id);
  }
  update.rssi_present = properties.count("RSSI") != 0;
  return update;
}

void DeviceState::Apply(const DeviceUpdate& update) {
  if (update.address) address = *update.address;
  if (update.address_type) address_type = *update.address_type;
  if (update.name) name = update.name;
  if (update.alias) alias = update.alias;
  if (update.tx_power) tx_power = update.tx_power;
  if (update.company_ids) MergeSorted(company_ids, *update.company_ids);
  if (update.manufacturer_data) {
    for (const auto& m : *update.manufacturer_data) manufacturer_data[m.company_id] = m.prefix;
  }
  if (update.service_uuids) MergeSorted(service_uuids, *update.service_uuids);
  if (update.service_data_uuids) MergeSorted(service_uuids, *update.service_data_uuids);
  if (update.appearance) appearance = update.appearance;
  if (update.beacon) beacon = update.beacon;
}

std::optional<std::string> DeviceState::DisplayName() const {
  if (name && !name->empty()) return name;
  if (alias && !alias->empty() && !AliasRepeatsAddress(*alias, address)) return alias;
  return std::nullopt;
}

Advert DeviceState::ToAdvert(std::optional<int> rssi) const {
  Advert advert;
  advert.address = address;
  advert.address_type = address_type;
  advert.rssi = rssi;
  advert.name = DisplayName();
  advert.tx_power = tx_power;
  advert.company_ids = company_ids;
  for (const auto& [company, prefix] : manufacturer_data) {
    advert.payload.manufacturer_data.push_back({.company_id = company, .prefix = prefix});
  }
  advert.payload.service_uuids = service_uuids;
  advert.payload.appearance = appearance;
  if (beacon) advert.payload.monitor_beacon = ToMonitorBeacon(*beacon, tx_power);
  return advert;
}

bool AliasRepeatsAddress(std::string_view alias, std::string_view address) {
  const std::string alias_digits = HexDigitsUpper(alias);
  if (alias_digits.size() != 12) return false;
  const std::string address_digits = HexDigitsUpper(address);
  // With no address known, an alias that looks like an address is still no name.
  return address_digits.empty() || alias_digits == address_digits;
}

std::optional<std::string> AddressFromDevicePath(std::string_view path) {
  const auto slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  constexpr std::string_view kPrefix = "dev_";
  if (last.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  last.remove_prefix(kPrefix.size());
  if (last.size() != 17) return std::nullopt;
  std::string address(last);
  std::replace(address.begin(), address.end(), '_', ':');
  return address;
}

std::optional<AdapterInfo> FindAdapter(const std::map<sdbus::ObjectPath, InterfaceMap>& objects,
                                       std::string_view wanted,
                                       std::vector<std::string>* available) {
  std::optional<AdapterInfo> found;
  for (const auto& [path, interfaces] : objects) {
    const auto adapter = interfaces.find(kAdapterInterface);
    if (adapter == interfaces.end()) continue;
    AdapterInfo info;
    info.path = path;
    const auto slash = info.path.rfind('/');
    info.name = slash == std::string::npos ? info.path : info.path.substr(slash + 1);
    if (const auto powered = adapter->second.find("Powered"); powered != adapter->second.end()) {
      try {
        info.powered = ReadBool(powered->second);
      } catch (const sdbus::Error&) {
        info.powered.reset();
      }
    }
    if (available) available->push_back(info.name);
    if (!found && (wanted.empty() || info.name == wanted)) found = std::move(info);
  }
  return found;
}

}  // namespace blemon::bluez::internal
