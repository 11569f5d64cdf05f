#pragma once

#include <fmt/format.h>

#include "blemon/errors.h"
#include "blemon/ports.h"
#include "connection.h"
#include "timestamps.h"

namespace blemon::sqlite::internal {

// The processor lease row as the Store and the admin tool both report it, with the file's own
// clock. Throws Refused when the row the schema seeds is gone.
inline LeaseStatus ReadLease(Connection& db) {
  auto lease = db.Prepare(
      "SELECT l.holder_monitor_id, m.monitor_name, l.epoch, l.granted_at, l.expires_at, "
      "datetime('now') "
      "FROM processor_lease l LEFT JOIN monitors m ON m.monitor_id = l.holder_monitor_id "
      "WHERE l.lease_id = 1");
  LeaseStatus status;
  if (!lease.Step()) {
    throw Refused(fmt::format(
        "SQLite database {}: the processor_lease row is missing; run blemon-admin check",
        db.path()));
  }
  status.holder = lease.OptionalInt(0);
  status.holder_name = lease.OptionalText(1).value_or("");
  status.epoch = lease.Int(2);
  status.claimed_at = ReadOptionalTime(lease, 3, db);
  status.expires_at = ReadOptionalTime(lease, 4, db);
  status.store_now = ReadTime(lease, 5, db);
  return status;
}

// Throws LeaseLost unless `monitor` holds an unexpired lease under `epoch` (the file's clock):
// every processing transaction checks it before it commits.
inline void CheckFence(Connection& db, MonitorId monitor, std::int64_t epoch) {
  auto fence = db.Prepare(
      "SELECT 1 FROM processor_lease WHERE lease_id = 1 AND holder_monitor_id = ?1 "
      "AND epoch = ?2 AND expires_at > datetime('now')");
  fence.Bind(1, monitor).Bind(2, epoch);
  if (!fence.Step()) {
    throw LeaseLost(fmt::format(
        "monitor {} no longer holds the processor lease under epoch {}; nothing was processed",
        monitor, epoch));
  }
}

}  // namespace blemon::sqlite::internal
