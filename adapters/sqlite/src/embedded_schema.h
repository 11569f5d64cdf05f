#pragma once

#include <span>
#include <string_view>

namespace blemon::sqlite::internal {

// One numbered schema file of schema/sqlite, compiled in. Applying it brings the database to
// `version`; each file records its own version in schema_version.
struct Migration {
  int version;
  std::string_view file_name;
  std::string_view sql;
};

// All migrations, ascending by version.
std::span<const Migration> EmbeddedMigrations();

}  // namespace blemon::sqlite::internal
