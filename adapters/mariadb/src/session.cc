#include "session.h"

#include "migrations.h"

namespace blemon::mariadb {

Session::Session(const DatabaseSettings& settings, bool require_schema, std::size_t first_server)
    : connection(settings, /*select_database=*/true, first_server) {
  if (require_schema) RequireCurrentSchema(connection, settings.database);
}

Statement& Session::Prepared(std::string_view sql) {
  auto found = statements_.find(std::string(sql));
  if (found != statements_.end()) return *found->second;
  // Prepared before it is cached: SQL the server refuses (a table missing) is not kept.
  auto statement = std::make_unique<Statement>(connection.raw(), sql);
  return *statements_.emplace(std::string(sql), std::move(statement)).first->second;
}

}  // namespace blemon::mariadb
