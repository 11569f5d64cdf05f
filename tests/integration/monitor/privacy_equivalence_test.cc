// Privacy mode changes who a device is called, not where it was: the same simulated house, heard
// by the same three monitors at the same simulated times, once raw and once pseudonymised (every
// address hashed, one fleet secret), processed by the real SQLite store. Within one key period
// (the UTC day) every interval's winners (device -> monitor, RSSI, monitors heard, margin) and
// the hourly counts are the same once raw addresses are mapped to their pseudonyms; across
// midnight every device gets a new pseudonym. The run spans 23:30-00:30 UTC, so both hold in one
// run.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "blemon/config.h"
#include "blemon/interval.h"
#include "blemon/monitor_cycle.h"
#include "blemon/privacy.h"
#include "blemon/simulated/simulated_scanner.h"
#include "blemon/sqlite/sqlite_spool.h"
#include "blemon/sqlite/sqlite_store.h"

namespace blemon {
namespace {

using std::chrono::microseconds;

constexpr char kFleetSecret[] = "the fleet secret of the equivalence test";
// 2026-03-14 23:30 UTC: the run crosses midnight after six intervals.
const auto kStart = std::chrono::sys_days{std::chrono::year{2026} / 3 / 14} +
                    std::chrono::hours{23} + std::chrono::minutes{30};

// Sleeping jumps the clock to the deadline; every monitor has its own, all start at kStart.
class FastClock final : public Clock {
 public:
  WallTime UtcNow() override { return std::chrono::floor<Seconds>(utc0_ + offset_); }
  SteadyTime SteadyNow() override { return steady0_ + offset_; }
  bool SleepUntil(SteadyTime deadline, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    if (deadline > SteadyNow()) offset_ += deadline - SteadyNow();
    return true;
  }

 private:
  const std::chrono::sys_time<microseconds> utc0_{kStart};
  const SteadyTime steady0_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration offset_{};
};

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
};

// One monitor: its clock, scanner, spool, cycle and (in privacy mode) pseudonymiser.
struct Monitor {
  Monitor(const Config& config, const Schedule& schedule, Store& store,
          const std::filesystem::path& spool_path, bool processor, bool pseudonymise)
      : scanner(simulated::MakeScanner(config.simulation, config.monitor.location, clock)),
        spool(sqlite::OpenSpool(spool_path.string())),
        cycle(
            config, schedule,
            MonitorCycle::Ports{*scanner, store, processor ? &store : nullptr, *spool, clock, log}),
        pseudonymiser(kFleetSecret) {
    if (pseudonymise) cycle.AttachPrivacy(&pseudonymiser, [] { return WatchedDevices{}; });
  }
  FastClock clock;
  NullLogger log;
  std::unique_ptr<Scanner> scanner;
  std::unique_ptr<Spool> spool;
  MonitorCycle cycle;
  Pseudonymiser pseudonymiser;
};

// One sighting as the store kept it.
struct Winner {
  std::string monitor;
  int rssi = 0;
  int monitors_heard = 0;
  std::optional<std::int64_t> margin;
  friend auto operator<=>(const Winner&, const Winner&) = default;
};
// (interval_start text, device address) -> its sighting.
using Winners = std::map<std::pair<std::string, std::string>, Winner>;
using HourlyCounts = std::vector<std::tuple<std::string, std::string, int, int>>;

std::vector<std::vector<std::string>> Rows(const std::filesystem::path& db, const char* sql) {
  sqlite3* handle = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql, -1, &statement, nullptr), SQLITE_OK);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const auto* text = sqlite3_column_text(statement, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return rows;
}

// Runs the fleet for `intervals` intervals into a fresh store in `dir`.
void RunFleet(const std::filesystem::path& dir, bool pseudonymise, int intervals) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = sqlite::OpenStore((dir / "blemon.db").string());
  std::vector<std::unique_ptr<Monitor>> monitors;
  for (const char* room : {"Living Room", "Kitchen", "Bedroom"}) {
    Config config;
    config.monitor.name = room;
    config.monitor.location = room;
    config.monitor.process_intervals = monitors.empty();
    config.monitor.processor_wait = Seconds{0};
    config.monitor.max_clock_skew = Seconds{10LL * 365 * 86400};  // our clock is not the store's
    config.simulation.devices = 120;
    static const auto schedule = Schedule::Make(config.monitor.schedule());
    monitors.push_back(std::make_unique<Monitor>(config, *schedule, *store,
                                                 dir / (std::string("spool-") + room + ".db"),
                                                 monitors.empty(), pseudonymise));
    ASSERT_EQ(monitors.back()->cycle.Start(), StartOutcome::kReady);
  }
  // The processor scans last in each interval and processes the one before; one more cycle of it
  // processes the last interval.
  for (int i = 0; i < intervals; ++i) {
    for (std::size_t m = monitors.size(); m-- > 0;) monitors[m]->cycle.RunOnce(std::stop_token{});
  }
  monitors.front()->cycle.RunOnce(std::stop_token{});
  for (auto& monitor : monitors) monitor->cycle.Shutdown();
}

