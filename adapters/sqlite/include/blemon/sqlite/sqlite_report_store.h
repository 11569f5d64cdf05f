#pragma once

#include <memory>
#include <string>

#include "blemon/calibration_store.h"
#include "blemon/presence_store.h"
#include "blemon/report_store.h"

namespace blemon::sqlite {

// Reports and the dashboard on the SQLite file at `path`. Unlike OpenStore it never creates the
// file or the schema: a report on a file that is not there throws Unavailable naming the path, and
// one on a file without blemon's schema throws Refused saying to run a monitor or
// `blemon-admin migrate`. Reads run in their own read transactions, beside running monitors (WAL).
std::unique_ptr<ReportStore> OpenReportStore(const std::string& path);

// Maintenance of the SQLite file (blemon-admin). Opening never fails: Check() reports a missing
// file or schema as problems; Migrate() creates both.
std::unique_ptr<AdminStore> OpenAdminStore(const std::string& path);

// Presence on the SQLite file: the watch list, the processor's presence state and events, the
// presence reports. Throws Refused when the file has no presence tables (schema version 7).
std::unique_ptr<PresenceStore> OpenPresenceStore(const std::string& path);

// Calibration on the SQLite file: beacon observations, monitors' offsets and positions. Throws
// Refused when the file has no beacon_observations (schema version 13).
std::unique_ptr<CalibrationStore> OpenCalibrationStore(const std::string& path);

}  // namespace blemon::sqlite
