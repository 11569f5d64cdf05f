#pragma once

// Thin RAII layer over Connector/C: a connection configured as blemon needs it, prepared
// statements with simple value binding and typed result rows, a transaction guard, and the one
// place where Connector/C errors become blemon's Unavailable / Refused. Nothing here retries or
// caches: session.h does both, for every store.

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "blemon/config.h"
#include "blemon/time.h"

namespace blemon::mariadb {

// A Connector/C or server error as it came, before translation. Internal to the adapter.
class DbError : public std::runtime_error {
 public:
  DbError(unsigned code, std::string sqlstate, const std::string& message);
  unsigned code() const { return code_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  unsigned code_;
  std::string sqlstate_;
};

// The connection is gone (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR,
// CR_SERVER_LOST and their server-side cousins): reconnect, retry.
bool IsConnectionLost(unsigned code);
// Deadlock or lock wait timeout: the transaction was rolled back and may simply be retried. On a
// Galera cluster this includes a lost certification (a conflicting write committed first on
// another node) and a brute-force abort, both reported as 1213.
bool IsTransientConflict(unsigned code);
// The server answers but its node cannot serve: a Galera node that is joining, desynced or cut off
// from the primary component (1047 "WSREP has not yet prepared node for application use"), or a
// commit that failed because quorum was lost (1180). Go to another node of database.hosts.
bool IsNodeUnusable(unsigned code);

// The translator: what happened, to what, and what to do, as Unavailable (retry later) or Refused
// (retrying will not help). `doing` says what blemon was doing, `where` names the server.
[[noreturn]] void ThrowTranslated(const DbError& error, std::string_view doing,
                                  std::string_view where);

// Values bound to statement parameters.
using Value = std::variant<std::monostate, long long, std::string>;

// Times cross the wire as Unix seconds (UNIX_TIMESTAMP / FROM_UNIXTIME), so neither the session
// time zone nor text formats can shift them. TIMESTAMP columns hold 1970-01-01 00:00:01 ..
// 2038-01-19 03:14:07 UTC and FROM_UNIXTIME beyond that is NULL, so ToDb clamps to that range.
long long ToDb(UtcTime t);

// One result row, its columns (0-based, in SELECT order) read as the type the caller expects.
// Every column crosses the wire as text; the readers convert, and throw std::invalid_argument if
// the server sent something else (a bug in the SQL, not a condition to handle).
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> columns) : columns_(std::move(columns)) {}

  bool IsNull(std::size_t column) const { return !columns_.at(column); }
  // An integer column; NULL reads as 0.
  long long Int(std::size_t column) const;
  std::optional<long long> OptionalInt(std::size_t column) const;
  // A text column; NULL reads as "".
  std::string Text(std::size_t column) const { return columns_.at(column).value_or(""); }
  const std::optional<std::string>& OptionalText(std::size_t column) const {
    return columns_.at(column);
  }
  // A boolean or integer column: anything but 0 (and NULL) is true.
  bool Bool(std::size_t column) const { return Int(column) != 0; }
  // A UNIX_TIMESTAMP column; NULL reads as the epoch.
  UtcTime Time(std::size_t column) const { return UtcTime(Seconds(Int(column))); }
  std::optional<UtcTime> OptionalTime(std::size_t column) const;

 private:
  std::vector<std::optional<std::string>> columns_;
};

class Connection;

// A prepared statement. Execute() and Query() throw DbError.
class Statement {
 public:
  Statement(MYSQL* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Runs the statement; returns the affected rows.
  std::uint64_t Execute(const std::vector<Value>& params);
  // Runs a statement that returns rows.
  std::vector<Row> Query(const std::vector<Value>& params);
  // Runs a statement that returns exactly one row (an aggregate, a session variable); a statement
  // that returns none is a bug in the SQL and throws std::out_of_range.
  Row QueryOne(const std::vector<Value>& params) { return Query(params).at(0); }

  MYSQL_STMT* raw() { return stmt_; }
  [[noreturn]] void Fail();
  // Reads and discards the result sets after the current one (a CALL ends with one of its own).
  void DrainResults();

 private:
  void BindParams(const std::vector<Value>& params);
  MYSQL_STMT* stmt_;
  std::vector<MYSQL_BIND> binds_;
  std::vector<long long> ints_;
  std::vector<unsigned long> lengths_;
};

// One session with the server, set up for blemon: utf8mb4, UTC session time zone, READ COMMITTED,
// no automatic reconnect (we reconnect ourselves so statements are re-prepared and the interrupted
// work retried). "localhost" (or an empty host) means the Unix socket, as with the mysql client.
//
// With database.hosts (a Galera cluster) the servers are tried in turn, starting at index
// `first_server` of ServersOf(settings) and wrapping around: a server that cannot be reached, or
// whose node reports wsrep_ready = OFF (joining, or cut off from the primary component), is
// skipped. server_index() says which one answered.
class Connection {
 public:
  // Connects; throws the last server's DbError when none can serve, or Refused when the settings
  // themselves are unusable (unreadable password_file). Errors that another server would answer
  // the same way (access denied, unknown database) are thrown at once.
  explicit Connection(const DatabaseSettings& settings, bool select_database = true,
                      std::size_t first_server = 0);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  MYSQL* raw() { return db_; }
  // The index into ServersOf(settings) of the server this connection reached.
  std::size_t server_index() const { return server_index_; }
  // Runs a statement that carries no values (transaction control, DDL of migrations).
  void ExecuteText(std::string_view sql);
  [[noreturn]] void Fail();

 private:
  // Connects to one server; on failure db_ is null and the error is thrown.
  void Open(const DatabaseSettings& settings, const DatabaseServer& server, bool select_database);
  // Throws DbError 1047 when the server is a Galera node that is not ready for clients.
  void RequireReadyNode();

  MYSQL* db_ = nullptr;
  std::size_t server_index_ = 0;
};

// Names the server for messages: "MariaDB at 127.0.0.1:3306", "MariaDB at socket /run/…", or for
// database.hosts "MariaDB cluster 10.0.0.1:3306, 10.0.0.2:3306, 10.0.0.3:3306".
std::string DescribeServer(const DatabaseSettings& settings);
// The password, from password_file when one is given (first line, without the line end).
std::string ResolvePassword(const DatabaseSettings& settings);

// Starts a transaction; rolls it back on destruction unless Commit() was called (Kea's
// MySqlTransaction). Rollback errors are swallowed: the connection is probably gone anyway.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace blemon::mariadb
