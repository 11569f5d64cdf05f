#include "blemon/app/store_factory.h"

#include <fmt/format.h>

#include "blemon/errors.h"
#if defined(BLEMON_HAVE_SQLITE)
#include "blemon/sqlite/sqlite_store.h"
#endif
#if defined(BLEMON_HAVE_MARIADB)
#include "blemon/mariadb/mariadb_store.h"
#endif

namespace blemon::app {

std::unique_ptr<Store> OpenConfiguredStore(const DatabaseSettings& settings) {
  if (settings.backend == Backend::kMariaDb) {
#if defined(BLEMON_HAVE_MARIADB)
    return mariadb::OpenStore(settings);
#else
    throw Refused(
        "database.backend = \"mariadb\" but this build has no MariaDB support; rebuild with "
        "-DBLEMON_WITH_MARIADB=ON and libmariadb-dev installed");
#endif
  }
#if defined(BLEMON_HAVE_SQLITE)
  return sqlite::OpenStore(settings.path);
#else
  throw Refused("this build has no SQLite store (adapters/sqlite is missing)");
#endif
}

std::string DescribeStore(const DatabaseSettings& settings) {
  if (settings.backend == Backend::kSqlite) {
    return fmt::format("SQLite {}{}", settings.path,
                       settings.configured ? "" : " (no [database] section: embedded default)");
  }
  // "localhost" means the socket, as with the mysql client.
  const std::string where =
      settings.host == "localhost"
          ? (settings.socket.empty() ? std::string("the local socket")
                                     : fmt::format("socket {}", settings.socket))
          : fmt::format("{}:{}", settings.host, settings.port);
  return fmt::format("MariaDB {} on {} as {}{}", settings.database, where, settings.user,
                     settings.ssl ? " (TLS)" : "");
}

}  // namespace blemon::app
