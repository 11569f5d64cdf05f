#pragma once

// The schema migrations of schema/mariadb/, compiled in (see cmake/embed_migrations.cmake), and
// the runner that applies them. Version 0 is the original Python tool's schema; each later file
// brings the database to its number. schema_version records what was applied.

#include <string>
#include <string_view>
#include <vector>

#include "blemon/mariadb/mariadb_store.h"
#include "connection.h"

namespace blemon::mariadb {

struct Migration {
  int version;
  std::string_view name;  // file name without .sql, e.g. "001_blemon"
  std::string_view sql;   // mariadb-client syntax, DELIMITER lines included
};

// Ordered by version, starting at 0. Numbers are handed out ahead of time, so one may be missing
// until the change that owns it lands; nothing here relies on there being no gap.
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

// What a connected database holds: -1 no blemon or seed tables, 0 the seed without
// schema_version, else the highest recorded version. Throws Refused when schema_version names a
// migration this build does not know (a different or newer blemon migrated it).
int InstalledSchemaVersion(Connection& db);

// Throws Refused unless the database is at exactly LatestSchemaVersion(), with a message that says
// what to do (migrate, or upgrade blemon).
void RequireCurrentSchema(Connection& db, std::string_view database);

// Whether the server has a database (schema) of this name.
bool SchemaExists(Connection& db, const std::string& database);

// Applies every migration above the installed version, in order, under the lock row of table
// schema_migration_lock (cluster-safe, unlike GET_LOCK on Galera) so two concurrent migrators, on
// the same or different nodes, do not interleave; the second waits up to 2 minutes. Throws Refused
// for a newer or unknown schema. Each migration's statements are applied and then its version
// recorded; DDL commits by itself on MariaDB, so a migration is not one transaction: every file
// is written to be rerun from the top (IF NOT EXISTS, CREATE OR REPLACE), and a run killed inside
// one leaves its version unrecorded, so the next run applies it again. `listener` (may be null)
// hears of each migration and statement and may stop the run between two migrations.
MigrationResult ApplyMigrations(Connection& db, MigrationListener* listener = nullptr);

}  // namespace blemon::mariadb
