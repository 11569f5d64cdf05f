#include "blemon/sqlite/sqlite_identity_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "blemon/errors.h"
#include "connection.h"
#include "timestamps.h"

namespace blemon::sqlite {
namespace {

using internal::Connection;
using internal::ReadTime;
using internal::WriteTransaction;

constexpr int kIdentitiesVersion = 5;

class SqliteIdentityStore final : public IdentityStore {
 public:
  explicit SqliteIdentityStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {
    int version = 0;
    if (internal::HasTable(*db_, "schema_version")) {
      auto row = db_->Prepare("SELECT coalesce(max(version), 0) FROM schema_version");
      row.Step();
      version = static_cast<int>(row.Int(0));
    }
    if (version < kIdentitiesVersion) {
      throw Refused(
          fmt::format("SQLite database {} is at schema version {}; identities need version {}: run "
                      "`blemon-admin migrate` first",
                      db_->path(), version, kIdentitiesVersion));
    }
  }

  StoredIdentity AddIdentity(const std::string& name, const Irk& irk,
                             bool byte_order_known) override {
    WriteTransaction tx(*db_);
    {
      auto same = db_->Prepare("SELECT name FROM identities WHERE irk = ?1 OR irk = ?2");
      same.BindBlob(1, irk.bytes().data(), irk.bytes().size());
      same.BindBlob(2, irk.Reversed().bytes().data(), irk.bytes().size());
      if (same.Step()) {
        throw Refused(fmt::format("identity '{}' already has this key", same.Text(0)));
      }
    }
    {
      auto taken = db_->Prepare("SELECT 1 FROM identities WHERE name = ?1");
      taken.Bind(1, name);
      if (taken.Step()) {
        throw Refused(fmt::format(
            "an identity named '{}' exists already; remove it first or choose another name", name));
      }
    }
    auto insert =
        db_->Prepare("INSERT INTO identities (name, irk, byte_order_known) VALUES (?1, ?2, ?3)");
    insert.Bind(1, name);
    insert.BindBlob(2, irk.bytes().data(), irk.bytes().size());
    insert.Bind(3, byte_order_known ? 1 : 0);
    insert.Run();
    tx.Commit();
    for (auto& identity : Identities()) {
      if (identity.name == name) return identity;
    }
    throw Refused(fmt::format("identity '{}' vanished right after it was added", name));
  }

  std::vector<StoredIdentity> Identities() override {
    auto rows = db_->Prepare(
        "SELECT i.identity_id, i.name, hex(i.irk), i.byte_order_known, i.device_id, "
        "b.mac_address, i.created_at FROM identities i "
        "LEFT JOIN ble_devices b ON b.device_id = i.device_id ORDER BY i.name");
    std::vector<StoredIdentity> identities;
    while (rows.Step()) {
      StoredIdentity identity;
      identity.identity_id = rows.Int(0);
      identity.name = rows.Text(1);
      const auto irk = Irk::Parse(rows.Text(2));
      if (!irk) {
        throw Refused(
            fmt::format("SQLite database {}: identity '{}' holds a key that is not 16 "
                        "bytes; remove and re-add it",
                        db_->path(), identity.name));
      }
      identity.irk = *irk;
      identity.byte_order_known = rows.Int(3) != 0;
      identity.device_id = rows.OptionalInt(4);
      identity.device_mac = rows.OptionalText(5);
      identity.created_at = ReadTime(rows, 6, *db_);
      identities.push_back(std::move(identity));
    }
    return identities;
  }

  bool RemoveIdentity(const std::string& name) override {
    WriteTransaction tx(*db_);
    db_->Prepare("DELETE FROM identities WHERE name = ?1").Bind(1, name).Run();
    const bool removed = db_->Changes() == 1;
    tx.Commit();
    return removed;
  }

 private:
  std::unique_ptr<Connection> db_;
};

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::unique_ptr<IdentityStore> OpenIdentityStore(const std::string& path) {
  if (!FileExists(path)) {
    throw Unavailable(fmt::format(
        "no SQLite database at {}: check database.path in the config (relative paths are taken "
        "from the working directory)",
        path));
  }
  return std::make_unique<SqliteIdentityStore>(Connection::Open(path));
}

}  // namespace blemon::sqlite
