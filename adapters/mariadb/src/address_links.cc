#include "address_links.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "blemon/address_linking.h"
#include "blemon/payload_text.h"

namespace blemon::mariadb {
namespace {

constexpr std::string_view kFleetInterval =
    "SELECT CAST(setting_value AS SIGNED) FROM fleet_settings "
    "WHERE setting_name = 'interval_seconds'";
constexpr std::string_view kScannedIntervals =
    "SELECT COUNT(DISTINCT interval_start) FROM sighting_staging "
    "WHERE interval_start IN (FROM_UNIXTIME(?), FROM_UNIXTIME(?), FROM_UNIXTIME(?))";
constexpr std::string_view kSignals =
    "SELECT mac_address, UNIX_TIMESTAMP(interval_start), monitor_id, rssi, address_class, "
    "tx_power, company_ids, manufacturer_data, service_uuids, appearance FROM sighting_staging "
    "WHERE interval_start >= FROM_UNIXTIME(?) AND interval_start <= FROM_UNIXTIME(?) "
    "AND address_class IN ('resolvable-private', 'non-resolvable') "
    // An address resolved to an enrolled identity is that identity's device: never linked.
    "AND resolved_mac IS NULL ORDER BY staging_id";
constexpr std::string_view kLinks =
    "SELECT p.mac_address, d.mac_address FROM address_links l "
    "JOIN ble_devices d ON d.device_id = l.device_id "
    "JOIN ble_devices p ON p.device_id = l.previous_device_id "
    "WHERE l.first_interval >= FROM_UNIXTIME(?)";
// The later address inherits the earlier one's estimated device (itself when it has none).
constexpr std::string_view kStoreLink =
    "INSERT IGNORE INTO address_links (device_id, previous_device_id, estimated_device_id, "
    "previous_last_interval, first_interval, distance_db) "
    "SELECT d.device_id, p.device_id, COALESCE((SELECT e.estimated_device_id FROM address_links e "
    "WHERE e.device_id = p.device_id), p.device_id), FROM_UNIXTIME(?), FROM_UNIXTIME(?), ? "
    "FROM ble_devices d JOIN ble_devices p ON p.mac_address = ? WHERE d.mac_address = ?";

Seconds FleetInterval(Session& s) {
  const auto rows = s.Prepared(kFleetInterval).Query({});
  const long long seconds = rows.empty() || rows[0].IsNull(0) ? 300 : rows[0].Int(0);
  return Seconds{seconds > 0 ? seconds : 300};
}

bool AllScanned(Session& s, UtcTime now, Seconds interval) {
  const Row row = s.Prepared(kScannedIntervals)
                      .QueryOne({ToDb(now - 2 * interval), ToDb(now - interval), ToDb(now)});
  return row.Int(0) == 3;
}

// The signature of a staged row (columns 4 to 9: address class, TX power, payload columns).
PayloadSignature Signature(const MacAddress& mac, AddressClass address_class, const Row& row) {
  return SignatureOfStaged(mac, address_class, row.OptionalInt(5),
                           PayloadColumns{.company_ids = row.OptionalText(6),
                                          .manufacturer_data = row.OptionalText(7),
                                          .service_uuids = row.OptionalText(8),
                                          .appearance = row.OptionalInt(9),
                                          .beacon_monitor_id = std::nullopt,
                                          .beacon_tx_power = std::nullopt});
}

std::vector<StagedSignal> ReadSignals(Session& s, UtcTime from, UtcTime to) {
  std::vector<StagedSignal> signals;
  for (const Row& r : s.Prepared(kSignals).Query({ToDb(from), ToDb(to)})) {
    const auto mac = MacAddress::Parse(r.Text(0));
    const auto address_class = AddressClassFromString(r.Text(4));
    if (!mac || !address_class) continue;  // a malformed MAC written by hand: never linked
    const PayloadSignature signature = Signature(*mac, *address_class, r);
    signals.push_back({.mac = *mac,
                       .interval_start = r.Time(1),
                       .monitor_id = r.Int(2),
                       .rssi = static_cast<int>(r.Int(3)),
                       .signature = signature});
  }
  return signals;
}

std::vector<StoredLink> ReadLinks(Session& s, UtcTime from) {
  std::vector<StoredLink> links;
  for (const Row& r : s.Prepared(kLinks).Query({ToDb(from)})) {
    const auto from_mac = MacAddress::Parse(r.Text(0));
    const auto to_mac = MacAddress::Parse(r.Text(1));
    if (from_mac && to_mac) links.push_back({*from_mac, *to_mac});
  }
  return links;
}

}  // namespace

int LinkAddresses(Session& session, UtcTime interval_start) {
  const LinkingOptions options;
  const Seconds interval = FleetInterval(session);
  if (!AllScanned(session, interval_start, interval)) return 0;
  const UtcTime from = interval_start - LinkingLookbackIntervals(options) * interval;
  const auto signals = ReadSignals(session, from, interval_start);
  const auto stored = ReadLinks(session, from);
  int added = 0;
  for (const AddressLink& link :
       DecideLinks(HistoriesFromStaged(signals, stored), interval_start, interval, options)) {
    added +=
        static_cast<int>(session.Prepared(kStoreLink)
                             .Execute({ToDb(link.from_last_interval), ToDb(link.to_first_interval),
                                       fmt::format("{:.1f}", link.distance_db),
                                       link.from.ToString(), link.to.ToString()}));
  }
  return added;
}

}  // namespace blemon::mariadb
