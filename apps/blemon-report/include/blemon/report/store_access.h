#pragma once

#include <memory>

#include "blemon/config.h"
#include "blemon/report_store.h"

namespace blemon::report {

// The read and maintenance sides of the store the [database] section names, chosen as
// app::OpenConfiguredStore chooses the Store (no section: SQLite at database.path). Throws
// Refused when this build lacks the backend.
std::unique_ptr<ReportStore> OpenReportStore(const DatabaseSettings& settings);
std::unique_ptr<AdminStore> OpenAdminStore(const DatabaseSettings& settings);

}  // namespace blemon::report
