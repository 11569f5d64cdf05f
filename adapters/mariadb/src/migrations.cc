#include "migrations.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <thread>

#include "blemon/errors.h"
#include "sql_script.h"

namespace blemon::mariadb {
namespace {

bool TableExists(Connection& db, const std::string& table) {
  Statement query(db.raw(),
                  "SELECT COUNT(*) FROM information_schema.tables "
                  "WHERE table_schema = DATABASE() AND table_name = ?");
  return query.QueryOne({table}).Int(0) != 0;
}

const Migration* Find(int version) {
  for (const auto& m : Migrations()) {
    if (m.version == version) return &m;
  }
  return nullptr;
}

// Runs `statement` (a callable), again when it fails with a deadlock. On Galera a schema change
// replicated from another node (another migrator's CREATE … IF NOT EXISTS, in total order)
// aborts local statements that touch the same table or database with 1213; the aborted statement
// had no effect, so running it again is exactly right. Bounded: 6 tries over about 3 s.
template <typename Statement>
auto RetryConflicts(Statement&& statement) {
  for (int attempt = 0;; ++attempt) {
    try {
      return statement();
    } catch (const DbError& e) {
      if (!IsTransientConflict(e.code()) || attempt >= 5) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100) * (1 << attempt));
    }
  }
}

