#include "connection.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "blemon/errors.h"

namespace blemon::mariadb {

DbError::DbError(unsigned code, std::string sqlstate, const std::string& message)
    : std::runtime_error(message), code_(code), sqlstate_(std::move(sqlstate)) {}

namespace {

// ER_CLIENT_INTERACTION_TIMEOUT of MariaDB 10.11 and later: the server closed an idle session.
// Debian 12's mysqld_error.h predates it (its 4031 is another, unrelated name).
constexpr unsigned kErClientInteractionTimeout = 4031;

}  // namespace

bool IsConnectionLost(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:  // socket refused
    case CR_CONN_HOST_ERROR:   // TCP refused or unreachable
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case kErClientInteractionTimeout:
      return true;
    default:
      return false;
  }
}

bool IsTransientConflict(unsigned code) {
  return code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT;
}

bool IsNodeUnusable(unsigned code) {
  // Galera reports a node that is not ready with ER_UNKNOWN_COM_ERROR (SQLSTATE 08S01).
  return code == ER_UNKNOWN_COM_ERROR || code == ER_ERROR_DURING_COMMIT;
}

void ThrowTranslated(const DbError& error, std::string_view doing, std::string_view where) {
  const unsigned code = error.code();
  const std::string detail = fmt::format("{} (error {})", error.what(), code);
  if (IsConnectionLost(code) || IsTransientConflict(code) || IsNodeUnusable(code) ||
      code == CR_UNKNOWN_HOST || code == ER_CON_COUNT_ERROR ||
      code == ER_TOO_MANY_USER_CONNECTIONS ||
      code == ER_OPTION_PREVENTS_STATEMENT /* read-only replica during failover */) {
    throw Unavailable(fmt::format("{} unavailable while {}: {}; will retry", where, doing, detail));
  }
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_PROCACCESS_DENIED_ERROR:
      throw Refused(
          fmt::format("{} refused access while {}: {}; check database.user, the password "
                      "and the user's grants",
                      where, doing, detail));
    case ER_BAD_DB_ERROR:
      throw Refused(
          fmt::format("{}: {}; create the database and run `blemon-admin migrate`", where, detail));
    case ER_NO_SUCH_TABLE:
    case ER_SP_DOES_NOT_EXIST:
    case ER_BAD_FIELD_ERROR:
      throw Refused(
          fmt::format("{}: the blemon schema is missing or incomplete while {}: {}; run "
                      "`blemon-admin migrate`",
                      where, doing, detail));
    case CR_SSL_CONNECTION_ERROR:  // includes certificate verification failures
      throw Refused(
          fmt::format("{}: TLS failed while {}: {}; check database.ssl_ca, ssl_cert, "
                      "ssl_key and the server's certificate",
                      where, doing, detail));
    default:
      throw Refused(fmt::format("{} refused while {}: {}", where, doing, detail));
  }
}

// --- Statement ----------------------------------------------------------------------------------

Statement::Statement(MYSQL* db, std::string_view sql) : stmt_(mysql_stmt_init(db)) {
  if (stmt_ == nullptr) {
    throw DbError(mysql_errno(db), mysql_sqlstate(db), mysql_error(db));
  }
  if (mysql_stmt_prepare(stmt_, sql.data(), sql.size()) != 0) {
    DbError error(mysql_stmt_errno(stmt_), mysql_stmt_sqlstate(stmt_),
                  fmt::format("{} [preparing: {:.80}]", mysql_stmt_error(stmt_), sql));
    mysql_stmt_close(stmt_);
    throw error;
  }
}

Statement::~Statement() { mysql_stmt_close(stmt_); }

void Statement::Fail() {
  throw DbError(mysql_stmt_errno(stmt_), mysql_stmt_sqlstate(stmt_), mysql_stmt_error(stmt_));
}

void Statement::BindParams(const std::vector<Value>& params) {
  const unsigned long count = mysql_stmt_param_count(stmt_);
  if (params.size() != count) {
    throw std::logic_error(
        fmt::format("statement takes {} parameters, {} given", count, params.size()));
  }
  binds_.assign(count, MYSQL_BIND{});
  ints_.assign(count, 0);
  lengths_.assign(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    MYSQL_BIND& b = binds_[i];
    if (const auto* n = std::get_if<long long>(&params[i])) {
      ints_[i] = *n;
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &ints_[i];
    } else if (const auto* s = std::get_if<std::string>(&params[i])) {
      lengths_[i] = s->size();
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = const_cast<char*>(s->data());
      b.buffer_length = s->size();
      b.length = &lengths_[i];
    } else {
      b.buffer_type = MYSQL_TYPE_NULL;
    }
  }
  if (count > 0 && mysql_stmt_bind_param(stmt_, binds_.data()) != 0) Fail();
}

