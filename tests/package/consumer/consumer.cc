// Embeds blemon's domain with this program's own Scanner, Store, Clock and Logger (and blemon's
// SQLite spool), runs one MonitorCycle::RunImmediately and checks what it did. Exits 0 when every
// check holds, 1 (listing the failures) otherwise.

#include <blemon/best_rssi.h>
#include <blemon/config.h>
#include <blemon/errors.h>
#include <blemon/interval.h>
#include <blemon/monitor_cycle.h>
#include <blemon/ports.h>
#include <blemon/reading.h>
#include <blemon/sqlite/sqlite_spool.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

int failures = 0;

void Expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  }
}

// Adverts as a radio might deliver them: one device twice (the stronger one must win), one once,
// and one with BlueZ's "unknown" RSSI 127, which the aggregator must drop.
class ScriptedScanner final : public blemon::Scanner {
 public:
  blemon::ScanResult Scan(blemon::Seconds, std::stop_token) override {
    blemon::ScanAggregator aggregator;
    aggregator.Add({.address = "aa:bb:cc:00:00:01", .address_type = "public", .rssi = -70});
    aggregator.Add({.address = "aa:bb:cc:00:00:01",
                    .address_type = "public",
                    .rssi = -60,
                    .name = std::string("Phone")});
    aggregator.Add({.address = "aa:bb:cc:00:00:02", .address_type = "public", .rssi = -80});
    aggregator.Add({.address = "aa:bb:cc:00:00:03", .address_type = "public", .rssi = 127});
    ++scans;
    return {.readings = aggregator.Readings(), .stats = aggregator.stats(), .error = {}};
  }
  int scans = 0;
};

// A store in memory: staged rows per interval, processed with the library's own BestRssiMerge.
class MemoryStore final : public blemon::ScanStore, public blemon::ProcessorStore {
 public:
  blemon::MonitorId RegisterMonitor(const blemon::MonitorInfo& info) override {
    registered_name = info.name;
    return 7;
  }
  blemon::Seconds FleetInterval(blemon::Seconds configured) override { return configured; }
  void Heartbeat(blemon::MonitorId, bool active) override { last_heartbeat_active = active; }
  void RecordScanHealth(blemon::MonitorId, const blemon::ScanHealthUpdate&) override {}
  // The database's clock agrees with the program's (StillClock).
  blemon::UtcTime StoreNow() override;
  bool StageBatch(const blemon::Batch& batch) override {
    if (!batches.emplace(batch.batch_seq, batch.monitor_id).second) return false;
    for (const blemon::Reading& r : batch.readings) {
      staged[batch.interval_start].push_back({.monitor_id = batch.monitor_id,
                                              .mac = r.mac,
                                              .interval_start = batch.interval_start,
                                              .rssi = r.rssi,
                                              .scan_time = batch.scan_time});
    }
    return true;
  }

  blemon::LeaseAnswer ClaimLease(blemon::MonitorId monitor, blemon::Seconds ttl) override {
    return {.granted = true, .epoch = 1, .holder = monitor, .holder_name = "", .remaining = ttl};
  }
  void ReleaseLease(blemon::MonitorId, std::int64_t) override {}
  blemon::LeaseStatus Lease() override { return {}; }
  std::vector<blemon::UtcTime> PendingIntervals(blemon::UtcTime latest_due) override {
    std::vector<blemon::UtcTime> due;
    for (const auto& [interval, rows] : staged) {
      if (interval <= latest_due && !rows.empty()) due.push_back(interval);
    }
    return due;
  }
  blemon::ProcessOutcome ProcessInterval(blemon::UtcTime interval, blemon::MonitorId,
                                         std::int64_t epoch) override {
    if (epoch != 1) throw blemon::LeaseLost("wrong epoch");
    blemon::BestRssiMerge merge;
    auto& rows = staged[interval];
    merge.Add(rows);
    blemon::ProcessOutcome outcome{.staging_rows = static_cast<int>(rows.size())};
    rows.clear();
    for (const auto& [key, sighting] : merge.Result()) {
      sightings[key] = sighting;
      ++outcome.sightings_changed;
    }
    return outcome;
  }

