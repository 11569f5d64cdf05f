// Fleet load benchmark (issue #14): N simulated monitors, each with its own store connection as on
// real Pis, stage M readings each per 5-minute interval on an accelerated clock (intervals back to
// back), then one processor claims the lease and processes the interval. Runs against a private
// mariadbd it starts with settings for the fleet (printed), and prints per fleet: staging rows/s,
// processing time per interval, the acceleration the fleet sustains (300 s / (staging +
// processing)), connections (Threads_connected, Max_used_connections) and server CPU.
//
//   BLEMON_FLEET="100x200:3,1000x200:3,5000x200:2"  fleets as monitors x devices : intervals
//   BLEMON_FLEET_CLIENT_THREADS=8                   client threads driving the connections
//
// Argument: the mariadb-peer.sh script, then the directory for the private server.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds (user + system) the process `pid` has used so far.
double CpuSeconds(const std::string& pid) {
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

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " (5 min " + five + ")";
}

struct Fleet {
  int monitors = 0;
  int devices = 0;  // per monitor per interval
  int intervals = 0;
};

std::vector<Fleet> FleetsFromEnvironment() {
  const char* env = std::getenv("BLEMON_FLEET");
  std::istringstream in(env ? env : "100x200:3,1000x200:3,5000x200:2");
  std::vector<Fleet> fleets;
  std::string item;
  while (std::getline(in, item, ',')) {
    Fleet f;
    char x = 0, colon = 0;
    std::istringstream one(item);
    if (!(one >> f.monitors >> x >> f.devices >> colon >> f.intervals) || x != 'x' ||
        colon != ':') {
      throw std::runtime_error("BLEMON_FLEET item '" + item +
                               "' is not MONITORSxDEVICES:INTERVALS");
    }
    fleets.push_back(f);
  }
  return fleets;
}

// Monitor m hears the M devices from m*M/4 on (of N*M/4 in all): each device is heard by about
// four monitors, so processing has to pick the strongest among several readings.
Reading HeardReading(const Fleet& f, int monitor, int index, int interval) {
  const long long site_devices = std::max(1LL, 1LL * f.monitors * f.devices / 4);
  const long long d = (1LL * monitor * f.devices / 4 + index) % site_devices;
  const auto mac = MacAddress::FromBytes(
      {0x02, 0, static_cast<std::uint8_t>(d >> 24), static_cast<std::uint8_t>(d >> 16),
       static_cast<std::uint8_t>(d >> 8), static_cast<std::uint8_t>(d)});
  return Reading{.mac = mac,
                 .address_class = AddressClass::kPublic,
                 .rssi = -30 - static_cast<int>((d * 7 + monitor * 13 + interval) % 70),
                 .advert_count = 4,
                 .name = "",
                 .tx_power = std::nullopt,
                 .company_ids = {},
                 .payload = {}};
}

long long StatusValue(TestSql& admin, const std::string& name) {
  return std::stoll(admin.Rows("SHOW GLOBAL STATUS LIKE '" + name + "'").at(0).at(1));
}