void Statement::DrainResults() {
  while (mysql_stmt_more_results(stmt_)) {
    const int rc = mysql_stmt_next_result(stmt_);
    if (rc > 0) Fail();
    if (rc < 0) return;
    if (mysql_stmt_field_count(stmt_) > 0) {
      if (mysql_stmt_store_result(stmt_) != 0) Fail();
      mysql_stmt_free_result(stmt_);
    }
  }
}

std::uint64_t Statement::Execute(const std::vector<Value>& params) {
  BindParams(params);
  if (mysql_stmt_execute(stmt_) != 0) Fail();
  const std::uint64_t affected = mysql_stmt_affected_rows(stmt_);
  if (mysql_stmt_field_count(stmt_) > 0) {
    if (mysql_stmt_store_result(stmt_) != 0) Fail();
    mysql_stmt_free_result(stmt_);
  }
  DrainResults();
  return affected == static_cast<std::uint64_t>(-1) ? 0 : affected;
}

std::vector<Row> Statement::Query(const std::vector<Value>& params) {
  BindParams(params);
  if (mysql_stmt_execute(stmt_) != 0) Fail();
  const unsigned columns = mysql_stmt_field_count(stmt_);
  std::vector<Row> rows;
  if (columns == 0) {
    DrainResults();
    return rows;
  }
  // Every column is fetched as text; a value longer than the buffer is fetched again whole.
  std::vector<MYSQL_BIND> out(columns);
  std::vector<std::string> buffers(columns, std::string(256, '\0'));
  std::vector<unsigned long> lengths(columns);
  std::vector<my_bool> nulls(columns);
  std::vector<my_bool> errors(columns);
  for (unsigned i = 0; i < columns; ++i) {
    out[i] = MYSQL_BIND{};
    out[i].buffer_type = MYSQL_TYPE_STRING;
    out[i].buffer = buffers[i].data();
    out[i].buffer_length = buffers[i].size();
    out[i].length = &lengths[i];
    out[i].is_null = &nulls[i];
    out[i].error = &errors[i];
  }
  if (mysql_stmt_bind_result(stmt_, out.data()) != 0) Fail();
  if (mysql_stmt_store_result(stmt_) != 0) Fail();
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) Fail();
    std::vector<std::optional<std::string>> row(columns);
    for (unsigned i = 0; i < columns; ++i) {
      if (nulls[i]) continue;
      if (lengths[i] <= buffers[i].size()) {
        row[i] = std::string(buffers[i].data(), lengths[i]);
        continue;
      }
      std::string whole(lengths[i], '\0');
      MYSQL_BIND b{};
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = whole.data();
      b.buffer_length = whole.size();
      unsigned long length = 0;
      b.length = &length;
      if (mysql_stmt_fetch_column(stmt_, &b, i, 0) != 0) Fail();
      row[i] = std::move(whole);
    }
    rows.emplace_back(std::move(row));
  }
  mysql_stmt_free_result(stmt_);
  DrainResults();
  return rows;
}

// --- Connection ---------------------------------------------------------------------------------

