#pragma once

#include <memory>

#include "blemon/config.h"
#include "blemon/ports.h"
#include "blemon/report_store.h"

namespace blemon::mariadb {

// The production Store over MariaDB Connector/C. Connects lazily and reconnects on its own:
// construction does not touch the server, so a monitor starts while the database is down. Each
// call throws Unavailable while the server cannot be reached, Refused when it answers no (access
// denied, schema missing, newer or unknown).
std::unique_ptr<Store> OpenStore(const DatabaseSettings& settings);

// Creates the schema or upgrades it in place to the newest version; safe to rerun. Returns the
// version before and after.
struct MigrationResult {
  int from_version = 0;  // -1: no blemon or seed tables at all
  int to_version = 0;
};
// `listener` (may be null) hears of each migration and may stop the run between two.
MigrationResult Migrate(const DatabaseSettings& settings, MigrationListener* listener = nullptr);

}  // namespace blemon::mariadb
