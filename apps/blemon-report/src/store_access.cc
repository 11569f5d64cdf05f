#include "blemon/report/store_access.h"

#include "blemon/errors.h"
#include "blemon/sqlite/sqlite_report_store.h"
#if defined(BLEMON_HAVE_MARIADB)
#include "blemon/mariadb/mariadb_report_store.h"
#endif

namespace blemon::report {
namespace {

#if !defined(BLEMON_HAVE_MARIADB)
[[noreturn]] void NoMariaDb() {
  throw Refused(
      "database.backend = \"mariadb\" but this build has no MariaDB support; rebuild with "
      "-DBLEMON_WITH_MARIADB=ON and libmariadb-dev installed");
}
#endif

}  // namespace

std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings) {
  if (settings.backend == Backend::kMariaDb) {
#if defined(BLEMON_HAVE_MARIADB)
    return mariadb::OpenReportStore(settings);
#else
    NoMariaDb();
#endif
  }
  return sqlite::OpenReportStore(settings.path);
}

std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings) {
  if (settings.backend == Backend::kMariaDb) {
#if defined(BLEMON_HAVE_MARIADB)
    return mariadb::OpenAdminStore(settings);
#else
    NoMariaDb();
#endif
  }
  return sqlite::OpenAdminStore(settings.path);
}

}  // namespace blemon::report
