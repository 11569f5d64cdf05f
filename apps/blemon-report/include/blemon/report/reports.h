#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "blemon/report/render.h"
#include "blemon/report_store.h"

namespace blemon::report {

// The three reports of blemon-report as renderable data: columns, rows and the total line.
// `filter` is what was asked for and goes into the title.
Report HourlyReport(const std::vector<HourlyRow>& rows, const ReportFilter& filter);
Report MonitorsReport(const std::vector<MonitorSummary>& rows, const ReportFilter& filter);
Report DevicesReport(const std::vector<DeviceSummary>& rows, const ReportFilter& filter);

// The hourly rows of local clock hours: the span is asked of the store in pieces of one shift of
// the local hours against UTC (one piece, except where summer time moves the clock by half an
// hour), so zones with 30- and 45-minute offsets get their own hours.
std::vector<HourlyRow> LocalHourly(ReportStore& store, const ReportFilter& filter);

// The report `kind` ("hourly", "monitors" or "devices") read from `store`: what blemon-report
// prints and blemon-web serves, so the two cannot differ. nullopt for an unknown kind.
std::optional<Report> ReadReport(ReportStore& store, std::string_view kind,
                                 const ReportFilter& filter);

}  // namespace blemon::report
