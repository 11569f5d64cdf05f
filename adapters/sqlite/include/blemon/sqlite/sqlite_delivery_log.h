#pragma once

#include <memory>
#include <string>

#include "blemon/alerts.h"

namespace blemon::sqlite {

// The alert delivery log (blemon/alerts.h): a SQLite file in the processor's state directory
// (alerts.db), one row per try, kept for `keep_days`. `blemon-admin alerts` reads it. Throws
// Unavailable when the file cannot be opened or created, Refused when it is not one this blemon
// understands.
std::unique_ptr<DeliveryLog> OpenDeliveryLog(const std::string& path, int keep_days = 90);

}  // namespace blemon::sqlite
