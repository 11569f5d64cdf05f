#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "blemon/errors.h"
#include "blemon/ports.h"
#include "connection.h"
#include "session.h"

namespace blemon::mariadb {

// The processor lease row with the server's clock, as the Store and the admin tool both read it:
// holder id, holder name, epoch, granted_at, expires_at, now (all times as Unix seconds) and the
// seconds left (0 once expired).
inline constexpr std::string_view kLeaseReadSql =
    "SELECT l.holder_monitor_id, m.monitor_name, l.epoch, UNIX_TIMESTAMP(l.granted_at), "
    "UNIX_TIMESTAMP(l.expires_at), UNIX_TIMESTAMP(NOW()), "
    "GREATEST(0, COALESCE(TIMESTAMPDIFF(SECOND, NOW(), l.expires_at), 0)) "
    "FROM processor_lease l LEFT JOIN monitors m ON m.monitor_id = l.holder_monitor_id "
    "WHERE l.lease_id = 1";

// A row of kLeaseReadSql as the lease's status.
inline LeaseStatus LeaseFromRow(const Row& row) {
  return {.holder = row.OptionalInt(0),
          .holder_name = row.Text(1),
          .epoch = row.Int(2),
          .claimed_at = row.OptionalTime(3),
          .expires_at = row.OptionalTime(4),
          .store_now = row.Time(5)};
}

// The lease's status; nullopt when the row the schema seeds is missing. Throws DbError
// (ER_NO_SUCH_TABLE on the original tool's schema, which has no lease table).
inline std::optional<LeaseStatus> ReadLeaseRow(Session& session) {
  const auto rows = session.Prepared(kLeaseReadSql).Query({});
  if (rows.empty()) return std::nullopt;
  return LeaseFromRow(rows[0]);
}

// Locks the lease row until the transaction ends and throws LeaseLost unless `monitor` holds it
// under `epoch`, unexpired (server's clock): every processing transaction calls it first, so the
// lease cannot change hands before it commits. `left` says what is left undone ("interval ...").
inline void CheckFence(Session& session, MonitorId monitor, std::int64_t epoch,
                       std::string_view left) {
  const auto lease = session
                         .Prepared(
                             "SELECT holder_monitor_id, epoch, expires_at > NOW() FROM "
                             "processor_lease WHERE lease_id = 1 FOR UPDATE")
                         .Query({});
  const bool holds = !lease.empty() && lease[0].OptionalInt(0) == monitor &&
                     lease[0].Int(1) == epoch && lease[0].Bool(2);
  if (holds) return;
  throw LeaseLost(fmt::format(
      "monitor {} no longer holds the processor lease under epoch {} (now: holder {}, epoch {}); "
      "{} left for the current processor",
      monitor, epoch, lease.empty() ? "none" : lease[0].OptionalText(0).value_or("none"),
      lease.empty() ? 0 : lease[0].Int(1), left));
}

}  // namespace blemon::mariadb
