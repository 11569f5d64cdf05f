#pragma once

// Forgetting one device (`blemon-admin forget`, docs/privacy.md#erasing-a-device): which rows of
// the central store and of a machine's local state files name it, and the port that erases them.

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "blemon/identity.h"
#include "blemon/mac_address.h"

namespace blemon {

// The device to forget: every address known to be its own and, when an identity is forgotten,
// the identity's name.
struct ForgetTarget {
  std::set<MacAddress> addresses;
  std::optional<std::string> identity;
};

// How a column names the device.
enum class DeviceKey {
  kDeviceId,      // ble_devices.device_id of the target's addresses and of its identity's device
  kAddress,       // the canonical address text 'AA:BB:CC:DD:EE:FF'
  kWatchTarget,   // a watch entry's target: one of the addresses, or the identity's name
  kWatchName,     // the name of a watch entry whose target is the device
  kIdentityName,  // identities.name
  kEventOf,       // a presence event id of a watch target: "<target>/<interval>/<kind>"
};

// One column of the central store that names a device. `unlink` sets the column to NULL instead
// of deleting the row, for rows that belong to something else and stay (an identity whose device
// row goes when only one address is forgotten).
struct DeviceColumn {
  std::string_view table;
  std::string_view column;
  DeviceKey key;
  bool unlink = false;
};

// Every column of the central store (both backends) that names a device, in the order the rows
// are deleted: rows that reference ble_devices before ble_devices. Consecutive lines of one table
// and action are one statement (their conditions OR-ed), so a row named twice is counted once.
// A new table that holds devices is one more line here; `forget` and its dry run on both stores
// follow. Tables a store lacks (an older schema; device_sightings_archive before the first
// `archive`) are skipped. presence_occupancy, processing_runs and staging_batches hold counts and
// batch numbers, never a device, and are not listed.
inline constexpr std::array kDeviceColumns = {
    DeviceColumn{"device_sightings", "device_id", DeviceKey::kDeviceId},
    DeviceColumn{"device_sightings_archive", "device_id", DeviceKey::kDeviceId},
    DeviceColumn{"device_rooms", "device_id", DeviceKey::kDeviceId},
    DeviceColumn{"address_links", "device_id", DeviceKey::kDeviceId},
    DeviceColumn{"address_links", "previous_device_id", DeviceKey::kDeviceId},
    DeviceColumn{"address_links", "estimated_device_id", DeviceKey::kDeviceId},
    DeviceColumn{"sighting_staging", "mac_address", DeviceKey::kAddress},
    DeviceColumn{"sighting_staging", "resolved_mac", DeviceKey::kAddress},
    DeviceColumn{"presence_events", "device", DeviceKey::kWatchTarget},
    DeviceColumn{"presence_events", "watch_name", DeviceKey::kWatchName},
    DeviceColumn{"presence_state", "device", DeviceKey::kWatchTarget},
    DeviceColumn{"presence_state", "watch_name", DeviceKey::kWatchName},
    DeviceColumn{"alert_deliveries", "event_id", DeviceKey::kEventOf},
    DeviceColumn{"alert_delivery_tries", "event_id", DeviceKey::kEventOf},
    DeviceColumn{"watch_list", "target", DeviceKey::kWatchTarget},
    DeviceColumn{"identities", "name", DeviceKey::kIdentityName},
    DeviceColumn{"identities", "device_id", DeviceKey::kDeviceId, /*unlink=*/true},
    DeviceColumn{"ble_devices", "device_id", DeviceKey::kDeviceId},
};

// One statement of a forget: a run of kDeviceColumns lines with the same table and action.
struct DeviceStatement {
  std::string_view table;
  bool unlink = false;
  std::vector<DeviceColumn> columns;
};
std::vector<DeviceStatement> DeviceStatements();
// How a forget's output names the statement: the table, "identities (device_id unlinked)".
std::string PlaceOf(const DeviceStatement& statement);

// The values each DeviceKey stands for, as a store found them for one target.
struct DeviceKeys {
  std::vector<std::int64_t> device_ids;
  std::vector<std::string> addresses;      // canonical text
  std::vector<std::string> watch_targets;  // the addresses and the identity's name
  std::vector<std::string> watch_names;
  std::vector<std::string> identity_names;
};

// One DeviceStatement as SQL both stores run: `count_sql` (SELECT COUNT(*) ...) and `apply_sql`
// (DELETE, or UPDATE ... SET column = NULL), sharing one WHERE of `?` placeholders bound in order
// to `params`. A statement whose keys are all empty matches nothing ("1 = 0").
struct DeviceQuery {
  std::string where;  // the condition alone, for a store's own SELECT over the same rows
  std::string count_sql;
  std::string apply_sql;
  std::vector<std::variant<std::int64_t, std::string>> params;
};
DeviceQuery MakeDeviceQuery(const DeviceStatement& statement, const DeviceKeys& keys);

// How many rows of one table (or one local file's table, "file: table") a forget removed, or
// would remove in a dry run.
struct ForgetCount {
  std::string place;
  std::int64_t rows = 0;
};

// The central store's side of forgetting. Used from one thread at a time; failures are the
// exceptions of blemon/errors.h (Unavailable: the store is down; Refused: no rights, no schema).
class ForgetStore {
 public:
  virtual ~ForgetStore() = default;
  ForgetStore() = default;
  ForgetStore(const ForgetStore&) = delete;
  ForgetStore& operator=(const ForgetStore&) = delete;

  // The distinct resolvable private addresses in ble_devices and sighting_staging: the candidates
  // an identity's key is tried against, so every address it ever used is forgotten with it.
  virtual std::vector<MacAddress> ResolvablePrivateAddresses() = 0;

  // In one transaction, deletes (unlinks) every row kDeviceColumns names for `target`; returns
  // the rows per table, in kDeviceColumns' order. `dry_run` only counts them and changes nothing.
  virtual std::vector<ForgetCount> Forget(const ForgetTarget& target, bool dry_run) = 0;
};

// The spellings an address may take in free text (MQTT payloads, event ids, logs): canonical
// upper case with colons, with dashes, and without separators. A case-insensitive match of these
// also covers lower case.
std::vector<std::string> AddressSpellings(const MacAddress& address);

// The addresses among `candidates` that resolve under `irk` (in both byte orders when
// `byte_order_known` is false): an identity's rotating addresses.
std::set<MacAddress> AddressesOfIdentity(const Irk& irk, bool byte_order_known,
                                         std::span<const MacAddress> candidates);

}  // namespace blemon
