#include "migrations.h"

#include <fmt/format.h>

#include "blemon/errors.h"
#include "sql_script.h"

namespace blemon::mariadb {
namespace {

bool TableExists(Connection& db, const std::string& table) {
  Statement query(db.raw(),
                  "SELECT COUNT(*) FROM information_schema.tables "
                  "WHERE table_schema = DATABASE() AND table_name = ?");
  return query.QueryOne({table}).Int(0) != 0;
}

const Migration* Find(int version) {
  for (const auto& m : Migrations()) {
    if (m.version == version) return &m;
  }
  return nullptr;
}

// Releases the migration lock however the migration ends.
class MigrationLock {
 public:
  explicit MigrationLock(Connection& db) : db_(db) {
    Statement lock(db_.raw(), "SELECT GET_LOCK('blemon_migrate', 120)");
    // 1 when granted; 0 after the wait, NULL on an error (such as being killed).
    if (lock.QueryOne({}).Int(0) != 1) {
      throw Unavailable("another blemon-admin migrate has been running for 2 minutes; try later");
    }
  }
  ~MigrationLock() {
    try {
      Statement unlock(db_.raw(), "SELECT RELEASE_LOCK('blemon_migrate')");
      unlock.Query({});
    } catch (const DbError&) {
      // The lock dies with the session anyway.
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  Connection& db_;
};

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

int InstalledSchemaVersion(Connection& db) {
  const bool seed = TableExists(db, "monitors");
  if (!TableExists(db, "schema_version")) return seed ? 0 : -1;
  Statement query(db.raw(), "SELECT version, name FROM schema_version ORDER BY version");
  int installed = seed ? 0 : -1;
  for (const auto& row : query.Query({})) {
    const int version = static_cast<int>(row.Int(0));  // the primary key: never NULL
    const std::string name = row.Text(1);
    const Migration* known = Find(version);
    if (known == nullptr && version > LatestSchemaVersion()) {
      throw Refused(fmt::format(
          "the database schema is at version {} ({}), newer than this blemon knows (up to {}): "
          "upgrade blemon on this machine",
          version, name, LatestSchemaVersion()));
    }
    if (known == nullptr || known->name != name) {
      throw Refused(fmt::format(
          "the database's schema_version lists version {} as '{}', which this blemon does not "
          "know (its version {} is '{}'): the database was migrated by a different blemon; use "
          "that build or restore the database",
          version, name, version, known ? known->name : std::string_view("(none)")));
    }
    installed = std::max(installed, version);
  }
  return installed;
}

void RequireCurrentSchema(Connection& db, std::string_view database) {
  const int installed = InstalledSchemaVersion(db);
  if (installed == LatestSchemaVersion()) return;
  if (installed < 0) {
    throw Refused(
        fmt::format("database '{}' has no blemon schema: run `blemon-admin migrate`", database));
  }
  throw Refused(fmt::format(
      "database '{}' is at schema version {}, this blemon needs version {}: run `blemon-admin "
      "migrate` (changes are additive; the original tool keeps working)",
      database, installed, LatestSchemaVersion()));
}

MigrationResult ApplyMigrations(Connection& db) {
  MigrationLock lock(db);
  MigrationResult result;
  result.from_version = InstalledSchemaVersion(db);
  result.to_version = result.from_version;
  // The runner's own bookkeeping, so it exists before the first migration is recorded.
  db.ExecuteText(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INT NOT NULL PRIMARY KEY,"
      " name VARCHAR(100) NOT NULL,"
      " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
  Statement record(db.raw(), "INSERT IGNORE INTO schema_version (version, name) VALUES (?, ?)");
  if (result.from_version == 0) {
    // The original tool's schema found in place: recorded as version 0, not re-run.
    record.Execute({0LL, std::string(Migrations().front().name)});
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= result.from_version) continue;
    for (const std::string& statement : SplitSqlScript(m.sql)) {
      try {
        db.ExecuteText(statement);
      } catch (const DbError& e) {
        throw DbError(e.code(), e.sqlstate(),
                      fmt::format("{} [migration {}: {:.120}]", e.what(), m.name, statement));
      }
    }
    record.Execute({static_cast<long long>(m.version), std::string(m.name)});
    result.to_version = m.version;
  }
  return result;
}

}  // namespace blemon::mariadb
