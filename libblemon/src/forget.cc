#include "blemon/forget.h"

#include <fmt/format.h>

namespace blemon {

std::vector<DeviceStatement> DeviceStatements() {
  std::vector<DeviceStatement> statements;
  for (const DeviceColumn& column : kDeviceColumns) {
    if (statements.empty() || statements.back().table != column.table ||
        statements.back().unlink != column.unlink) {
      statements.push_back({.table = column.table, .unlink = column.unlink, .columns = {}});
    }
    statements.back().columns.push_back(column);
  }
  return statements;
}

std::string PlaceOf(const DeviceStatement& statement) {
  return statement.unlink
             ? fmt::format("{} ({} unlinked)", statement.table, statement.columns.front().column)
             : std::string(statement.table);
}

namespace {

const std::vector<std::string>& TextValuesOf(const DeviceKeys& keys, DeviceKey key) {
  switch (key) {
    case DeviceKey::kAddress:
      return keys.addresses;
    case DeviceKey::kWatchTarget:
    case DeviceKey::kEventOf:
      return keys.watch_targets;
    case DeviceKey::kWatchName:
      return keys.watch_names;
    case DeviceKey::kIdentityName:
    case DeviceKey::kDeviceId:
      break;
  }
  return keys.identity_names;
}

// "column IN (?, ?)" for `count` values, appending nothing when there are none.
std::string InList(std::string_view column, std::size_t count) {
  std::string placeholders;
  for (std::size_t i = 0; i < count; ++i) placeholders += i == 0 ? "?" : ", ?";
  return fmt::format("{} IN ({})", column, placeholders);
}

}  // namespace

DeviceQuery MakeDeviceQuery(const DeviceStatement& statement, const DeviceKeys& keys) {
  DeviceQuery query;
  std::string where;
  for (const DeviceColumn& column : statement.columns) {
    std::size_t count = 0;
    if (column.key == DeviceKey::kDeviceId) {
      for (const std::int64_t id : keys.device_ids) query.params.emplace_back(id);
      count = keys.device_ids.size();
    } else if (column.key == DeviceKey::kEventOf) {
      // The ids that start with "<target>/": a range, because a name may hold LIKE's wildcards
      // ('0' sorts right after '/'; both stores compare these columns by bytes).
      for (const std::string& target : keys.watch_targets) {
        query.params.emplace_back(target + "/");
        query.params.emplace_back(target + "0");
        where +=
            fmt::format("{0}({1} >= ? AND {1} < ?)", where.empty() ? "" : " OR ", column.column);
      }
      continue;
    } else {
      for (const std::string& text : TextValuesOf(keys, column.key))
        query.params.emplace_back(text);
      count = TextValuesOf(keys, column.key).size();
    }
    if (count == 0) continue;
    where += (where.empty() ? "" : " OR ") + InList(column.column, count);
  }
  if (where.empty()) where = "1 = 0";
  query.where = where;
  query.count_sql = fmt::format("SELECT COUNT(*) FROM {} WHERE {}", statement.table, where);
  query.apply_sql = statement.unlink
                        ? fmt::format("UPDATE {} SET {} = NULL WHERE {}", statement.table,
                                      statement.columns.front().column, where)
                        : fmt::format("DELETE FROM {} WHERE {}", statement.table, where);
  return query;
}

std::vector<std::string> AddressSpellings(const MacAddress& address) {
  const auto& b = address.bytes();
  return {
      address.ToString(),
      fmt::format("{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}", b[0], b[1], b[2], b[3], b[4], b[5]),
      fmt::format("{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}", b[0], b[1], b[2], b[3], b[4], b[5])};
}

std::set<MacAddress> AddressesOfIdentity(const Irk& irk, bool byte_order_known,
                                         std::span<const MacAddress> candidates) {
  std::vector<Irk> keys{irk};
  if (!byte_order_known) keys.push_back(irk.Reversed());
  const IrkResolver resolver(std::move(keys));
  const auto resolved = resolver.Resolve(candidates);
  std::set<MacAddress> addresses;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (resolved[i]) addresses.insert(candidates[i]);
  }
  return addresses;
}

}  // namespace blemon
