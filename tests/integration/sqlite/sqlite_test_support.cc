#include "sqlite_test_support.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>

namespace blemon::sqlite::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "blemon-sqlite-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string QueryScalar(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return result;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      if (const auto* text = sqlite3_column_text(stmt, 0)) {
        result.assign(reinterpret_cast<const char*>(text),
                      static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
      }
      while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

MacAddress MakeMac(int i) {
  return MacAddress::FromBytes({0xC0, 0x11, 0x22, static_cast<std::uint8_t>(i >> 16),
                                static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
}

void ExecScript(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
  } else if (char* error = nullptr; sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error)) {
    ADD_FAILURE() << sql << ": " << error;
    sqlite3_free(error);
  }
  sqlite3_close(db);
}

Reading MakeReading(int i, int rssi, std::optional<std::string> name) {
  return Reading{.mac = MakeMac(i),
                 .address_class = i % 2 == 0 ? AddressClass::kRandomStatic : AddressClass::kPublic,
                 .rssi = rssi,
                 .advert_count = 1 + i % 7,
                 .name = std::move(name),
                 .tx_power = i % 3 == 0 ? std::optional<int>() : std::optional<int>(-(i % 20)),
                 .company_ids = i % 4 == 0 ? std::vector<std::uint16_t>{}
                                           : std::vector<std::uint16_t>{6, 76, 65535},
                 .payload = MakePayload(i)};
}

AdvertPayload MakePayload(int i) {
  if (i % 5 == 0) return {};  // as a reading of the original tool, or of a silent advert
  AdvertPayload payload;
  payload.manufacturer_data = {
      {.company_id = 0x0006, .prefix = {}},
      {.company_id = 0x004C,
       .prefix = std::vector<std::uint8_t>(static_cast<std::size_t>(i % 9),
                                           static_cast<std::uint8_t>(0xF0 + i % 16))}};
  payload.service_uuids = {0x180F, static_cast<std::uint16_t>(0xFE00 + i % 256)};
  if (i % 2 == 1) payload.appearance = static_cast<std::uint16_t>(0x0040 * (i % 40));
  if (i % 7 == 3) payload.monitor_beacon = MonitorBeacon{.monitor_id = 3, .tx_power = -(i % 30)};
  return payload;
}

pid_t Fork(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& e) {
      fprintf(stderr, "child %d: %s\n", getpid(), e.what());
    }
    // _exit: the child must not run the parent's gtest teardown or atexit handlers.
    _exit(code);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> HostileStrings() {
  std::string long_name;
  for (int i = 0; long_name.size() < 10 * 1024; ++i) {
    long_name += "Ünïcödé '\"%_\\ 🛰️ ";
    long_name += std::to_string(i);
  }
  return {"O'Brien's \"Phone\"",
          "100% _match_ \\ %s %d %n",
          "Robert'); DROP TABLE monitors;--",
          "🦄🐉 4-byte emoji 𝄞",
          "tab\tand newline\nkept by the store",
          long_name};
}

}  // namespace blemon::sqlite::testing
