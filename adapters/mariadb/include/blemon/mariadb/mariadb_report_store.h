#pragma once

#include <memory>

#include "blemon/calibration_store.h"
#include "blemon/config.h"
#include "blemon/presence_store.h"
#include "blemon/report_store.h"

namespace blemon::mariadb {

// Reports and the dashboard over MariaDB. Connects lazily and again after the server was away:
// each call throws Unavailable while it cannot reach the server (the dashboard shows that and
// keeps refreshing) and Refused when the server says no. Reports read only the original tool's
// tables, so they also work on a database the original tool still writes.
std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings);

// Maintenance over MariaDB (blemon-admin). Check() never throws for connection problems: it turns
// them into a diagnosis.
std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings);

// Presence over MariaDB: the watch list, the processor's presence state and events, the presence
// reports. Connects lazily like the Store, and needs the current schema (version 7).
std::unique_ptr<PresenceStore> OpenPresenceStore(const DatabaseSettings& settings);

// Calibration over MariaDB: beacon observations, the monitors' offsets and positions. Connects
// lazily like the Store, and needs the current schema (version 13).
std::unique_ptr<CalibrationStore> OpenCalibrationStore(const DatabaseSettings& settings);

}  // namespace blemon::mariadb
