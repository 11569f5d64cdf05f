#pragma once

// Hourly rollups on MariaDB (schema version 15, docs/database.md "Hourly rollups"): one row per
// monitor per UTC hour in hourly_rollups with what the hourly report shows of it. Triggers mark an
// hour stale (hourly_rollup_stale) whenever a write changes what it is made of; these functions
// recompute stale hours from device_sightings and tell a report whether it may read the rollups.
// The SQLite adapter's hourly_rollups.h does the same on its dialect.

#include <string>

#include "blemon/report_store.h"
#include "session.h"

namespace blemon::mariadb {

// The hourly aggregate over device_sightings, one row per (hour, monitor_id): hour_start (Unix
// seconds), monitor_id, unique_devices, total_sightings, rssi_sum, min_rssi, max_rssi,
// estimated_devices, then the five address-class counts (AddressClassCounts' order). Parameters:
// the hour shift in seconds (twice), then from and to (Unix seconds, interval_start >= from and
// < to). `force_interval_index`: read device_sightings by idx_interval (spans up to a month).
std::string HourlyAggregateSql(bool force_interval_index);

// How many stale hours a processing transaction recomputes at most: the interval's own hour and
// the few a late row or a new link touched, and a bounded share of a backlog (newest first).
inline constexpr int kRollupHoursPerInterval = 24;

// While it lives, the sighting triggers of this session skip rows of `interval`'s hour (the
// session variable @blemon_rollup_hour): each costs about 0.1 ms a row, too much for the thousands
// an interval's processing writes. The constructor marks the hour stale itself, so the caller's
// transaction must recompute it (RefreshStaleRollups) before it commits; the destructor (also on
// an exception) lets the triggers mark every hour again. Throws like the session's statements.
class RollupHourScope {
 public:
  RollupHourScope(Session& session, UtcTime interval);
  ~RollupHourScope();
  RollupHourScope(const RollupHourScope&) = delete;
  RollupHourScope& operator=(const RollupHourScope&) = delete;

 private:
  Session& session_;
};

// Recomputes the stale hours, newest first, at most `max_hours` of them (all when negative), in
// the caller's transaction: deletes their rollup rows, inserts them anew from device_sightings
// and clears their marks. Returns how many hours it recomputed. Throws like the session's
// statements.
int RefreshStaleRollups(Session& session, int max_hours);

// Deletes the rollups and stale marks of the hours that end at or before `before` (Unix seconds),
// in the caller's transaction: retention's step once those hours' sightings are gone.
void DeleteRollupsBefore(Session& session, long long before);

// The filter's hourly rows from hourly_rollups when they are exactly the unrolled query's: the
// hours are UTC hours (hour_shift 0, span on whole UTC hours), no hour of the span is stale and
// the table exists. nullopt otherwise: the caller reads device_sightings. Rows in the report's
// order, as the unrolled query gives them.
std::optional<std::vector<HourlyRow>> HourlyFromRollups(Session& session,
                                                        const ReportFilter& filter);

// Reads one row of the hourly report's result shape: monitor_name, location, hour_start, then
// the aggregate's columns from unique_devices on (HourlyAggregateSql's order).
HourlyRow HourlyRowOf(const Row& row);

}  // namespace blemon::mariadb
