// Identity resolution benchmark, against the throwaway server of the `mariadb` fixture: processing
// one interval of 100 monitors x 2,000 devices whose 2,000 addresses are all resolvable private
// addresses (200,000 staging rows, the shape of mariadb_store_bench's processing benchmark),
//  A. with no identity enrolled (today's processing), and
//  B. with 100 identities enrolled, 100 of the 2,000 addresses theirs, key byte orders unknown
//     (both orders tried: 200 keys) and the processor's address cache cold: the worst interval;
//  C. the next interval, same addresses (a phone keeps one for about 15 minutes): orders pinned,
//     cache warm, the steady state; compared with A's next interval (A').
// A and B alternate, three runs each, in the same process; the medians are compared (goal: B at
// most 10 % above A). Also times the resolution alone (AssignAddresses, no database).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "blemon/identity.h"
#include "blemon/mariadb/mariadb_identity_store.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_bench_support.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using namespace bench;
using namespace std::chrono_literals;

constexpr int kMonitors = 100;
constexpr int kDevices = 2000;
constexpr int kIdentities = 100;

struct World {
  std::vector<Irk> irks;              // the enrolled identities' keys
  std::vector<MacAddress> addresses;  // the interval's 2,000 addresses; the first 100 enrolled
};

World MakeWorld() {
  std::mt19937_64 random(2026);
  const auto random_irk = [&] {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
    return Irk::FromBytes(bytes);
  };
  World world;
  for (int i = 0; i < kIdentities; ++i) world.irks.push_back(random_irk());
  for (int d = 0; d < kDevices; ++d) {
    const Irk irk = d < kIdentities ? world.irks[d] : random_irk();
    world.addresses.push_back(
        MakeResolvablePrivateAddress(irk, static_cast<std::uint32_t>(random())));
  }
  return world;
}

struct Bench {
  MariaDbPeer peer = MariaDbPeer::FromEnvironment();
  World world = MakeWorld();

  DatabaseSettings FreshDatabase(const std::string& tag) {
    DatabaseSettings s = peer.Admin(UniqueDatabaseName(tag));
    mariadb::Migrate(s);
    return s;
  }
  void Drop(const DatabaseSettings& s) {
    TestSql(peer.Admin(""), false).Exec("DROP DATABASE IF EXISTS `" + s.database + "`");
  }

  void Stage(Store& store, const std::vector<MonitorId>& ids, UtcTime interval, std::int64_t seq) {
    std::mt19937 rng(static_cast<unsigned>(seq));
    std::uniform_int_distribution<int> rssi(-100, -30);
    for (int m = 0; m < kMonitors; ++m) {
      Batch batch{ids[m], seq + m, interval, interval + Seconds(m % 10), {}};
      for (int d = 0; d < kDevices; ++d) {
        batch.readings.push_back(Reading{.mac = world.addresses[d],
                                         .address_class = AddressClass::kResolvablePrivate,
                                         .rssi = rssi(rng),
                                         .advert_count = 4,
                                         .name = std::nullopt,
                                         .tx_power = std::nullopt,
                                         .company_ids = {},
                                         .payload = {}});
      }
      store.StageBatch(batch);
    }
  }

  struct Timing {
    double wall = 0;
    double server_cpu = 0;
  };
  Timing Time(Store& store, UtcTime interval, MonitorId processor, std::int64_t epoch,
              ProcessOutcome* outcome) {
    const double cpu_before = ServerCpuSeconds();
    const auto start = Clock::now();
    *outcome = store.ProcessInterval(interval, processor, epoch);
    return {SecondsSince(start), ServerCpuSeconds() - cpu_before};
  }

  // Processes one interval on a fresh database; with `enrol`, 100 identities first. Returns the
  // times of the first interval and of the next one (same addresses).
  std::pair<Timing, Timing> Run(bool enrol) {
    const DatabaseSettings db = FreshDatabase(enrol ? "bench_ids" : "bench_noids");
    auto store = mariadb::OpenStore(db);
    if (enrol) {
      auto identities = mariadb::OpenIdentityStore(db);
      for (int i = 0; i < kIdentities; ++i) {
        identities->AddIdentity(fmt::format("phone-{:03}", i), world.irks[i], false);
      }
    }
    std::vector<MonitorId> ids;
    for (int m = 0; m < kMonitors; ++m) {
      ids.push_back(store->RegisterMonitor({fmt::format("monitor-{:03}", m), "", ""}));
    }
    const UtcTime t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;
    Stage(*store, ids, t, 1);
    Stage(*store, ids, t + 300s, 1001);
    const LeaseAnswer lease = store->ClaimLease(ids[0], Seconds(600));
    Settle(peer);
    std::pair<Timing, Timing> times;
    ProcessOutcome first, next;
    times.first = Time(*store, t, ids[0], lease.epoch, &first);
    Settle(peer);
    times.second = Time(*store, t + 300s, ids[0], lease.epoch, &next);
    const std::string resolved = TestSql(db).Scalar(
        "SELECT COUNT(DISTINCT mac_address) FROM sighting_staging WHERE resolved_mac IS NOT NULL");
    const std::string devices = TestSql(db).Scalar("SELECT COUNT(*) FROM ble_devices");
    if (first.staging_rows != kMonitors * kDevices || devices != std::to_string(kDevices) ||
        resolved != std::to_string(enrol ? kIdentities : 0)) {
      throw std::runtime_error(fmt::format("processed {} rows, {} devices, {} resolved: wrong",
                                           first.staging_rows, devices, resolved));
    }
    Drop(db);
    return times;
  }