  std::string registered_name;
  bool last_heartbeat_active = false;
  std::map<std::int64_t, blemon::MonitorId> batches;
  std::map<blemon::UtcTime, std::vector<blemon::StagedReading>> staged;
  std::map<blemon::BestRssiMerge::Key, blemon::Sighting> sightings;
};

// Stands still at 12:03:20 UTC: RunImmediately must scan the interval starting at 12:00:00.
class StillClock final : public blemon::Clock {
 public:
  static constexpr blemon::UtcTime kNow =
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 26} + 12h + 3min + 20s;
  blemon::WallTime UtcNow() override { return kNow; }
  blemon::SteadyTime SteadyNow() override { return blemon::SteadyTime{} + 1h; }
  bool SleepUntil(blemon::SteadyTime, std::stop_token) override { return true; }
};

blemon::UtcTime MemoryStore::StoreNow() {
  return std::chrono::floor<blemon::Seconds>(StillClock::kNow);
}

class PrintingLogger final : public blemon::Logger {
 public:
  void Log(blemon::LogLevel level, std::string_view message) override {
    std::printf("%s: %.*s\n", std::string(blemon::ToString(level)).c_str(),
                static_cast<int>(message.size()), message.data());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SPOOL_FILE\n", argv[0]);
    return 2;
  }
  std::remove(argv[1]);

  // Parsed by the library (toml++ and fmt are its private, link-only dependencies).
  const blemon::Config config = blemon::ParseConfig(R"(
[monitor]
name = "kitchen"
scan_interval_seconds = 300
scan_duration_seconds = 5
process_intervals = true
)",
                                                    "consumer.toml");
  const auto schedule =
      blemon::Schedule::Make({config.monitor.scan_interval, config.monitor.scan_offset,
                              config.monitor.scan_duration, config.monitor.processor_wait});
  if (!schedule) {
    std::fprintf(stderr, "FAILED: the schedule was refused\n");
    return 1;
  }

  ScriptedScanner scanner;
  MemoryStore store;
  StillClock clock;
  PrintingLogger log;
  const auto spool = blemon::sqlite::OpenSpool(argv[1]);
  blemon::MonitorCycle cycle(config, *schedule, {scanner, store, &store, *spool, clock, log});

  Expect(cycle.Start() == blemon::StartOutcome::kReady, "Start() is ready");
  const blemon::CycleReport report = cycle.RunImmediately(std::stop_source().get_token());

  const blemon::UtcTime interval = std::chrono::floor<std::chrono::days>(StillClock::kNow) + 12h;
  Expect(report.interval_start == interval, "the cycle scanned the interval starting 12:00:00");
  Expect(scanner.scans == 1, "the scanner was asked once");
  Expect(report.readings == 2, "two readings: the advert with RSSI 127 was dropped");
  Expect(report.batches_sent == 1, "one batch went from the spool to the store");
  Expect(report.spool_pending == 0, "the spool is empty afterwards");
  Expect(report.store_reachable, "the store was reachable");
  Expect(report.processor, "this monitor is the processor");
  Expect(report.intervals_processed == 1, "the interval was processed");
  Expect(store.registered_name == "kitchen", "the monitor registered under its configured name");
  Expect(store.last_heartbeat_active, "the monitor reported itself active");
  Expect(cycle.monitor_id() == 7, "the monitor kept the store's id");

  const auto first = blemon::MacAddress::Parse("AA:BB:CC:00:00:01");
  const auto second = blemon::MacAddress::Parse("AA:BB:CC:00:00:02");
  Expect(store.sightings.size() == 2, "two sightings were kept");
  if (first && second && store.sightings.size() == 2) {
    const blemon::Sighting& a = store.sightings.at({*first, interval});
    const blemon::Sighting& b = store.sightings.at({*second, interval});
    Expect(a.rssi == -60, "the stronger of the device's two adverts was kept");
    Expect(a.monitor_id == 7 && a.monitors_heard == 1 && !a.margin_db,
           "one monitor heard it, so there is no margin");
    Expect(b.rssi == -80, "the other device kept its only reading");
  }

  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("The embedded monitor cycle did what was expected.\n");
  return 0;
}
