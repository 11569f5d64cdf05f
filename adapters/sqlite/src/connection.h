#pragma once

// A thin, owned layer over one sqlite3 connection, shared by the Store and the Spool: opening with
// the pragmas both rely on, a per-connection cache of prepared statements, immediate write
// transactions, and the one place SQLite result codes become blemon exceptions.

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace blemon::sqlite::internal {

// Translates a SQLite result code into Unavailable (busy past the timeout, cannot open, I/O error,
// disk full, out of memory: retrying later may work) or Refused (not a database, corrupt, read
// only, constraint or SQL errors: retrying will not help). `doing` says what we were doing.
[[noreturn]] void ThrowSqliteError(int rc, sqlite3* db, std::string_view path,
                                   std::string_view doing);

class Connection;

// A cached prepared statement in use. Bind parameters are 1-based, columns 0-based, as in SQLite.
// Resets the statement (and clears its bindings) when it goes out of scope, so the cache can hand
// it out again and no read transaction is left open.
class Statement {
 public:
  Statement(Connection& connection, sqlite3_stmt* stmt) : connection_(&connection), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  template <std::integral T>
  Statement& Bind(int index, T value) {
    return BindInt64(index, static_cast<std::int64_t>(value));
  }
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, double value);
  // nullopt binds NULL.
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }
  Statement& BindNull(int index);
  // Binds `size` bytes as a BLOB (copied by SQLite).
  Statement& BindBlob(int index, const void* data, std::size_t size);

  // Steps once: true when a row is available, false when the statement is done.
  bool Step();
  // Steps to completion, ignoring rows.
  void Run();

  bool IsNull(int column) const;
  std::int64_t Int(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  Statement& BindInt64(int index, std::int64_t value);

  Connection* connection_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if missing) the file in WAL mode with a busy timeout, extended result codes,
  // foreign keys and synchronous=FULL. Throws Unavailable or Refused.
  static std::unique_ptr<Connection> Open(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A statement prepared once per connection and cached by its text.
  Statement Prepare(std::string_view sql);
  // Puts the file in WAL mode (persistent), waiting out other processes doing the same.
  void SwitchToWal();
  // Runs one or more statements without parameters (pragmas, DDL, transaction control).
  void Execute(std::string_view sql, std::string_view doing);
  int Changes() const { return sqlite3_changes(db_); }
  std::int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

  [[noreturn]] void Fail(int rc, std::string_view doing) const {
    ThrowSqliteError(rc, db_, path_, doing);
  }
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// BEGIN IMMEDIATE: takes the write lock up front (waiting up to the busy timeout), so two writers
// never both hold read snapshots they then try to upgrade, the deadlock WAL answers with BUSY.
// Rolls back unless Commit() was called.
class WriteTransaction {
 public:
  explicit WriteTransaction(Connection& connection);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void Commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// The wait for another connection's write lock before SQLITE_BUSY, and so before Unavailable.
inline constexpr int kBusyTimeoutMs = 5000;

// Whether the file has a table of that name (schema_version tells a blemon file from others).
bool HasTable(Connection& db, std::string_view table);

}  // namespace blemon::sqlite::internal
