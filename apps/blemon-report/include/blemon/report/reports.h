#pragma once

#include <vector>

#include "blemon/report/render.h"
#include "blemon/report_store.h"

namespace blemon::report {

// The three reports of blemon-report as renderable data: columns, rows and the total line.
// `filter` is what was asked for and goes into the title.
Report HourlyReport(const std::vector<HourlyRow>& rows, const ReportFilter& filter);
Report MonitorsReport(const std::vector<MonitorSummary>& rows, const ReportFilter& filter);
Report DevicesReport(const std::vector<DeviceSummary>& rows, const ReportFilter& filter);

}  // namespace blemon::report
