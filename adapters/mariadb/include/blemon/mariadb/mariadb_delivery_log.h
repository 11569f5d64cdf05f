#pragma once

#include <memory>

#include "blemon/alerts.h"
#include "blemon/config.h"

namespace blemon::mariadb {

// The alert delivery log (blemon/alerts.h) on the MariaDB server of `settings` (tables
// alert_deliveries and alert_delivery_tries, schema version 14). Connects on first use; methods
// throw Unavailable when the server cannot be reached and Refused when the schema is older.
std::unique_ptr<DeliveryLog> OpenDeliveryLog(const DatabaseSettings& settings);

}  // namespace blemon::mariadb
