#pragma once

// Reading BlueZ's org.bluez.Device1 / org.bluez.Adapter1 property maps. Internal to the BlueZ
// adapter (the public header stays free of sdbus); kept apart from the bus plumbing so the unit
// tests can feed it malformed variants without a bus.
//
// Nothing here throws for a property of an unexpected type: a real bus (or the stock dbusmock
// template, which gives empty advertising properties one array level too many) sends such things,
// and a scan must survive them. Such a property is treated as absent and counted as malformed.

#include <sdbus-c++/Types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/beacon.h"
#include "blemon/reading.h"

namespace blemon::bluez::internal {

inline constexpr char kDeviceInterface[] = "org.bluez.Device1";
inline constexpr char kAdapterInterface[] = "org.bluez.Adapter1";

using PropertyMap = std::map<std::string, sdbus::Variant>;
using InterfaceMap = std::map<std::string, PropertyMap>;

// What one Device1 property set said: a GetManagedObjects entry, an InterfacesAdded payload or the
// changed properties of a PropertiesChanged signal. Each field is nullopt when the property was
// absent or had a type we do not accept.
struct DeviceUpdate {
  std::optional<std::string> address;
  std::optional<std::string> address_type;
  std::optional<std::string> name;
  std::optional<std::string> alias;
  // The RSSI key was present, whatever its type: BlueZ only sends it when it heard an advert.
  bool rssi_present = false;
  std::optional<int> rssi;
  std::optional<int> tx_power;
  std::optional<std::vector<std::uint16_t>> company_ids;  // sorted, unique
  // ManufacturerData: per company (sorted) the first kMaxManufacturerPrefixBytes of its value.
  std::optional<std::vector<ManufacturerPrefix>> manufacturer_data;
  // ServiceUUIDs and the keys of ServiceData, as 16-bit UUIDs: those on the Bluetooth base UUID;
  // 32-bit and vendor 128-bit UUIDs are left out. Sorted, unique.
  std::optional<std::vector<std::uint16_t>> service_uuids;
  std::optional<std::vector<std::uint16_t>> service_data_uuids;
  std::optional<std::uint16_t> appearance;  // GAP Appearance, BlueZ's "q"
  // The blemon monitor beacon, when ServiceData carries the blemon service UUID with bytes that
  // parse; beacon_malformed when it carries the UUID with bytes that do not (counted, ignored).
  std::optional<BeaconServiceData> beacon;
  bool beacon_malformed = false;
  int malformed = 0;  // known properties whose value had a type we do not accept
};

DeviceUpdate ParseDeviceProperties(const PropertyMap& properties);

// An integer property of any D-Bus integer type, saturated to int. BlueZ sends RSSI and TxPower as
// int16 ("n"); other widths are tolerated, anything else is nullopt.
std::optional<int> ReadInteger(const sdbus::Variant& value);
std::optional<std::string> ReadString(const sdbus::Variant& value);
std::optional<bool> ReadBool(const sdbus::Variant& value);

// The 16-bit UUID of "0000xxxx-0000-1000-8000-00805f9b34fb" (any case): nullopt for any other
// UUID, 32-bit ones on the base included.
std::optional<std::uint16_t> ShortUuid(std::string_view uuid);

// Everything known about one device object during a scan, accumulated over updates: the snapshot
// from GetManagedObjects, then InterfacesAdded and PropertiesChanged.
struct DeviceState {
  std::string address;
  std::string address_type;
  std::optional<std::string> name;
  std::optional<std::string> alias;
  std::optional<int> tx_power;
  std::vector<std::uint16_t> company_ids;  // sorted, unique, accumulated over the scan
  std::map<std::uint16_t, std::vector<std::uint8_t>>
      manufacturer_data;                     // latest prefix per company
  std::vector<std::uint16_t> service_uuids;  // sorted, unique, accumulated over the scan
  std::optional<std::uint16_t> appearance;
  std::optional<BeaconServiceData> beacon;  // the latest heard

  void Apply(const DeviceUpdate& update);
  // The advert this device's current state describes, with the RSSI of the signal that carried it.
  Advert ToAdvert(std::optional<int> rssi) const;
  // Name if BlueZ has one; else Alias, unless the alias is only BlueZ's stand-in, the address.
  std::optional<std::string> DisplayName() const;
};

// True when `alias` is the address written BlueZ's way ("AA-BB-CC-DD-EE-FF") or any other way.
bool AliasRepeatsAddress(std::string_view alias, std::string_view address);

// "AA:BB:CC:DD:EE:FF" from a device object path ".../dev_AA_BB_CC_DD_EE_FF"; nullopt if the path
// does not end that way. Used only when a signal names a device we have no properties for.
std::optional<std::string> AddressFromDevicePath(std::string_view path);

// What we need of an org.bluez.Adapter1 object.
struct AdapterInfo {
  std::string path;  // "/org/bluez/hci0"
  std::string name;  // "hci0": the last path element
  std::optional<bool> powered;
};

// The adapter to scan with: the one whose object path ends in "/<wanted>", or with `wanted`
// empty the first Adapter1 in path order. nullopt when there is none; `available` (if given)
// receives the names of all adapters found, for the error message.
std::optional<AdapterInfo> FindAdapter(const std::map<sdbus::ObjectPath, InterfaceMap>& objects,
                                       std::string_view wanted,
                                       std::vector<std::string>* available = nullptr);

}  // namespace blemon::bluez::internal