namespace {

const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

std::string DescribeServer(const DatabaseSettings& settings) {
  if (settings.hosts.size() > 1) {
    std::string list;
    for (const DatabaseServer& server : settings.hosts) {
      list += (list.empty() ? "" : ", ") + ToString(server);
    }
    return "MariaDB cluster " + list;
  }
  const DatabaseServer server = ServersOf(settings).front();
  if (server.host.empty() || server.host == "localhost") {
    return fmt::format("MariaDB at socket {}",
                       settings.socket.empty() ? "(default)" : settings.socket);
  }
  return "MariaDB at " + ToString(server);
}

std::string ResolvePassword(const DatabaseSettings& settings) {
  if (settings.password_file.empty()) return settings.password;
  std::ifstream in(settings.password_file);
  if (!in) {
    throw Refused(fmt::format("cannot read database.password_file {}: {}", settings.password_file,
                              std::strerror(errno)));
  }
  std::string password;
  std::getline(in, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
    password.pop_back();
  }
  return password;
}

Connection::Connection(const DatabaseSettings& settings, bool select_database,
                       std::size_t first_server) {
  const std::vector<DatabaseServer> servers = ServersOf(settings);
  for (std::size_t tried = 0;; ++tried) {
    server_index_ = (first_server + tried) % servers.size();
    try {
      Open(settings, servers[server_index_], select_database);
      RequireReadyNode();
      return;
    } catch (const DbError& e) {
      if (db_ != nullptr) mysql_close(db_);
      db_ = nullptr;
      // Another node may serve where this one cannot; a refusal (bad password, no such database)
      // would only repeat there.
      const bool next = IsConnectionLost(e.code()) || IsNodeUnusable(e.code()) ||
                        e.code() == CR_UNKNOWN_HOST || e.code() == ER_CON_COUNT_ERROR;
      if (!next || tried + 1 >= servers.size()) throw;
    }
  }
}

void Connection::Open(const DatabaseSettings& settings, const DatabaseServer& server,
                      bool select_database) {
  // The password first: if its file cannot be read we throw before owning a handle.
  const std::string password = ResolvePassword(settings);
  db_ = mysql_init(nullptr);
  if (db_ == nullptr) throw std::bad_alloc();
  unsigned connect_timeout = static_cast<unsigned>(settings.connect_timeout.count());
  // A read waits at most this long for an answer, so a server that vanished without closing the
  // connection is noticed; processing one interval takes seconds, not minutes.
  unsigned read_timeout = 120;
  unsigned write_timeout = 60;
  my_bool reconnect = 0;
  const bool socket = server.host.empty() || server.host == "localhost";
  unsigned protocol = socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
  mysql_optionsv(db_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(db_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_optionsv(db_, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  mysql_optionsv(db_, MYSQL_OPT_RECONNECT, &reconnect);
  mysql_optionsv(db_, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Every stored timestamp is UTC; READ COMMITTED keeps concurrent staging inserts from waiting on
  // the processor's gap locks.
  mysql_optionsv(db_, MYSQL_INIT_COMMAND,
                 "SET time_zone = '+00:00', tx_isolation = 'READ-COMMITTED'");
  const bool tls = settings.ssl || !settings.ssl_ca.empty() || !settings.ssl_cert.empty() ||
                   !settings.ssl_key.empty();
  if (tls) {
    mysql_ssl_set(db_, OrNull(settings.ssl_key), OrNull(settings.ssl_cert), OrNull(settings.ssl_ca),
                  nullptr, nullptr);
    my_bool enforce = 1;
    my_bool verify = settings.ssl_verify_server_cert ? 1 : 0;
    mysql_optionsv(db_, MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_optionsv(db_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  const char* host = socket ? "localhost" : server.host.c_str();
  if (mysql_real_connect(db_, host, settings.user.c_str(), password.c_str(),
                         select_database ? settings.database.c_str() : nullptr,
                         static_cast<unsigned>(server.port), OrNull(settings.socket),
                         CLIENT_MULTI_RESULTS) == nullptr) {
    Fail();
  }
}

void Connection::RequireReadyNode() {
  // Galera accepts connections on a node that is still joining or has lost quorum, and then
  // refuses every table with 1047. Status variables still answer there. A server built with wsrep
  // but not running it (Debian's stock server) reports wsrep_on = OFF and wsrep_ready = OFF; one
  // built without it has neither.
  Statement probe(db_,
                  "SELECT "
                  "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES "
                  " WHERE VARIABLE_NAME = 'WSREP_ON'), "
                  "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                  " WHERE VARIABLE_NAME = 'WSREP_READY')");
  const Row node = probe.QueryOne({});
  if (node.Text(0) != "ON") return;
  if (node.Text(1) != "ON") {
    throw DbError(ER_UNKNOWN_COM_ERROR, "08S01",
                  "the Galera node is not ready for clients (wsrep_ready = " + node.Text(1) +
                      ": joining, or not in the primary component)");
  }
  // Reads wait until this node has applied every write committed anywhere in the cluster before
  // they began (causal reads), so the processing transaction's lease check and a session moved to
  // another node by a failover see what the cluster has committed, not a node's lagging copy.
  ExecuteText("SET SESSION wsrep_sync_wait = 1");
}

Connection::~Connection() {
  if (db_ != nullptr) mysql_close(db_);
}

void Connection::Fail() { throw DbError(mysql_errno(db_), mysql_sqlstate(db_), mysql_error(db_)); }

void Connection::ExecuteText(std::string_view sql) {
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) Fail();
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(db_))
      mysql_free_result(result);
    else if (mysql_field_count(db_) != 0)
      Fail();
    const int rc = mysql_next_result(db_);
    if (rc > 0) Fail();
    if (rc < 0) return;
  }
}

// --- Transaction --------------------------------------------------------------------------------

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.ExecuteText("START TRANSACTION");
}

Transaction::~Transaction() {
  if (!done_) mysql_rollback(connection_.raw());
}

void Transaction::Commit() {
  connection_.ExecuteText("COMMIT");
  done_ = true;
}

long long ToDb(UtcTime t) {
  return std::clamp<long long>(t.time_since_epoch().count(), 0, 2147483647LL);
}

long long Row::Int(std::size_t column) const {
  const auto& text = columns_.at(column);
  return text ? std::stoll(*text) : 0;
}

std::optional<long long> Row::OptionalInt(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::optional<UtcTime> Row::OptionalTime(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Time(column);
}

}  // namespace blemon::mariadb
