#include "blemon/sqlite/sqlite_forget_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>

#include "blemon/errors.h"
#include "connection.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::HasTable;
using internal::Statement;
using internal::WriteTransaction;

void BindAll(Statement& statement, const DeviceQuery& query) {
  int index = 1;
  for (const auto& param : query.params) {
    std::visit([&](const auto& value) { statement.Bind(index++, value); }, param);
  }
}

std::vector<std::string> TextColumn(Connection& db, const std::string& sql) {
  std::vector<std::string> values;
  auto rows = db.Prepare(sql);
  while (rows.Step()) values.push_back(rows.Text(0));
  return values;
}

// Deleted rows leave their bytes in free pages and in the WAL until the file is rebuilt: VACUUM
// rewrites it from the live rows, the checkpoint copies that into the file and empties the WAL.
void ScrubFile(Connection& db) {
  db.Execute("VACUUM", "vacuuming after a forget");
  auto checkpoint = db.Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (checkpoint.Step() && checkpoint.Int(0) != 0) {
    throw Unavailable(fmt::format(
        "{}: the rows are deleted, but another process holds the file open, so its write-ahead "
        "log still holds old pages: stop blemon-monitor here and run the forget again",
        db.path()));
  }
}

class SqliteForgetStore final : public ForgetStore {
 public:
  explicit SqliteForgetStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    if (!HasTable(*db_, "ble_devices")) {
      throw Refused(
          fmt::format("{} holds no blemon tables: run `blemon-admin migrate` first", db_->path()));
    }
  }

  std::vector<MacAddress> ResolvablePrivateAddresses() override {
    std::vector<MacAddress> addresses;
    for (const std::string& text :
         TextColumn(*db_,
                    "SELECT mac_address FROM ble_devices WHERE address_class IS NULL OR "
                    "address_class = 'resolvable-private' UNION SELECT mac_address FROM "
                    "sighting_staging WHERE address_class IS NULL OR "
                    "address_class = 'resolvable-private'")) {
      if (auto mac = MacAddress::Parse(text)) addresses.push_back(*mac);
    }
    return addresses;
  }

  std::vector<ForgetCount> Forget(const ForgetTarget& target, bool dry_run) override {
    db_->Execute("PRAGMA secure_delete = ON", "erasing deleted rows' bytes");
    std::vector<ForgetCount> counts;
    {
      WriteTransaction tx(*db_);
      const DeviceKeys keys = KeysOf(target);
      for (const DeviceStatement& statement : DeviceStatements()) {
        if (!HasTable(*db_, statement.table)) continue;
        const DeviceQuery query = MakeDeviceQuery(statement, keys);
        auto run = db_->Prepare(dry_run ? query.count_sql : query.apply_sql);
        BindAll(run, query);
        std::int64_t rows = 0;
        if (dry_run) {
          run.Step();
          rows = run.Int(0);
        } else {
          run.Run();
          rows = db_->Changes();
        }
        counts.push_back({.place = PlaceOf(statement), .rows = rows});
      }
      if (!dry_run) tx.Commit();
    }
    if (!dry_run) ScrubFile(*db_);
    return counts;
  }

 private:
  DeviceKeys KeysOf(const ForgetTarget& target) {
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
    auto ids = db_->Prepare("SELECT device_id FROM ble_devices WHERE " + by_address.where);
    BindAll(ids, by_address);
    while (ids.Step()) keys.device_ids.push_back(ids.Int(0));
    if (target.identity && HasTable(*db_, "identities")) {
      auto identity = db_->Prepare(
          "SELECT device_id FROM identities WHERE name = ?1 AND device_id IS NOT NULL");
      identity.Bind(1, *target.identity);
      if (identity.Step()) keys.device_ids.push_back(identity.Int(0));
    }
    if (HasTable(*db_, "watch_list")) {
      const DeviceQuery names = MakeDeviceQuery(
          {.table = "watch_list", .columns = {{"watch_list", "target", DeviceKey::kWatchTarget}}},
          keys);
      auto rows = db_->Prepare("SELECT watch_name FROM watch_list WHERE " + names.where);
      BindAll(rows, names);
      while (rows.Step()) keys.watch_names.push_back(rows.Text(0));
    }
    return keys;
  }

  std::unique_ptr<Connection> db_;
};

std::unique_ptr<Connection> OpenExisting(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Unavailable(fmt::format("no SQLite database at {}", path));
  }
  return Connection::Open(path);
}

// "a row of `table` names a needle": for each text-like column, whether it contains one of the
// needles in temp.forget_needles (upper case). A subquery per column, not one term per needle, so
// hundreds of needles (privacy mode's daily pseudonyms) stay within SQLite's expression depth.
std::string NeedleCondition(Connection& db, const std::string& table) {
  std::string condition;
  auto columns = db.Prepare(
      "SELECT name FROM pragma_table_info(?1) WHERE type = '' OR upper(type) LIKE '%TEXT%' OR "
      "upper(type) LIKE '%CHAR%' OR upper(type) LIKE '%BLOB%'");
  columns.Bind(1, table);
  while (columns.Step()) {
    condition += fmt::format(
        "{}EXISTS (SELECT 1 FROM temp.forget_needles WHERE instr(upper(\"{}\"), needle) > 0)",
        condition.empty() ? "" : " OR ", columns.Text(0));
  }
  return condition;
}

}  // namespace

std::unique_ptr<ForgetStore> OpenForgetStore(const std::string& path) {
  return std::make_unique<SqliteForgetStore>(OpenExisting(path));
}

std::vector<ForgetCount> ForgetInLocalFile(const std::string& path,
                                           std::span<const std::string> needles, bool dry_run) {
  auto db = OpenExisting(path);
  db->Execute("PRAGMA secure_delete = ON", "erasing deleted rows' bytes");
  const std::string file = std::filesystem::path(path).filename().string();
  std::vector<ForgetCount> counts;
  const std::vector<std::string> tables = TextColumn(
      *db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  db->Execute("CREATE TEMP TABLE IF NOT EXISTS forget_needles (needle TEXT NOT NULL)",
              "listing what to forget");
  {
    WriteTransaction tx(*db);
    for (const std::string& needle : needles) {
      db->Prepare("INSERT INTO temp.forget_needles (needle) VALUES (upper(?1))")
          .Bind(1, needle)
          .Run();
    }
    for (const std::string& table : tables) {
      const std::string condition = NeedleCondition(*db, table);
      if (condition.empty()) continue;
      auto run = db->Prepare(fmt::format("{} \"{}\" WHERE {}",
                                         dry_run ? "SELECT COUNT(*) FROM" : "DELETE FROM", table,
                                         condition));
      std::int64_t rows = 0;
      if (dry_run) {
        run.Step();
        rows = run.Int(0);
      } else {
        run.Run();
        rows = db->Changes();
      }
      if (rows > 0) counts.push_back({.place = fmt::format("{}: {}", file, table), .rows = rows});
    }
    if (!dry_run) tx.Commit();
  }
  // Scrubbed even when nothing matched now: rows sent and deleted before (a spool's drained
  // batches) may still lie in free pages.
  if (!dry_run) ScrubFile(*db);
  return counts;
}

std::vector<MacAddress> SpooledAddresses(const std::string& path) {
  auto db = OpenExisting(path);
  std::vector<MacAddress> addresses;
  if (!HasTable(*db, "spool_readings")) return addresses;
  for (const std::string& text :
       TextColumn(*db, "SELECT DISTINCT mac_address FROM spool_readings")) {
    if (auto mac = MacAddress::Parse(text)) addresses.push_back(*mac);
  }
  return addresses;
}

}  // namespace blemon::sqlite
