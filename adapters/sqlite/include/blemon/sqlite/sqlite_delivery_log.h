#pragma once

#include <memory>
#include <string>

#include "blemon/alerts.h"

namespace blemon::sqlite {

// The alert delivery log (blemon/alerts.h) in the store's SQLite database at `path` (tables
// alert_deliveries and alert_delivery_tries, schema version 14). Throws Unavailable when the file
// cannot be opened, Refused when it has no such tables (an older schema: run blemon-admin
// migrate).
std::unique_ptr<DeliveryLog> OpenDeliveryLog(const std::string& path);

}  // namespace blemon::sqlite
