#pragma once

// How C++ tests reach the throwaway mariadbd of the `mariadb` CTest fixture
// (tests/peers/mariadb.cmake): reads $BLEMON_TEST_MARIADB_DIR/peer.env, makes DatabaseSettings for
// it, and runs plain SQL for arranging and inspecting. Header-only; link the CMake target
// blemon_mariadb_test_env for Connector/C.

#include <mysql.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "blemon/config.h"

namespace blemon::testing {

struct MariaDbPeer {
  std::map<std::string, std::string> values;

  // Throws with a clear message when the fixture did not run.
  static MariaDbPeer FromEnvironment() {
    const char* dir = std::getenv("BLEMON_TEST_MARIADB_DIR");
    if (dir == nullptr) {
      throw std::runtime_error(
          "BLEMON_TEST_MARIADB_DIR is not set: run this test through ctest (fixture `mariadb`)");
    }
    return FromDirectory(dir);
  }

  // A server set up by `mariadb-peer.sh setup DIR` (e.g. a private one for outage tests).
  static MariaDbPeer FromDirectory(const std::string& dir) {
    std::ifstream in(dir + "/peer.env");
    if (!in) throw std::runtime_error("no peer.env in " + dir);
    MariaDbPeer peer;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) peer.values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return peer;
  }

  const std::string& at(const std::string& key) const { return values.at(key); }

  // The admin over TCP: may create and drop databases.
  DatabaseSettings Admin(const std::string& database) const {
    DatabaseSettings s;
    s.configured = true;
    s.backend = Backend::kMariaDb;
    s.host = at("host");
    s.port = std::stoi(at("port"));
    s.user = at("admin_user");
    s.password = at("admin_password");
    s.database = database;
    s.connect_timeout = Seconds(5);
    return s;
  }
  // The unprivileged application user (rights on `blemon%` databases).
  DatabaseSettings App(const std::string& database) const {
    DatabaseSettings s = Admin(database);
    s.user = at("user");
    s.password = at("password");
    return s;
  }
};

// A database name no other test process uses: blemon_<tag>_<pid>_<n>.
inline std::string UniqueDatabaseName(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "blemon_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// Plain SQL through the text protocol, for tests only (arranging and inspecting what no port
// method does). Session time zone UTC, like the store's.
class TestSql {
 public:
  explicit TestSql(const DatabaseSettings& s, bool select_database = true)
      : db_(mysql_init(nullptr)) {
    unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(db_, MYSQL_OPT_PROTOCOL, &protocol);
    mysql_optionsv(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(db_, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    if (!mysql_real_connect(db_, s.host.c_str(), s.user.c_str(), s.password.c_str(),
                            select_database ? s.database.c_str() : nullptr,
                            static_cast<unsigned>(s.port), nullptr, CLIENT_MULTI_RESULTS)) {
      const std::string error = mysql_error(db_);
      mysql_close(db_);
      throw std::runtime_error("test connection failed: " + error);
    }
  }
  ~TestSql() { mysql_close(db_); }
  TestSql(const TestSql&) = delete;
  TestSql& operator=(const TestSql&) = delete;

  // Runs one statement; returns the first column of the first row ("" for none or NULL).
  std::string Scalar(const std::string& sql) {
    if (mysql_real_query(db_, sql.data(), sql.size()) != 0) {
      throw std::runtime_error("SQL failed: " + std::string(mysql_error(db_)) + " [" + sql + "]");
    }
    std::string value;
    bool first = true;
    do {
      if (MYSQL_RES* result = mysql_store_result(db_)) {
        MYSQL_ROW row = mysql_fetch_row(result);
        if (first && row && row[0]) {
          value.assign(row[0], mysql_fetch_lengths(result)[0]);
        }
        first = false;
        mysql_free_result(result);
      }
    } while (mysql_next_result(db_) == 0);
    if (mysql_errno(db_) != 0) {
      throw std::runtime_error("SQL failed: " + std::string(mysql_error(db_)) + " [" + sql + "]");
    }
    return value;
  }
  void Exec(const std::string& sql) { Scalar(sql); }
  // Every row of the first result set, NULL as "NULL".
  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    if (mysql_real_query(db_, sql.data(), sql.size()) != 0) {
      throw std::runtime_error("SQL failed: " + std::string(mysql_error(db_)) + " [" + sql + "]");
    }
    std::vector<std::vector<std::string>> rows;
    bool first = true;
    do {
      if (MYSQL_RES* result = mysql_store_result(db_)) {
        const unsigned columns = mysql_num_fields(result);
        while (MYSQL_ROW row = mysql_fetch_row(result)) {
          if (!first) continue;
          const unsigned long* lengths = mysql_fetch_lengths(result);
          std::vector<std::string> values;
          for (unsigned i = 0; i < columns; ++i) {
            values.push_back(row[i] ? std::string(row[i], lengths[i]) : "NULL");
          }
          rows.push_back(std::move(values));
        }
        first = false;
        mysql_free_result(result);
      }
    } while (mysql_next_result(db_) == 0);
    return rows;
  }
  MYSQL* raw() { return db_; }

 private:
  MYSQL* db_;
};

}  // namespace blemon::testing
