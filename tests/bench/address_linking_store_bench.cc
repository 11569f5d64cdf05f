// The accuracy of estimated devices through the SQLite store: the same simulated world as
// address_linking_bench (24 h, a monitor in every room, 300 devices, a 10 s scan every 5 min),
// but every monitor's scan is staged as a batch, the store's processor picks the winners and links
// addresses in its transaction, and the counts come from ReportStore::Hourly (`addresses`,
// `estimated_devices`). The true count per monitor and hour comes from the world's ground truth
// for the sightings the store kept. Prints MAPE against it and the share of wrong links in
// address_links (docs/performance.md).
//
// Usage: address_linking_store_bench [devices] [hours] [seed]

#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "blemon/report_store.h"
#include "blemon/sqlite/sqlite_report_store.h"
#include "blemon/sqlite/sqlite_store.h"
#include "world.h"

namespace {

using blemon::MacAddress;
using blemon::MonitorId;
using blemon::UtcTime;
namespace sim = blemon::simulated;

constexpr blemon::Seconds kInterval{300};
constexpr std::int64_t kWindowMs = 10'000;
constexpr std::int64_t kDayStart = 1'700'006'400;  // a UTC midnight

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Run {
  std::map<MacAddress, std::uint32_t> truth;  // every address heard → its device
  std::vector<MonitorId> monitor_ids;
};

// Stages and processes every interval; returns the ground truth of the addresses heard.
Run StageAndProcess(blemon::Store& store, const sim::World& world, std::int64_t intervals) {
  Run run;
  std::vector<sim::MonitorPlacement> places;
  for (const sim::Room& room : sim::FloorPlan()) {
    places.push_back(sim::PlaceMonitor(room.name));
    run.monitor_ids.push_back(store.RegisterMonitor(
        blemon::MonitorInfo(std::string(room.name), std::string(room.name), "")));
  }
  for (std::int64_t i = 0; i < intervals; ++i) {
    const std::int64_t from_ms = (kDayStart + i * kInterval.count()) * 1000;
    const UtcTime start{blemon::Seconds{from_ms / 1000}};
    for (std::size_t m = 0; m < places.size(); ++m) {
      blemon::ScanAggregator aggregator;
      world.Hear(places[m], from_ms, from_ms + kWindowMs, aggregator);
      blemon::Batch batch{.monitor_id = run.monitor_ids[m],
                          .batch_seq = i + 1,
                          .interval_start = start,
                          .scan_time = start + blemon::Seconds{10},
                          .readings = aggregator.Readings()};
      for (const blemon::Reading& r : batch.readings) {
        if (!run.truth.contains(r.mac)) {
          run.truth.emplace(r.mac, *world.DeviceBehind(r.mac, from_ms, from_ms + kWindowMs));
        }
      }
      store.StageBatch(batch);
    }
    const blemon::LeaseAnswer lease = store.ClaimLease(run.monitor_ids[0], blemon::Seconds{600});
    store.ProcessInterval(start, run.monitor_ids[0], lease.epoch);
  }
  return run;
}

// The links address_links holds, and how many join two true devices (read with SQLite itself:
// no port exposes the table).
std::pair<long, long> CountLinks(const std::string& path,
                                 const std::map<MacAddress, std::uint32_t>& truth) {
  sqlite3* db = nullptr;
  long links = 0, wrong = 0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT p.mac_address, d.mac_address FROM address_links l "
                       "JOIN ble_devices d ON d.device_id = l.device_id "
                       "JOIN ble_devices p ON p.device_id = l.previous_device_id",
                       -1, &stmt, nullptr);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto text = [&](int column) {
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)));
      };
      ++links;
      if (truth.at(*MacAddress::Parse(text(0))) != truth.at(*MacAddress::Parse(text(1)))) ++wrong;
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return {links, wrong};
}

}  // namespace

int main(int argc, char** argv) {
  blemon::SimulationSettings settings;
  settings.devices = argc > 1 ? std::atoi(argv[1]) : 300;
  const int hours = argc > 2 ? std::atoi(argv[2]) : 24;
  settings.seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  settings.noise_db = 5.0;
  const sim::World world(settings);
  const auto dir =
      std::filesystem::temp_directory_path() / ("blemon-linking-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "blemon.db").string();

  const double begin = CpuSeconds();
  auto store = blemon::sqlite::OpenStore(path);
  const std::int64_t intervals = hours * 3600 / kInterval.count();
  const Run run = StageAndProcess(*store, world, intervals);
  const double took = CpuSeconds() - begin;

  const UtcTime from{blemon::Seconds{kDayStart}};
  const UtcTime to = from + blemon::Seconds{hours * 3600};
  // True devices per (monitor, hour) among the sightings the store kept.
  std::map<std::pair<MonitorId, std::int64_t>, std::set<std::uint32_t>> truth;
  for (const blemon::StoredSighting& s : store->Sightings(from, to)) {
    const auto hour = (s.interval_start - from) / std::chrono::hours(1);
    truth[{s.sighting.monitor_id, hour}].insert(run.truth.at(s.mac));
  }
  auto reports = blemon::sqlite::OpenReportStore(path);
  std::map<std::string, MonitorId> ids;
  for (std::size_t m = 0; m < run.monitor_ids.size(); ++m) {
    ids[std::string(sim::FloorPlan()[m].name)] = run.monitor_ids[m];
  }
  double address_error = 0, estimated_error = 0;
  int cells = 0;
  for (const blemon::HourlyRow& row : reports->Hourly(
           {.from = from, .to = to, .monitor = std::nullopt, .hour_shift = blemon::Seconds{0}})) {
    const auto hour = (row.hour_start - from) / std::chrono::hours(1);
    const auto n = static_cast<double>(truth[{ids.at(row.monitor_name), hour}].size());
    address_error += std::abs(static_cast<double>(row.addresses) - n) / n;
    estimated_error += std::abs(static_cast<double>(row.estimated_devices) - n) / n;
    ++cells;
  }
  const auto [links, wrong] = CountLinks(path, run.truth);
  std::printf(
      "address linking through the SQLite store, %d devices, %d h, seed %llu, %zu monitors: "
      "%.1f s CPU staging and processing\n",
      settings.devices, hours, static_cast<unsigned long long>(settings.seed),
      run.monitor_ids.size(), took);
  std::printf(
      "MAPE per monitor and hour vs the true device count: addresses %.1f %%, "
      "estimated_devices %.1f %% (%d cells)\n",
      100.0 * address_error / cells, 100.0 * estimated_error / cells, cells);
  std::printf("links %ld, wrong %ld (%.2f %% of links)\n", links, wrong,
              links == 0 ? 0.0 : 100.0 * static_cast<double>(wrong) / static_cast<double>(links));
  std::printf("goals: estimated_devices MAPE <= 10 %%, wrong links <= 2 %% of links\n");
  std::filesystem::remove_all(dir);
  return 0;
}
