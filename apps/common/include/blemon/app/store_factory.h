#pragma once

#include <memory>
#include <string>

#include "blemon/config.h"
#include "blemon/ports.h"

namespace blemon::app {

// Opens the store the [database] section asks for: no section, or backend "sqlite", gives the
// embedded SQLite store at `settings.path` (default ./blemon.db, relative to the working
// directory); backend "mariadb" gives the MariaDB store, which connects lazily so that a monitor
// starts while the server is down. Throws Unavailable when the store cannot be opened at all and
// Refused when this build lacks the backend or the store refuses us.
std::unique_ptr<Store> OpenConfiguredStore(const DatabaseSettings& settings);

// One line for the log saying which store is used, e.g. "MariaDB ble_monitor on 127.0.0.1:3306 as
// ble_user" or "SQLite blemon.db". Never contains the password.
std::string DescribeStore(const DatabaseSettings& settings);

}  // namespace blemon::app