  // The resolution alone, no database: 2,000 addresses against 100 keys of unknown order.
  double ResolutionAlone() {
    std::vector<EnrolledIdentity> identities;
    for (int i = 0; i < kIdentities; ++i) {
      identities.push_back(
          {.known = {.identity_id = i + 1, .irk = world.irks[i], .byte_order_known = false},
           .device_mac = std::nullopt});
    }
    std::vector<double> runs;
    for (int run = 0; run < 5; ++run) {
      AddressAttributor attributor;
      const auto start = Clock::now();
      const auto assigned = AssignAddresses(attributor, identities, world.addresses, UtcTime{});
      runs.push_back(SecondsSince(start));
      if (assigned.size() != kIdentities) throw std::runtime_error("resolution missed phones");
    }
    return Median(runs);
  }

  int Main() {
    std::vector<double> none_wall, none_cpu, cold_wall, cold_cpu, warm_wall, warm_cpu;
    std::vector<double> none_next_wall, none_next_cpu;
    for (int run = 0; run < 3; ++run) {
      const auto [none, none_next] = Run(false);
      none_wall.push_back(none.wall);
      none_cpu.push_back(none.server_cpu);
      none_next_wall.push_back(none_next.wall);
      none_next_cpu.push_back(none_next.server_cpu);
      const auto [cold, warm] = Run(true);
      cold_wall.push_back(cold.wall);
      cold_cpu.push_back(cold.server_cpu);
      warm_wall.push_back(warm.wall);
      warm_cpu.push_back(warm.server_cpu);
    }
    fmt::print(
        "processing one interval, {} monitors x {} resolvable private addresses ({} rows), load "
        "average {}\n",
        kMonitors, kDevices, kMonitors * kDevices, LoadAverage());
    // Each figure against A's interval at the same position (first, or next).
    const auto line = [&](const char* what, const std::vector<double>& wall,
                          const std::vector<double>& cpu, const std::vector<double>& base_wall,
                          const std::vector<double>& base_cpu) {
      fmt::print(
          "  {:<46} wall median {:.3f} s ({:+.1f} %; runs {}), server CPU median {:.3f} s "
          "({:+.1f} %; runs {})\n",
          what, Median(wall), 100 * (Median(wall) / Median(base_wall) - 1), List(wall), Median(cpu),
          100 * (Median(cpu) / Median(base_cpu) - 1), List(cpu));
    };
    line("A no identities", none_wall, none_cpu, none_wall, none_cpu);
    line("B 100 identities, cold, orders unknown", cold_wall, cold_cpu, none_wall, none_cpu);
    line("A' no identities, next interval", none_next_wall, none_next_cpu, none_next_wall,
         none_next_cpu);
    line("C 100 identities, next interval, warm, pinned", warm_wall, warm_cpu, none_next_wall,
         none_next_cpu);
    fmt::print("  resolution alone (2,000 addresses x 200 keys, no database): {:.1f} ms\n",
               1000 * ResolutionAlone());
    const double wall_ratio = Median(cold_wall) / Median(none_wall);
    const double cpu_ratio = Median(cold_cpu) / Median(none_cpu);
    fmt::print("  {:<58} {}\n", "B at most 10 % above A (wall)",
               wall_ratio <= 1.10 ? "met" : "MISSED");
    fmt::print("  {:<58} {}\n", "B at most 10 % above A (server CPU)",
               cpu_ratio <= 1.10 ? "met" : "MISSED");
    return 0;
  }
};

}  // namespace
}  // namespace blemon::testing

int main() {
  try {
    blemon::testing::Bench bench;
    return bench.Main();
  } catch (const std::exception& e) {
    fmt::print(stderr, "benchmark failed: {}\n", e.what());
    return 1;
  }
}
