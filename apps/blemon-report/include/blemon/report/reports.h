#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "blemon/report/render.h"
#include "blemon/report_store.h"

namespace blemon::report {

// The reports of blemon-report as renderable data: columns, rows and the total line.
// `filter` is what was asked for and goes into the title.
Report HourlyReport(const std::vector<HourlyRow>& rows, const ReportFilter& filter);
Report MonitorsReport(const std::vector<MonitorSummary>& rows, const ReportFilter& filter);
Report DevicesReport(const std::vector<DeviceSummary>& rows, const ReportFilter& filter);
// Per stable room per local hour: the devices whose stable room it was, split by the best
// confidence of their sightings there, and the sightings a monitor of another room won raw.
Report RoomsReport(const std::vector<RoomHourRow>& rows, const ReportFilter& filter);

// The hourly rows of local clock hours: the span is asked of the store in pieces of one shift of
// the local hours against UTC (one piece, except where summer time moves the clock by half an
// hour), so zones with 30- and 45-minute offsets get their own hours.
std::vector<HourlyRow> LocalHourly(ReportStore& store, const ReportFilter& filter);
// The rooms report's rows in local clock hours, read as LocalHourly reads the hourly rows.
std::vector<RoomHourRow> LocalRoomHours(ReportStore& store, const ReportFilter& filter);

// Whether the report `kind` counts by the hour (hourly, rooms): without dates it covers the last
// 24 clock hours, the other reports the last N hours.
bool ByTheHour(std::string_view kind);

// Whether the report `kind` filters on ReportFilter::confidence (rooms, devices).
bool HonoursConfidence(std::string_view kind);

// The report `kind` ("hourly", "monitors", "devices" or "rooms") read from `store`: what
// blemon-report prints and blemon-web serves, so the two cannot differ. nullopt for an unknown
// kind.
std::optional<Report> ReadReport(ReportStore& store, std::string_view kind,
                                 const ReportFilter& filter);

}  // namespace blemon::report
