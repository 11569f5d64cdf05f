#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "blemon/presence.h"
#include "blemon/presence_store.h"
#include "blemon/report/render.h"
#include "blemon/report_store.h"

namespace blemon::report {

// The presence reports (docs/presence.md) as renderable data.
//   occupancy  per room, all devices and each class: the mean and the most devices over the
//              intervals presence ran for in the span (a room absent from one counts 0 there)
//   visits     per watched device and room: visits that started in the span, their dwell time
//              and the longest, in minutes; a visit still open ends at `open_until`
//   presence   the arrive, leave and room_change events of the span, oldest first
Report OccupancyReport(const std::vector<OccupancyRow>& rows, const ReportFilter& filter);
Report VisitsReport(const std::vector<PresenceEvent>& events, UtcTime open_until,
                    const ReportFilter& filter);
Report PresenceReport(const std::vector<PresenceEvent>& events, const ReportFilter& filter);

// Whether `kind` is one of the presence reports.
bool IsPresenceReport(std::string_view kind);
// The presence report `kind` read from `store`; nullopt for another kind. `interval_length` is the
// fleet's: an open visit lasts until the end of the last interval presence ran for (or the span's
// end, if earlier).
std::optional<Report> ReadPresenceReport(PresenceStore& store, std::string_view kind,
                                         const ReportFilter& filter, Seconds interval_length);

}  // namespace blemon::report
