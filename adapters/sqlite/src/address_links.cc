#include "address_links.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "blemon/address_linking.h"
#include "blemon/errors.h"
#include "blemon/payload_text.h"
#include "timestamps.h"

namespace blemon::sqlite::internal {
namespace {

Seconds FleetInterval(Connection& db) {
  auto row = db.Prepare(
      "SELECT CAST(setting_value AS INTEGER) FROM fleet_settings "
      "WHERE setting_name = 'interval_seconds'");
  const std::int64_t seconds = row.Step() ? row.Int(0) : 300;
  return Seconds{seconds > 0 ? seconds : 300};
}

bool AllScanned(Connection& db, UtcTime now, Seconds interval) {
  auto row = db.Prepare(
      "SELECT COUNT(DISTINCT interval_start) FROM sighting_staging "
      "WHERE interval_start IN (?1, ?2, ?3)");
  row.Bind(1, FormatUtc(now - 2 * interval))
      .Bind(2, FormatUtc(now - interval))
      .Bind(3, FormatUtc(now));
  return row.Step() && row.Int(0) == 3;
}

// The signature of a staged row (columns 4 to 9: address class, TX power, payload columns).
PayloadSignature Signature(const MacAddress& mac, AddressClass address_class,
                           const Statement& row) {
  return SignatureOfStaged(mac, address_class, row.OptionalInt(5),
                           PayloadColumns{.company_ids = row.OptionalText(6),
                                          .manufacturer_data = row.OptionalText(7),
                                          .service_uuids = row.OptionalText(8),
                                          .appearance = row.OptionalInt(9),
                                          .beacon_monitor_id = std::nullopt,
                                          .beacon_tx_power = std::nullopt});
}

std::vector<StagedSignal> ReadSignals(Connection& db, UtcTime from, UtcTime to) {
  auto rows = db.Prepare(
      "SELECT mac_address, interval_start, monitor_id, rssi, address_class, tx_power, "
      "company_ids, manufacturer_data, service_uuids, appearance "
      "FROM sighting_staging WHERE interval_start >= ?1 AND interval_start <= ?2 "
      "AND address_class IN ('resolvable-private', 'non-resolvable') "
      // An address resolved to an enrolled identity is that identity's device: never linked.
      "AND resolved_mac IS NULL ORDER BY staging_id");
  rows.Bind(1, FormatUtc(from)).Bind(2, FormatUtc(to));
  std::vector<StagedSignal> signals;
  while (rows.Step()) {
    const auto mac = MacAddress::Parse(rows.Text(0));
    const auto address_class = AddressClassFromString(rows.Text(4));
    if (!mac || !address_class) continue;  // ProcessInterval refuses bad MACs; never linked
    const PayloadSignature signature = Signature(*mac, *address_class, rows);
    signals.push_back({.mac = *mac,
                       .interval_start = ReadTime(rows, 1, db),
                       .monitor_id = rows.Int(2),
                       .rssi = static_cast<int>(rows.Int(3)),
                       .signature = signature});
  }
  return signals;
}

std::vector<StoredLink> ReadLinks(Connection& db, UtcTime from) {
  auto rows = db.Prepare(
      "SELECT p.mac_address, d.mac_address FROM address_links l "
      "JOIN ble_devices d ON d.device_id = l.device_id "
      "JOIN ble_devices p ON p.device_id = l.previous_device_id WHERE l.first_interval >= ?1");
  rows.Bind(1, FormatUtc(from));
  std::vector<StoredLink> links;
  while (rows.Step()) {
    const auto from_mac = MacAddress::Parse(rows.Text(0));
    const auto to_mac = MacAddress::Parse(rows.Text(1));
    if (from_mac && to_mac) links.push_back({*from_mac, *to_mac});
  }
  return links;
}

// The later address inherits the earlier one's estimated device (itself when it has none).
bool StoreLink(Connection& db, const AddressLink& link) {
  db.Prepare(
        "INSERT OR IGNORE INTO address_links (device_id, previous_device_id, estimated_device_id, "
        "previous_last_interval, first_interval, distance_db) "
        "SELECT d.device_id, p.device_id, coalesce((SELECT estimated_device_id FROM "
        "address_links WHERE device_id = p.device_id), p.device_id), ?3, ?4, ?5 "
        "FROM ble_devices d, ble_devices p WHERE d.mac_address = ?1 AND p.mac_address = ?2")
      .Bind(1, link.to.ToString())
      .Bind(2, link.from.ToString())
      .Bind(3, FormatUtc(link.from_last_interval))
      .Bind(4, FormatUtc(link.to_first_interval))
      .Bind(5, fmt::format("{:.1f}", link.distance_db))
      .Run();
  return db.Changes() > 0;
}

}  // namespace

int LinkAddresses(Connection& db, UtcTime interval_start) {
  const LinkingOptions options;
  const Seconds interval = FleetInterval(db);
  if (!AllScanned(db, interval_start, interval)) return 0;
  const UtcTime from = interval_start - LinkingLookbackIntervals(options) * interval;
  const auto signals = ReadSignals(db, from, interval_start);
  const auto stored = ReadLinks(db, from);
  int added = 0;
  for (const AddressLink& link :
       DecideLinks(HistoriesFromStaged(signals, stored), interval_start, interval, options)) {
    if (StoreLink(db, link)) ++added;
  }
  return added;
}

}  // namespace blemon::sqlite::internal
