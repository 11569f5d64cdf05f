#include "connection.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>
#include <utility>

#include "blemon/errors.h"

namespace blemon::sqlite::internal {

void ThrowSqliteError(int rc, sqlite3* db, std::string_view path, std::string_view doing) {
  const int primary = rc & 0xff;
  // sqlite3_errmsg describes the connection's most recent failure, which is this one as long as
  // we are called right after it; fall back to the generic text for the code.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string what =
      fmt::format("SQLite database {}: {} failed: {} (code {})", path, doing, detail, rc);
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Unavailable(
          fmt::format("{}; another process held the database longer than {} s, retrying later",
                      what, kBusyTimeoutMs / 1000));
    case SQLITE_CANTOPEN:
      throw Unavailable(fmt::format("{}; check that the directory exists and is writable", what));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
    case SQLITE_NOLFS:
      throw Unavailable(what);
    case SQLITE_NOTADB:
      throw Refused(
          fmt::format("{}; the file is not a SQLite database, point database.path "
                      "elsewhere",
                      what));
    case SQLITE_CORRUPT:
      throw Refused(fmt::format("{}; the database is damaged, restore it from a backup", what));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      throw Refused(fmt::format("{}; check the file's permissions", what));
    default:
      throw Refused(what);
  }
}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::BindInt64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) connection_->Fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the text, so temporaries may be bound.
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) connection_->Fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) connection_->Fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) connection_->Fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::BindBlob(int index, const void* data, std::size_t size) {
  const int rc =
      sqlite3_bind_blob64(stmt_, index, data, static_cast<sqlite3_uint64>(size), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) connection_->Fail(rc, "binding a parameter");
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_->Fail(rc, fmt::format("running \"{}\"", sqlite3_sql(stmt_)));
}

void Statement::Run() {
  while (Step()) {
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::optional<std::int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  // Column bytes, not strlen: the text is returned exactly as stored.
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::unique_ptr<Connection> Connection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // Keep the message before closing the half-open handle.
    try {
      ThrowSqliteError(rc, db, path, "opening");
    } catch (...) {
      sqlite3_close_v2(db);
      throw;
    }
  }
  std::unique_ptr<Connection> connection(new Connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // WAL lets readers (reports, the dashboard) run while a monitor writes, and several monitor
  // processes share the file; the mode is persistent, so this only changes a new file. FULL
  // makes every commit durable against power loss, not only against a crashed process: a monitor
  // drops a batch from its spool once the store committed it, so a commit must mean it.
  connection->SwitchToWal();
  connection->Execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                      "setting connection options");
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Statement Connection::Prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) Fail(rc, fmt::format("preparing \"{}\"", sql));
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(*this, it->second);
}

void Connection::SwitchToWal() {
  // Changing the journal mode needs an exclusive lock, and when several processes open a fresh
  // file at once SQLite can answer SQLITE_BUSY at once, without consulting the busy handler:
  // retry for as long as the busy timeout would have waited.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    const int primary = rc & 0xFF;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= give_up) {
      Fail(rc, "switching to WAL mode");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Connection::Execute(std::string_view sql, std::string_view doing) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Fail(rc, doing);
}

WriteTransaction::WriteTransaction(Connection& connection) : connection_(connection) {
  connection_.Execute("BEGIN IMMEDIATE", "starting a write transaction");
}

WriteTransaction::~WriteTransaction() {
  if (open_) sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void WriteTransaction::Commit() {
  connection_.Execute("COMMIT", "committing");
  open_ = false;
}

bool HasTable(Connection& db, std::string_view table) {
  auto has = db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  has.Bind(1, table);
  has.Step();
  return has.Int(0) > 0;
}

}  // namespace blemon::sqlite::internal
