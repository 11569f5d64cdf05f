#include "blemon/app/backends.h"

#include <fmt/format.h>
#include <unistd.h>

#include "blemon/app/state_directory.h"
#include "blemon/errors.h"
#include "blemon/sqlite/sqlite_delivery_log.h"
#include "blemon/sqlite/sqlite_forget_store.h"
#include "blemon/sqlite/sqlite_identity_store.h"
#include "blemon/sqlite/sqlite_report_store.h"
#include "blemon/sqlite/sqlite_retention_store.h"
#include "blemon/sqlite/sqlite_spool.h"
#include "blemon/sqlite/sqlite_store.h"
#if defined(BLEMON_HAVE_MARIADB)
#include "blemon/mariadb/mariadb_delivery_log.h"
#include "blemon/mariadb/mariadb_forget_store.h"
#include "blemon/mariadb/mariadb_identity_store.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "blemon/mariadb/mariadb_retention_store.h"
#include "blemon/mariadb/mariadb_store.h"
#endif

namespace blemon::app {
namespace {

#if !defined(BLEMON_HAVE_MARIADB)
// This build has no MariaDB adapter: its openers say so, and the registry below stays the same.
namespace mariadb {
[[noreturn]] void Missing() {
  throw Refused(
      "database.backend = \"mariadb\" but this build has no MariaDB support; rebuild with "
      "-DBLEMON_WITH_MARIADB=ON and libmariadb-dev installed");
}
std::unique_ptr<Store> OpenStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<IdentityStore> OpenIdentityStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<PresenceStore> OpenPresenceStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<ForgetStore> OpenForgetStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<DeliveryLog> OpenDeliveryLog(const DatabaseSettings&) { Missing(); }
std::unique_ptr<CalibrationStore> OpenCalibrationStore(const DatabaseSettings&) { Missing(); }
std::unique_ptr<RetentionStore> OpenRetentionStore(const DatabaseSettings&) { Missing(); }
}  // namespace mariadb
#endif

bool IsMariaDb(const DatabaseSettings& settings) { return settings.backend == Backend::kMariaDb; }

}  // namespace

std::unique_ptr<Store> OpenStore(const DatabaseSettings& settings) {
  return IsMariaDb(settings) ? mariadb::OpenStore(settings) : sqlite::OpenStore(settings.path);
}

std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings) {
  return IsMariaDb(settings) ? mariadb::OpenReportStore(settings)
                             : sqlite::OpenReportStore(settings.path);
}

std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings) {
  return IsMariaDb(settings) ? mariadb::OpenAdminStore(settings)
                             : sqlite::OpenAdminStore(settings.path);
}

std::unique_ptr<IdentityStore> OpenIdentityStore(const DatabaseSettings& settings) {
  return IsMariaDb(settings) ? mariadb::OpenIdentityStore(settings)
                             : sqlite::OpenIdentityStore(settings.path);
}

std::unique_ptr<PresenceStore> OpenPresenceStore(const DatabaseSettings& settings) {
  if (IsMariaDb(settings)) return mariadb::OpenPresenceStore(settings);
  // Like the report store: never create the file here.
  sqlite::OpenReportStore(settings.path);
  return sqlite::OpenPresenceStore(settings.path);
}

std::unique_ptr<ForgetStore> OpenForgetStore(const DatabaseSettings& settings) {
  return IsMariaDb(settings) ? mariadb::OpenForgetStore(settings)
                             : sqlite::OpenForgetStore(settings.path);
}

std::vector<ForgetCount> ForgetInLocalFile(const std::string& path,
                                           std::span<const std::string> needles, bool dry_run) {
  return sqlite::ForgetInLocalFile(path, needles, dry_run);
}

std::vector<MacAddress> SpooledAddresses(const std::string& path) {
  return sqlite::SpooledAddresses(path);
}

std::unique_ptr<CalibrationStore> OpenCalibrationStore(const DatabaseSettings& settings) {
  if (IsMariaDb(settings)) return mariadb::OpenCalibrationStore(settings);
  // Like the report store: never create the file here.
  sqlite::OpenReportStore(settings.path);
  return sqlite::OpenCalibrationStore(settings.path);
}

std::unique_ptr<RetentionStore> OpenRetentionStore(const DatabaseSettings& settings) {
  if (IsMariaDb(settings)) return mariadb::OpenRetentionStore(settings);
  sqlite::OpenReportStore(settings.path);  // like the report store: never create the file here
  return sqlite::OpenRetentionStore(settings.path);
}

std::string StateDirectoryOf(const MonitorSettings& monitor) {
  return monitor.state_directory.empty() ? DefaultStateDirectory() : monitor.state_directory;
}

std::unique_ptr<DeliveryLog> OpenDeliveryLog(const DatabaseSettings& settings) {
  if (IsMariaDb(settings)) return mariadb::OpenDeliveryLog(settings);
  // Like the report store: never create the file here.
  sqlite::OpenReportStore(settings.path);
  return sqlite::OpenDeliveryLog(settings.path);
}

std::unique_ptr<Spool> OpenSpool(const MonitorSettings& monitor, std::string* path_out) {
  const std::string dir = StateDirectoryOf(monitor);
  *path_out = fmt::format("{}/spool-{}.db", dir, FileNameSafe(monitor.name));
  return sqlite::OpenSpool(*path_out);
}

std::string DescribeStore(const DatabaseSettings& settings) {
  if (settings.backend == Backend::kSqlite) {
    return fmt::format("SQLite {}{}", settings.path,
                       settings.configured ? "" : " (no [database] section: embedded default)");
  }
  // "localhost" means the socket, as with the mysql client; database.hosts lists a cluster.
  std::string where;
  if (!settings.hosts.empty()) {
    for (const DatabaseServer& server : settings.hosts) {
      where += (where.empty() ? "" : ", ") + ToString(server);
    }
  } else if (settings.host == "localhost") {
    where = settings.socket.empty() ? std::string("the local socket")
                                    : fmt::format("socket {}", settings.socket);
  } else {
    where = fmt::format("{}:{}", settings.host, settings.port);
  }
  return fmt::format("MariaDB {} on {} as {}{}", settings.database, where, settings.user,
                     settings.ssl ? " (TLS)" : "");
}

}  // namespace blemon::app