Winners WinnersOf(const std::filesystem::path& db,
                  const std::map<std::string, std::string>* pseudonym_of_raw_at_day = nullptr) {
  Winners winners;
  for (const auto& r : Rows(db,
                            "SELECT s.interval_start, d.mac_address, m.monitor_name, s.rssi, "
                            "s.monitors_heard, s.margin_db FROM device_sightings s "
                            "JOIN ble_devices d ON d.device_id = s.device_id "
                            "JOIN monitors m ON m.monitor_id = s.monitor_id")) {
    std::optional<std::int64_t> margin;
    if (r[5] != "NULL") margin = std::stoll(r[5]);
    std::string device = r[1];
    if (pseudonym_of_raw_at_day != nullptr) {
      device = pseudonym_of_raw_at_day->at(r[0].substr(0, 10) + " " + r[1]);
    }
    winners[{r[0], device}] = Winner{r[2], std::stoi(r[3]), std::stoi(r[4]), margin};
  }
  return winners;
}

HourlyCounts HourlyOf(const std::filesystem::path& db) {
  HourlyCounts counts;
  for (const auto& r : Rows(db,
                            "SELECT monitor_name, hour_start, unique_devices, total_sightings "
                            "FROM hourly_device_counts ORDER BY monitor_name, hour_start")) {
    counts.emplace_back(r[0], r[1], std::stoi(r[2]), std::stoi(r[3]));
  }
  return counts;
}

TEST(PrivacyMode, KeepsEveryIntervalsWinnersAndCountsAndChangesPseudonymsAtMidnight) {
  const auto base = std::filesystem::temp_directory_path() /
                    ("blemon-privacy-equivalence-" + std::to_string(::getpid()));
  constexpr int kIntervals = 12;  // 23:30 to 00:30
  RunFleet(base / "raw", false, kIntervals);
  RunFleet(base / "pseudonymised", true, kIntervals);

  // The pseudonym each raw address gets on each day of the run.
  Pseudonymiser pseudonymiser(kFleetSecret);
  std::map<std::string, std::string> pseudonym_of;
  std::set<std::string> raw_devices;
  const Winners raw = WinnersOf(base / "raw" / "blemon.db");
  for (const auto& [key, winner] : raw) {
    const std::string day = key.first.substr(0, 10);
    const auto mac = *MacAddress::Parse(key.second);
    const auto when = kStart + std::chrono::hours{day == "2026-03-14" ? 0 : 1};
    pseudonym_of[day + " " + key.second] = pseudonymiser.Pseudonym(mac, when).ToString();
    raw_devices.insert(key.second);
  }
  ASSERT_GT(raw.size(), 100u) << "the simulated house was barely heard";
  std::set<std::string> days;
  for (const auto& [key, winner] : raw) days.insert(key.first.substr(0, 10));
  ASSERT_EQ(days.size(), 2u) << "the run should cross midnight";

  const Winners pseudonymised = WinnersOf(base / "pseudonymised" / "blemon.db");
  EXPECT_EQ(WinnersOf(base / "raw" / "blemon.db", &pseudonym_of), pseudonymised);
  EXPECT_EQ(HourlyOf(base / "raw" / "blemon.db"), HourlyOf(base / "pseudonymised" / "blemon.db"));

  // Across midnight: a device heard on both days has two pseudonyms, neither its address.
  int both_days = 0;
  for (const std::string& mac : raw_devices) {
    const auto first = pseudonym_of.find("2026-03-14 " + mac);
    const auto second = pseudonym_of.find("2026-03-15 " + mac);
    if (first == pseudonym_of.end() || second == pseudonym_of.end()) continue;
    ++both_days;
    EXPECT_NE(first->second, second->second) << mac;
    EXPECT_NE(first->second, mac);
  }
  EXPECT_GT(both_days, 20);
  for (const auto& [key, winner] : pseudonymised) EXPECT_FALSE(raw_devices.contains(key.second));
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace blemon
