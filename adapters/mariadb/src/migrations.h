#pragma once

// The schema migrations of schema/mariadb/, compiled in (see cmake/embed_migrations.cmake), and
// the runner that applies them. Version 0 is the original Python tool's schema; each later file
// brings the database to its number. schema_version records what was applied.

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

// Applies every migration above the installed version, in order, under a named lock so two
// concurrent migrators do not interleave. Throws Refused for a newer or unknown schema.
MigrationResult ApplyMigrations(Connection& db);

}  // namespace blemon::mariadb
