#pragma once

// Hourly rollups on SQLite (schema version 15, docs/database.md "Hourly rollups"): one row per
// monitor per UTC hour in hourly_rollups with what the hourly report shows of it. Triggers mark an
// hour stale (hourly_rollup_stale) whenever a write changes what it is made of; these functions
// recompute stale hours from device_sightings and tell a report whether it may read the rollups.
// The MariaDB adapter's hourly_rollups.h does the same on its dialect.

#include <optional>
#include <string>
#include <vector>

#include "blemon/report_store.h"
#include "connection.h"

namespace blemon::sqlite::internal {

// How many stale hours a processing transaction recomputes at most: the interval's own hour and
// the few a late row or a new link touched, and a bounded share of a backlog (newest first).
inline constexpr int kRollupHoursPerInterval = 24;

// The hourly aggregate over device_sightings ds (joined to monitors m, ble_devices d and
// address_links l), one row per (hour, monitor_id): hour_start (Unix seconds), monitor_id,
// unique_devices, total_sightings, rssi_sum, min_rssi, max_rssi, estimated_devices, then the five
// address-class counts (AddressClassCounts' order). Parameters: ?1 from, ?2 to (interval_start
// text, >= from and < to), ?4 the hour shift in seconds; `where_suffix` is spliced into the WHERE
// clause (the report's monitor filter, on m).
std::string HourlyAggregateSql(const std::string& where_suffix);

// Recomputes the stale hours, newest first, at most `max_hours` of them (all when negative), in
// the caller's write transaction: deletes their rollup rows, inserts them anew from
// device_sightings and clears their marks. Returns how many hours it recomputed. Throws like the
// connection.
int RefreshStaleRollups(Connection& db, int max_hours);

// Deletes the rollups and stale marks of the hours that end at or before `before` (Unix seconds),
// in the caller's write transaction: retention's step once those hours' sightings are gone.
void DeleteRollupsBefore(Connection& db, long long before);

// The filter's hourly rows from hourly_rollups when they are exactly the unrolled query's: the
// hours are UTC hours (hour_shift 0, span on whole UTC hours) and no hour of the span is stale.
// nullopt otherwise: the caller reads device_sightings. Rows in the report's order.
std::optional<std::vector<HourlyRow>> HourlyFromRollups(Connection& db, const ReportFilter& filter);

// Reads one row of the hourly report's result shape: monitor_name, location, hour_start (text),
// then the aggregate's columns from unique_devices on (HourlyAggregateSql's order).
HourlyRow HourlyRowOf(const Statement& row, const Connection& db);

}  // namespace blemon::sqlite::internal