// Runs `work(monitor)` for every monitor, spread over `threads` client threads (each thread
// drives its share of connections in turn). Rethrows the first error.
template <typename Work>
void ForEachMonitor(int monitors, int threads, Work work) {
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      try {
        for (int m = next++; m < monitors; m = next++) work(m);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

struct FleetResult {
  double connect_s = 0, stage_s = 0, process_s = 0, max_process_s = 0, server_cpu = 0,
         client_cpu = 0, stage_cpu = 0, process_cpu = 0;
  long long rows = 0, threads_connected = 0, max_used = 0, pool_threads = 0;
};

class FleetBench {
 public:
  FleetBench(std::string script, std::string dir)
      : script_(std::move(script)), dir_(std::move(dir)) {}

  // Starts the private server with room for `max_monitors` connections; prints its settings.
  void StartServer(int max_monitors) {
    settings_ = {
        fmt::format("--max-connections={}", max_monitors + 100),
        // Each monitor's connection keeps its prepared statements (about 5): the default 16,382
        // stops a fleet near 3,200 monitors (error 1461).
        fmt::format("--max-prepared-stmt-count={}", std::max(16382, (max_monitors + 100) * 8)),
        "--thread-handling=pool-of-threads",  // a few worker threads, not one per connection
        "--thread-pool-max-threads=1000", "--open-files-limit=20000",
        "--back-log=2000",  // the whole fleet reconnects at once after an outage
        "--table-open-cache=4000", "--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M",
        "--innodb-flush-log-at-trx-commit=1",  // durable commits, as the stock server
    };
    std::system(("mkdir -p '" + dir_ + "'").c_str());
    std::ofstream extra(dir_ + "/extra-args");
    for (const auto& s : settings_) extra << s << "\n";
    extra.close();
    if (std::system((script_ + " setup '" + dir_ + "'").c_str()) != 0) {
      throw std::runtime_error("could not start the private mariadbd in " + dir_);
    }
    peer_ = MariaDbPeer::FromDirectory(dir_);
    std::ifstream pid_file(dir_ + "/mysqld.pid");
    pid_file >> server_pid_;
    fmt::print("server settings (besides mariadb-peer.sh defaults):\n");
    for (const auto& s : settings_) fmt::print("  {}\n", s);
  }
  void StopServer() { std::system((script_ + " teardown '" + dir_ + "'").c_str()); }

  FleetResult Run(const Fleet& f, int client_threads) {
    const DatabaseSettings db = peer_.Admin(UniqueDatabaseName("fleet"));
    mariadb::Migrate(db);
    TestSql admin(peer_.Admin(""), false);
    admin.Exec("FLUSH STATUS");  // resets Max_used_connections
    FleetResult r;
    // One store (one connection) per monitor, as each Pi holds its own.
    std::vector<std::unique_ptr<Store>> stores(f.monitors);
    std::vector<MonitorId> ids(f.monitors);
    auto start = Clock::now();
    ForEachMonitor(f.monitors, client_threads, [&](int m) {
      stores[m] = mariadb::OpenStore(db);
      ids[m] = stores[m]->RegisterMonitor({fmt::format("pi-{:05}", m), "", ""});
    });
    r.connect_s = SecondsSince(start);
    auto processor = mariadb::OpenStore(db);
    const LeaseAnswer lease = processor->ClaimLease(ids[0], Seconds(3600));
    const UtcTime t0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    const double cpu_before = CpuSeconds(server_pid_);
    const std::clock_t client_before = std::clock();
    for (int k = 0; k < f.intervals; ++k) {
      const UtcTime interval = t0 + k * 300s;
      const double cpu_interval = CpuSeconds(server_pid_);
      start = Clock::now();
      ForEachMonitor(f.monitors, client_threads, [&](int m) {
        Batch batch{ids[m], k + 1, interval, interval + 295s, {}};
        batch.readings.reserve(f.devices);
        for (int i = 0; i < f.devices; ++i) batch.readings.push_back(HeardReading(f, m, i, k));
        stores[m]->StageBatch(batch);
      });
      r.stage_s += SecondsSince(start);
      const double cpu_staged = CpuSeconds(server_pid_);
      r.stage_cpu += cpu_staged - cpu_interval;
      // Progress, so a run stopped for time still tells how far it got.
      fmt::print("  ({} x {}: connected in {:.1f} s, interval {} staged in {:.1f} s)\n", f.monitors,
                 f.devices, r.connect_s, k + 1, SecondsSince(start));
      std::fflush(stdout);
      start = Clock::now();
      const ProcessOutcome outcome = processor->ProcessInterval(interval, ids[0], lease.epoch);
      const double process_s = SecondsSince(start);
      r.process_s += process_s;
      r.process_cpu += CpuSeconds(server_pid_) - cpu_staged;
      r.max_process_s = std::max(r.max_process_s, process_s);
      r.rows += outcome.staging_rows;
      if (outcome.staging_rows != f.monitors * f.devices) {
        throw std::runtime_error(fmt::format("interval {} processed {} rows, staged {}", k,
                                             outcome.staging_rows, f.monitors * f.devices));
      }
    }
    r.server_cpu = CpuSeconds(server_pid_) - cpu_before;
    r.client_cpu = static_cast<double>(std::clock() - client_before) / CLOCKS_PER_SEC;
    r.threads_connected = StatusValue(admin, "Threads_connected");
    r.max_used = StatusValue(admin, "Max_used_connections");
    r.pool_threads = StatusValue(admin, "Threadpool_threads");
    stores.clear();
    processor.reset();
    admin.Exec("DROP DATABASE `" + db.database + "`");
    return r;
  }

 private:
  std::string script_, dir_, server_pid_;
  std::vector<std::string> settings_;
  MariaDbPeer peer_;
};

void PrintResult(const Fleet& f, const FleetResult& r) {
  const double per_interval = (r.stage_s + r.process_s) / f.intervals;
  fmt::print(
      "{} monitors x {} devices, {} intervals ({} rows each), load average {}\n"
      "  connect+register {:.1f} s; staging {:.0f} rows/s ({:.2f} s per interval)\n"
      "  processing {:.2f} s per interval (max {:.2f} s); {:.2f} s per interval in all -> "
      "sustains {:.0f}x acceleration ({})\n"
      "  connections: {} connected, max used {}; thread-pool threads {}\n"
      "  server CPU {:.1f} s ({:.0f}% of one core over staging+processing); client CPU {:.1f} s\n",
      f.monitors, f.devices, f.intervals, f.monitors * f.devices, LoadAverage(), r.connect_s,
      static_cast<double>(r.rows) / r.stage_s, r.stage_s / f.intervals, r.process_s / f.intervals,
      r.max_process_s, per_interval, 300 / per_interval,
      per_interval <= 300 ? "fits in 300 s" : "DOES NOT fit in 300 s", r.threads_connected,
      r.max_used, r.pool_threads, r.server_cpu, 100 * r.server_cpu / (r.stage_s + r.process_s),
      r.client_cpu);
  // What the same work needs on a server with its 2 cores to itself: staging spreads over the
  // cores, processing is one connection's statements, so one core.
  const double stage_cpu = r.stage_cpu / f.intervals, process_cpu = r.process_cpu / f.intervals;
  const double dedicated = stage_cpu / 2 + process_cpu;
  fmt::print(
      "  server CPU per interval: staging {:.2f} s, processing {:.2f} s -> {:.1f} s per interval "
      "on a dedicated 2-core server; linear projection: {:.0f} monitors x {} devices in 300 s\n",
      stage_cpu, process_cpu, dedicated, f.monitors * 300 / dedicated, f.devices);
  std::fflush(stdout);
}

}  // namespace
}  // namespace blemon::testing

int main(int argc, char** argv) {
  using namespace blemon::testing;
  if (argc != 3) {
    fmt::print(stderr, "usage: {} MARIADB_PEER_SCRIPT SERVER_DIR\n", argv[0]);
    return 64;
  }
  FleetBench bench(argv[1], argv[2]);
  try {
    const std::vector<Fleet> fleets = FleetsFromEnvironment();
    const char* threads_env = std::getenv("BLEMON_FLEET_CLIENT_THREADS");
    const int threads = threads_env ? std::atoi(threads_env) : 8;
    int largest = 0;
    for (const Fleet& f : fleets) largest = std::max(largest, f.monitors);
    bench.StartServer(largest);
    fmt::print("client threads: {}; machine: {} cores\n", threads,
               std::thread::hardware_concurrency());
    for (const Fleet& f : fleets) PrintResult(f, bench.Run(f, threads));
    bench.StopServer();
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "benchmark failed: {}\n", e.what());
    bench.StopServer();
    return 1;
  }
}