// The migration lock: a row taken by one conditional UPDATE, like the processor lease. Not
// GET_LOCK, which a Galera cluster keeps per node (two migrators on two nodes would both get it);
// an UPDATE of one row is certified cluster-wide, so exactly one of any number of simultaneous
// migrators, on any nodes, holds it. It expires, so a migrator killed mid-way does not block the
// next one for longer than kMigrationLockTtl; a live one renews it before every migration. One
// killed while connected to the same server as the next one, with the same account, is seen to be
// gone (its connection id no longer in the process list) and its lock taken at once.
// Released however the migration ends.
class MigrationLock {
 public:
  explicit MigrationLock(Connection& db) : db_(db), token_(UniqueToken(db)) {
    CreateLockRow();
    const auto deadline = std::chrono::steady_clock::now() + kMigrationLockWait;
    while (!TryTake()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Unavailable(fmt::format(
            "another blemon-admin migrate has held the migration lock for {} s (holder {}); try "
            "later",
            kMigrationLockWait.count(), Holder()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  ~MigrationLock() {
    try {
      Statement release(db_.raw(),
                        "UPDATE schema_migration_lock SET holder = NULL, expires_at = NULL "
                        "WHERE lock_id = 1 AND holder = ?");
      release.Execute({token_});
    } catch (const DbError&) {
      // The connection is gone: the lock expires by itself.
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  // Extends the lock before a migration; throws Unavailable if another migrator took it meanwhile
  // (this one stalled for longer than the TTL).
  void Renew() {
    Statement renew(db_.raw(),
                    "UPDATE schema_migration_lock SET expires_at = NOW() + INTERVAL ? SECOND "
                    "WHERE lock_id = 1 AND holder = ?");
    RetryConflicts([&] {
      return renew.Execute({static_cast<long long>(kMigrationLockTtl.count()), token_});
    });
    if (Holder() != token_) {
      throw Unavailable(
          "the migration lock expired and another blemon-admin migrate took it; "
          "run migrate again once it is done");
    }
  }

 private:
  static constexpr std::chrono::seconds kMigrationLockTtl{600};
  static constexpr std::chrono::seconds kMigrationLockWait{120};

  // Who holds the lock, for the row and for messages: host, process and a random part, since
  // connection ids repeat across the nodes of a cluster; then, after " conn ", the database
  // server (host, port, a checksum of its data directory: several nodes may share a host) and the
  // connection id there, so that a migrator on the same server can tell a holder that was killed
  // (its connection gone) from a live one instead of waiting out the TTL.
  static std::string UniqueToken(Connection& db) {
    std::array<char, 256> host{};
    gethostname(host.data(), host.size() - 1);
    std::random_device random;
    Statement where(db.raw(), kServerConnectionSql);
    const Row server = where.QueryOne({});
    return fmt::format("{} pid {} #{:08x} conn {}", host.data(), getpid(), random(),
                       server.Text(0));
  }

  // "host:port:crc32(datadir):crc32(account):connection id" of this session on its server. The
  // account is there because without the PROCESS privilege a session sees only its own account's
  // connections: a holder of another account is never taken for gone.
  static constexpr std::string_view kServerConnectionSql =
      "SELECT CONCAT(@@hostname, ':', @@port, ':', CRC32(@@datadir), ':', CRC32(CURRENT_USER()), "
      "':', CONNECTION_ID())";

  // The runner's own bookkeeping (like schema_version): it must exist before any migration runs.
  // Created only when missing: on Galera even a CREATE TABLE IF NOT EXISTS of an existing table
  // runs in total order and would abort the current holder's statements on that table.
  void CreateLockRow() {
    if (!TableExists(db_, "schema_migration_lock")) {
      db_.ExecuteText(
          "CREATE TABLE IF NOT EXISTS schema_migration_lock ("
          " lock_id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
          " holder VARCHAR(200) NULL DEFAULT NULL,"
          " expires_at TIMESTAMP NULL DEFAULT NULL"
          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
    }
    RetryConflicts([&] {
      db_.ExecuteText("INSERT IGNORE INTO schema_migration_lock (lock_id) VALUES (1)");
      return 0;
    });
  }

  bool TryTake() {
    Statement take(db_.raw(),
                   "UPDATE schema_migration_lock SET holder = ?, "
                   "expires_at = NOW() + INTERVAL ? SECOND "
                   "WHERE lock_id = 1 AND (holder IS NULL OR expires_at IS NULL "
                   "OR expires_at <= NOW() "
                   // Held through this server by a connection that is gone: a killed migrator.
                   "OR (SUBSTRING_INDEX(holder, ' conn ', -1) LIKE "
                   "CONCAT(@@hostname, ':', @@port, ':', CRC32(@@datadir), ':', "
                   "CRC32(CURRENT_USER()), ':%') "
                   "AND SUBSTRING_INDEX(holder, ':', -1) NOT IN "
                   "(SELECT CAST(id AS CHAR) FROM information_schema.processlist)))");
    try {
      return take.Execute({token_, static_cast<long long>(kMigrationLockTtl.count())}) == 1;
    } catch (const DbError& e) {
      // Lost certification to another node's migrator: that one has it.
      if (IsTransientConflict(e.code())) return false;
      throw;
    }
  }

  std::string Holder() {
    Statement holder(db_.raw(), "SELECT holder FROM schema_migration_lock WHERE lock_id = 1");
    const auto rows = RetryConflicts([&] { return holder.Query({}); });
    return rows.empty() ? std::string("(none)") : rows[0].Text(0);
  }

  Connection& db_;
  std::string token_;
};

}  // namespace

bool SchemaExists(Connection& db, const std::string& database) {
  Statement query(db.raw(),
                  "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?");
  return query.QueryOne({database}).Int(0) != 0;
}

int LatestSchemaVersion() { return Migrations().back().version; }

int InstalledSchemaVersion(Connection& db) {
  const bool seed = TableExists(db, "monitors");
  if (!TableExists(db, "schema_version")) return seed ? 0 : -1;
  Statement query(db.raw(), "SELECT version, name FROM schema_version ORDER BY version");
  int installed = seed ? 0 : -1;
  for (const auto& row : query.Query({})) {
    const int version = static_cast<int>(row.Int(0));  // the primary key: never NULL
    const std::string name = row.Text(1);
    const Migration* known = Find(version);
    if (known == nullptr && version > LatestSchemaVersion()) {
      throw Refused(fmt::format(
          "the database schema is at version {} ({}), newer than this blemon knows (up to {}): "
          "upgrade blemon on this machine",
          version, name, LatestSchemaVersion()));
    }
    if (known == nullptr || known->name != name) {
      throw Refused(fmt::format(
          "the database's schema_version lists version {} as '{}', which this blemon does not "
          "know (its version {} is '{}'): the database was migrated by a different blemon; use "
          "that build or restore the database",
          version, name, version, known ? known->name : std::string_view("(none)")));
    }
    installed = std::max(installed, version);
  }
  return installed;
}

void RequireCurrentSchema(Connection& db, std::string_view database) {
  const int installed = InstalledSchemaVersion(db);
  if (installed == LatestSchemaVersion()) return;
  if (installed < 0) {
    throw Refused(
        fmt::format("database '{}' has no blemon schema: run `blemon-admin migrate`", database));
  }
  throw Refused(fmt::format(
      "database '{}' is at schema version {}, this blemon needs version {}: run `blemon-admin "
      "migrate` (changes are additive; the original tool keeps working)",
      database, installed, LatestSchemaVersion()));
}

MigrationResult ApplyMigrations(Connection& db, MigrationListener* listener) {
  MigrationLock lock(db);
  MigrationResult result;
  result.from_version = InstalledSchemaVersion(db);
  result.to_version = result.from_version;
  // The runner's own bookkeeping, so it exists before the first migration is recorded.
  db.ExecuteText(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INT NOT NULL PRIMARY KEY,"
      " name VARCHAR(100) NOT NULL,"
      " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
  Statement record(db.raw(), "INSERT IGNORE INTO schema_version (version, name) VALUES (?, ?)");
  if (result.from_version == 0) {
    // The original tool's schema found in place: recorded as version 0, not re-run.
    RetryConflicts([&] { return record.Execute({0LL, std::string(Migrations().front().name)}); });
  }
  const auto& all = Migrations();
  const int count = static_cast<int>(std::count_if(
      all.begin(), all.end(), [&](const Migration& m) { return m.version > result.from_version; }));
  int index = 0;
  for (const Migration& m : all) {
    if (m.version <= result.from_version) continue;
    if (listener != nullptr && listener->StopRequested()) break;
    lock.Renew();
    const std::vector<std::string> statements = SplitSqlScript(m.sql);
    if (listener != nullptr) {
      listener->Started(++index, count, m.version, m.name, static_cast<int>(statements.size()));
    }
    for (const std::string& statement : statements) {
      try {
        RetryConflicts([&] {
          db.ExecuteText(statement);
          return 0;
        });
      } catch (const DbError& e) {
        throw DbError(e.code(), e.sqlstate(),
                      fmt::format("{} [migration {}: {:.120}]", e.what(), m.name, statement));
      }
      if (listener != nullptr) listener->StatementDone();
    }
    RetryConflicts([&] {
      return record.Execute({static_cast<long long>(m.version), std::string(m.name)});
    });
    result.to_version = m.version;
    if (listener != nullptr) listener->Finished();
  }
  return result;
}

}  // namespace blemon::mariadb
