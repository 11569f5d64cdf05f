#pragma once

#include <optional>
#include <string_view>

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

}  // namespace blemon::mariadb
