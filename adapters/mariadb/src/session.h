#pragma once

// The one way blemon's MariaDB adapters talk to the server: a Session (a connection and its
// statements, each prepared once on first use) and a SessionRunner, which opens the session
// lazily, runs a unit of work on it and, when the connection is lost mid-way, reopens it and runs
// the whole unit again. The Store, the report store and the admin store each own one runner.
// With database.hosts (a Galera cluster) the reopened session goes to the next node that serves.

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "blemon/config.h"
#include "connection.h"

namespace blemon::mariadb {

class Session {
 public:
  // Connects (throws DbError, or Refused for an unreadable password_file). With require_schema,
  // also throws Refused unless the database is at this build's schema version: the Store writes
  // blemon's tables, while reports and maintenance also work on the original tool's schema.
  // first_server: where Connection starts trying database.hosts.
  Session(const DatabaseSettings& settings, bool require_schema, std::size_t first_server = 0);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The statement for `sql`, prepared on first use and kept, with its server-side handle, for the
  // session's life. For SQL of a few fixed shapes; SQL that splices in values (an id list) is
  // prepared once with Statement directly, so the cache does not grow without bound.
  Statement& Prepared(std::string_view sql);

  Connection connection;

 private:
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

class SessionRunner {
 public:
  SessionRunner(DatabaseSettings settings, bool require_schema)
      : settings_(std::move(settings)),
        where_(DescribeServer(settings_)),
        require_schema_(require_schema) {}

  // Runs `work` on a live session and returns what it returns. A connection lost mid-way (server
  // restarting, network blip) is reopened with backoff, statements re-prepared, and the whole
  // unit of work retried, as is a deadlock, lock wait timeout or lost Galera certification: every
  // unit of work given here must therefore be idempotent. A lost connection or a Galera node that
  // stopped serving (IsNodeUnusable) moves the session to the next server of database.hosts. A
  // server that cannot be reached at all (no server of the list) is reported at once as
  // Unavailable, so a monitor goes on scanning into its spool instead of waiting here. Other
  // errors become Unavailable or Refused (ThrowTranslated), `doing` saying what was being done.
  template <typename Work>
  std::invoke_result_t<Work&, Session&> Run(std::string_view doing, Work&& work) {
    // About 6 s in all: enough for a crashed server restarted by systemd to finish recovery, and
    // for a Galera cluster to evict a dead node (evs.suspect_timeout, 5 s by default).
    static constexpr std::array<std::chrono::milliseconds, 6> kBackoff = {
        std::chrono::milliseconds(100),  std::chrono::milliseconds(200),
        std::chrono::milliseconds(400),  std::chrono::milliseconds(800),
        std::chrono::milliseconds(1600), std::chrono::milliseconds(3200)};
    bool lost_before = false;  // an earlier attempt of this call lost its connection
    for (std::size_t attempt = 0;; ++attempt) {
      const bool connected = session_ != nullptr;
      try {
        if (!session_) Open();
        return work(*session_);
      } catch (const DbError& e) {
        const bool lost = IsConnectionLost(e.code()) || IsNodeUnusable(e.code());
        if (lost) Abandon();
        const bool retry = attempt < kBackoff.size() &&
                           (IsTransientConflict(e.code()) || (lost && (connected || lost_before)));
        if (!retry) ThrowTranslated(e, doing, where_);
        lost_before = lost_before || lost;
        std::this_thread::sleep_for(kBackoff[attempt]);
      }
    }
  }

  const DatabaseSettings& settings() const { return settings_; }
  // The server, named for messages (DescribeServer).
  const std::string& where() const { return where_; }

 private:
  void Open() {
    session_ = std::make_unique<Session>(settings_, require_schema_, next_server_);
    next_server_ = session_->connection.server_index();
  }
  // Drops the session; the next one starts at the server after the one that failed, so a dead
  // node is not the first tried again (with one server, that is the same server).
  void Abandon() {
    if (session_) next_server_ = session_->connection.server_index() + 1;
    session_.reset();
  }

  DatabaseSettings settings_;
  std::string where_;
  bool require_schema_;
  std::unique_ptr<Session> session_;
  std::size_t next_server_ = 0;  // Connection wraps it around the list
};

}  // namespace blemon::mariadb
