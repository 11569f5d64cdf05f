#pragma once

// What the MariaDB benchmarks share (mariadb_store_bench.cc, identity_bench.cc): timing, the
// server's CPU time from /proc, medians, and waiting for InnoDB's background flushing.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mariadb_test_env.h"

namespace blemon::testing::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds (user + system) mariadbd has used so far.
inline double ServerCpuSeconds() {
  const char* dir = std::getenv("BLEMON_TEST_MARIADB_DIR");
  std::ifstream pid_file(std::string(dir ? dir : ".") + "/mysqld.pid");
  std::string pid;
  pid_file >> pid;
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  std::getline(stat, line);
  if (line.empty()) return 0;
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline std::string List(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += fmt::format("{}{:.2f}", out.empty() ? "" : " ", x);
  return out;
}

// Waits until InnoDB has written out its dirty pages, so a measurement does not compete with
// the background flushing of what was generated just before.
inline void Settle(MariaDbPeer& peer) {
  TestSql admin(peer.Admin(""), false);
  const std::string pct = admin.Rows("SELECT @@GLOBAL.innodb_max_dirty_pages_pct").at(0).at(0);
  admin.Exec("SET GLOBAL innodb_max_dirty_pages_pct = 0");
  const auto start = Clock::now();
  while (SecondsSince(start) < 300) {
    const long long dirty = std::stoll(
        admin.Rows("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").at(0).at(1));
    if (dirty < 500) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  admin.Exec("SET GLOBAL innodb_max_dirty_pages_pct = " + pct);
}

}  // namespace blemon::testing::bench
