#include "blemon/mariadb/mariadb_forget_store.h"

#include <set>
#include <string>

#include "connection.h"
#include "session.h"

namespace blemon::mariadb {
namespace {

std::vector<Value> ValuesOf(const DeviceQuery& query) {
  std::vector<Value> values;
  for (const auto& param : query.params) {
    if (const auto* id = std::get_if<std::int64_t>(&param)) {
      values.emplace_back(static_cast<long long>(*id));
    } else {
      values.emplace_back(std::get<std::string>(param));
    }
  }
  return values;
}

// Runs SQL whose shape depends on the number of keys: prepared, run and closed, not cached.
std::vector<Row> QueryOnce(Session& s, const std::string& sql, const DeviceQuery& query) {
  Statement statement(s.connection.raw(), sql);
  return statement.Query(ValuesOf(query));
}

class MariaDbForgetStore final : public ForgetStore {
 public:
  explicit MariaDbForgetStore(const DatabaseSettings& settings)
      : runner_(settings, /*require_schema=*/false) {}

  std::vector<MacAddress> ResolvablePrivateAddresses() override {
    return runner_.Run("reading the resolvable private addresses", [&](Session& s) {
      std::vector<MacAddress> addresses;
      for (const Row& r : s.Prepared("SELECT mac_address FROM ble_devices WHERE address_class "
                                     "IS NULL OR address_class = 'resolvable-private' UNION "
                                     "SELECT mac_address FROM sighting_staging WHERE "
                                     "address_class IS NULL OR "
                                     "address_class = 'resolvable-private'")
                              .Query({})) {
        if (auto mac = MacAddress::Parse(r.Text(0))) addresses.push_back(*mac);
      }
      return addresses;
    });
  }

  std::vector<ForgetCount> Forget(const ForgetTarget& target, bool dry_run) override {
    return runner_.Run("forgetting a device", [&](Session& s) {
      std::set<std::string> tables;
      for (const Row& r : s.Prepared("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = DATABASE()")
                              .Query({})) {
        tables.insert(r.Text(0));
      }
      Transaction tx(s.connection);
      const DeviceKeys keys = KeysOf(s, target, tables);
      std::vector<ForgetCount> counts;
      for (const DeviceStatement& statement : DeviceStatements()) {
        if (!tables.contains(std::string(statement.table))) continue;
        const DeviceQuery query = MakeDeviceQuery(statement, keys);
        std::int64_t rows = 0;
        if (dry_run) {
          rows = QueryOnce(s, query.count_sql, query).at(0).Int(0);
        } else {
          Statement apply(s.connection.raw(), query.apply_sql);
          rows = static_cast<std::int64_t>(apply.Execute(ValuesOf(query)));
        }
        counts.push_back({.place = PlaceOf(statement), .rows = rows});
      }
      if (!dry_run) tx.Commit();  // a dry run rolls back: it changed nothing anyway
      return counts;
    });
  }

 private:
  static DeviceKeys KeysOf(Session& s, const ForgetTarget& target,
                           const std::set<std::string>& tables) {
    DeviceKeys keys;
    for (const MacAddress& address : target.addresses) keys.addresses.push_back(address.ToString());
    keys.watch_targets = keys.addresses;
    if (target.identity) {
      keys.identity_names.push_back(*target.identity);
      keys.watch_targets.push_back(*target.identity);
    }
    const DeviceQuery by_address = MakeDeviceQuery(
        {.table = "ble_devices", .columns = {{"ble_devices", "mac_address", DeviceKey::kAddress}}},
        keys);
    // FOR UPDATE: no processor adds a sighting to these devices while they are being deleted.
    for (const Row& r :
         QueryOnce(s, "SELECT device_id FROM ble_devices WHERE " + by_address.where + " FOR UPDATE",
                   by_address)) {
      keys.device_ids.push_back(r.Int(0));
    }
    if (target.identity && tables.contains("identities")) {
      for (const Row& r : s.Prepared("SELECT device_id FROM identities WHERE name = ? AND "
                                     "device_id IS NOT NULL")
                              .Query({*target.identity})) {
        keys.device_ids.push_back(r.Int(0));
      }
    }
    if (tables.contains("watch_list")) {
      const DeviceQuery names = MakeDeviceQuery(
          {.table = "watch_list", .columns = {{"watch_list", "target", DeviceKey::kWatchTarget}}},
          keys);
      for (const Row& r :
           QueryOnce(s, "SELECT watch_name FROM watch_list WHERE " + names.where, names)) {
        keys.watch_names.push_back(r.Text(0));
      }
    }
    return keys;
  }

  SessionRunner runner_;
};

}  // namespace

std::unique_ptr<ForgetStore> OpenForgetStore(const DatabaseSettings& settings) {
  return std::make_unique<MariaDbForgetStore>(settings);
}

}  // namespace blemon::mariadb
