// Benchmark of blemon-monitor's cycle, in process, with an accelerated clock: the real
// MonitorCycle, the simulated scanner with 1,000 devices, and the embedded SQLite store and
// spool (as in the demo; the MariaDB store's client side is not measured here). Prints
//   - CPU of one cycle outside the scan window (target <= 50 ms), and of the simulated scan;
//   - resident memory after the first cycle and after 1,000 cycles (target <= 10 MiB, no growth).
// The clock's SleepUntil returns at once, so 1,000 five-minute intervals take seconds, not days.
//
// --pseudonymise 1 runs the cycle in privacy mode (every address hashed, docs/privacy.md).
// --compare 1 runs a raw and a pseudonymising cycle side by side in one process, interleaved, and
// prints the CPU of each per cycle and the difference (the cost of privacy mode).
//
//   monitor_cycle_bench [--cycles N] [--devices N] [--dir DIR] [--pseudonymise 0|1] [--compare 0|1]

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "blemon/config.h"
#include "blemon/interval.h"
#include "blemon/monitor_cycle.h"
#include "blemon/privacy.h"
#include "blemon/simulated/simulated_scanner.h"
#include "blemon/sqlite/sqlite_spool.h"
#include "blemon/sqlite/sqlite_store.h"

namespace {

using namespace blemon;
using std::chrono::duration;
using std::chrono::microseconds;

// Sleeping jumps the clock to the deadline: an interval passes in no real time.
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
  // A fixed start keeps runs comparable (the simulated world depends on the time).
  const std::chrono::sys_time<microseconds> utc0_{
      std::chrono::sys_days{std::chrono::year{2026} / 2 / 22} + std::chrono::hours{15}};
  const SteadyTime steady0_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration offset_{};
};

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Adds up the CPU time spent inside Scan(), so the cycle's own cost can be told apart.
class TimedScanner final : public Scanner {
 public:
  explicit TimedScanner(Scanner& inner) : inner_(inner) {}
  ScanResult Scan(Seconds window, std::stop_token stop) override {
    const double before = CpuSeconds();
    ScanResult result = inner_.Scan(window, stop);
    cpu_ += CpuSeconds() - before;
    return result;
  }
  double cpu() const { return cpu_; }

 private:
  Scanner& inner_;
  double cpu_ = 0;
};

double MiB(long kib) { return static_cast<double>(kib) / 1024.0; }

// CPU spent in each port, to say where a cycle's cost goes.
struct PortCpu {
  double spool = 0;
  double stage = 0;    // RegisterMonitor, FleetInterval, Heartbeat, StageBatch
  double process = 0;  // lease, PendingIntervals, ProcessInterval
};

template <typename F>
auto Timed(double& sink, F&& f) {
  const double before = CpuSeconds();
  struct Add {
    double& sink;
    double before;
    ~Add() { sink += CpuSeconds() - before; }
  } add{sink, before};
  return f();
}

class TimedSpool final : public Spool {
 public:
  TimedSpool(Spool& inner, PortCpu& cpu) : inner_(inner), cpu_(cpu) {}
  std::int64_t Append(UtcTime interval_start, UtcTime scan_time,
                      const std::vector<Reading>& readings) override {
    return Timed(cpu_.spool, [&] { return inner_.Append(interval_start, scan_time, readings); });
  }
  std::optional<SpooledBatch> OldestAfter(std::int64_t batch_seq) override {
    return Timed(cpu_.spool, [&] { return inner_.OldestAfter(batch_seq); });
  }
  void Remove(std::int64_t batch_seq) override {
    Timed(cpu_.spool, [&] { inner_.Remove(batch_seq); });
  }
  int Trim(const SpoolLimits& limits, UtcTime now) override {
    return Timed(cpu_.spool, [&] { return inner_.Trim(limits, now); });
  }
  std::int64_t Pending() override {
    return Timed(cpu_.spool, [&] { return inner_.Pending(); });
  }

 private:
  Spool& inner_;
  PortCpu& cpu_;
};

class TimedScanStore final : public ScanStore {
 public:
  TimedScanStore(ScanStore& inner, PortCpu& cpu) : inner_(inner), cpu_(cpu) {}
  MonitorId RegisterMonitor(const MonitorInfo& info) override {
    return Timed(cpu_.stage, [&] { return inner_.RegisterMonitor(info); });
  }
  Seconds FleetInterval(Seconds configured) override {
    return Timed(cpu_.stage, [&] { return inner_.FleetInterval(configured); });
  }
  void Heartbeat(MonitorId monitor, bool active) override {
    Timed(cpu_.stage, [&] { inner_.Heartbeat(monitor, active); });
  }
  UtcTime StoreNow() override {
    return Timed(cpu_.stage, [&] { return inner_.StoreNow(); });
  }
  void RecordScanHealth(MonitorId monitor, const ScanHealthUpdate& update) override {
    Timed(cpu_.stage, [&] { inner_.RecordScanHealth(monitor, update); });
  }
  bool StageBatch(const Batch& batch) override {
    return Timed(cpu_.stage, [&] { return inner_.StageBatch(batch); });
  }

 private:
  ScanStore& inner_;
  PortCpu& cpu_;
};

class TimedProcessorStore final : public ProcessorStore {
 public:
  TimedProcessorStore(ProcessorStore& inner, PortCpu& cpu) : inner_(inner), cpu_(cpu) {}
  LeaseAnswer ClaimLease(MonitorId monitor, Seconds ttl) override {
    return Timed(cpu_.process, [&] { return inner_.ClaimLease(monitor, ttl); });
  }
  void ReleaseLease(MonitorId monitor, std::int64_t epoch) override {
    Timed(cpu_.process, [&] { inner_.ReleaseLease(monitor, epoch); });
  }
  LeaseStatus Lease() override {
    return Timed(cpu_.process, [&] { return inner_.Lease(); });
  }
  std::vector<UtcTime> PendingIntervals(UtcTime latest_due) override {
    return Timed(cpu_.process, [&] { return inner_.PendingIntervals(latest_due); });
  }
  ProcessOutcome ProcessInterval(UtcTime interval_start, MonitorId monitor,
                                 std::int64_t epoch) override {
    return Timed(cpu_.process,
                 [&] { return inner_.ProcessInterval(interval_start, monitor, epoch); });
  }

 private:
  ProcessorStore& inner_;
  PortCpu& cpu_;
};

// VmRSS / VmHWM in KiB from /proc/self/status.
long StatusKiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

// One monitor's cycle on its own clock, store and spool: raw or in privacy mode.
struct Rig {
  Rig(const Config& config, const Schedule& schedule, const std::filesystem::path& dir,
      bool pseudonymise)
      : simulated(simulated::MakeScanner(config.simulation, config.monitor.location, clock)),
        scanner(*simulated),
        store(sqlite::OpenStore((dir / "blemon.db").string())),
        sqlite_spool(sqlite::OpenSpool((dir / "spool.db").string())),
        spool(*sqlite_spool, port_cpu),
        scan_store(*store, port_cpu),
        processor_store(*store, port_cpu),
        cycle(config, schedule,
              MonitorCycle::Ports{scanner, scan_store, &processor_store, spool, clock, log}),
        pseudonymiser("a fleet secret for the benchmark") {
    if (pseudonymise) cycle.AttachPrivacy(&pseudonymiser, [] { return WatchedDevices{}; });
  }

  // CPU seconds of one cycle outside the scan.
  double RunCycle(CycleReport* report = nullptr) {
    const double scan_before = scanner.cpu();
    const double before = CpuSeconds();
    const CycleReport result = cycle.RunOnce(std::stop_token{});
    const double outside = CpuSeconds() - before - (scanner.cpu() - scan_before);
    if (report != nullptr) *report = result;
    return outside;
  }

  FastClock clock;
  NullLogger log;
  std::unique_ptr<Scanner> simulated;
  TimedScanner scanner;
  std::unique_ptr<Store> store;
  std::unique_ptr<Spool> sqlite_spool;
  PortCpu port_cpu;
  TimedSpool spool;
  TimedScanStore scan_store;
  TimedProcessorStore processor_store;
  MonitorCycle cycle;
  Pseudonymiser pseudonymiser;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

// The pseudonymising step alone on one scan's readings, repeated: with an empty cache (the first
// scan of a UTC day: one HMAC per address) and with a warm one (every later scan of the day).
void PseudonymiseAlone(Scanner& scanner, Seconds window) {
  const std::vector<Reading> scan = scanner.Scan(window, std::stop_token{}).readings;
  constexpr int kRepeats = 200;
  const UtcTime day{std::chrono::sys_days{std::chrono::year{2026} / 2 / 22}};
  double cold = 0;
  double warm = 0;
  for (int i = 0; i < kRepeats; ++i) {
    Pseudonymiser pseudonymiser("a fleet secret for the benchmark");
    std::vector<Reading> first = scan;
    const double before = CpuSeconds();
    pseudonymiser.Apply(first, day);
    const double between = CpuSeconds();
    std::vector<Reading> again = scan;
    pseudonymiser.Apply(again, day);
    warm += CpuSeconds() - between;
    cold += between - before;
  }
  std::printf(
      "the pseudonymising step alone, %zu readings: %.3f ms with an empty cache (first scan of "
      "the day), %.3f ms with the day's cache warm (mean of %d)\n",
      scan.size(), cold / kRepeats * 1e3, warm / kRepeats * 1e3, kRepeats);
}

// --compare: a raw and a pseudonymising monitor side by side in one process, over the same
// simulated world and the same simulated times, cycles interleaved (the order swapped every
// cycle) so that the machine's load falls on both alike. Prints CPU per cycle outside the scan:
// median, 10th and 90th percentile of each, and the median of the per-cycle differences.
int Compare(const Config& config, const Schedule& schedule, const std::filesystem::path& dir,
            int cycles) {
  std::filesystem::create_directories(dir / "raw");
  std::filesystem::create_directories(dir / "pseudonymised");
  Rig raw(config, schedule, dir / "raw", false);
  Rig pseudonymised(config, schedule, dir / "pseudonymised", true);
  if (raw.cycle.Start() != StartOutcome::kReady ||
      pseudonymised.cycle.Start() != StartOutcome::kReady) {
    std::fprintf(stderr, "could not start the cycles\n");
    return 1;
  }
  std::vector<double> raw_cpu;
  std::vector<double> pseudonymised_cpu;
  std::vector<double> differences;
  CycleReport report;
  for (int i = 0; i < cycles; ++i) {
    double r = 0;
    double p = 0;
    if (i % 2 == 0) {
      r = raw.RunCycle(&report);
      p = pseudonymised.RunCycle();
    } else {
      p = pseudonymised.RunCycle();
      r = raw.RunCycle(&report);
    }
    raw_cpu.push_back(r);
    pseudonymised_cpu.push_back(p);
    differences.push_back(p - r);
  }
  raw.cycle.Shutdown();
  pseudonymised.cycle.Shutdown();
  const auto line = [](const char* what, const std::vector<double>& v) {
    std::printf("  %-14s median %6.2f ms  p10 %6.2f ms  p90 %6.2f ms\n", what,
                Percentile(v, 0.5) * 1e3, Percentile(v, 0.1) * 1e3, Percentile(v, 0.9) * 1e3);
  };
  std::printf("raw vs pseudonymised, side by side, %d cycles each, %d readings per cycle:\n",
              cycles, report.readings);
  std::printf("CPU per cycle outside the scan (getrusage, user + system):\n");
  line("raw", raw_cpu);
  line("pseudonymised", pseudonymised_cpu);
  const double median_raw = Percentile(raw_cpu, 0.5);
  std::printf(
      "  pseudonymising costs %+.2f ms per cycle (median of per-cycle differences; p10 %+.2f, "
      "p90 %+.2f), %+.1f %% of the raw median (bound: +5 %%)\n",
      Percentile(differences, 0.5) * 1e3, Percentile(differences, 0.1) * 1e3,
      Percentile(differences, 0.9) * 1e3, Percentile(differences, 0.5) / median_raw * 100);
  PseudonymiseAlone(*raw.simulated, config.monitor.scan_duration);
  std::filesystem::remove_all(dir);
  return report.readings > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 1000;
  int devices = 1000;
  bool pseudonymise = false;
  bool compare = false;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "blemon-monitor-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--cycles")
      cycles = std::atoi(argv[i + 1]);
    else if (flag == "--devices")
      devices = std::atoi(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else if (flag == "--pseudonymise")
      pseudonymise = std::atoi(argv[i + 1]) != 0;
    else if (flag == "--compare")
      compare = std::atoi(argv[i + 1]) != 0;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  Config config;
  config.monitor.name = "bench";
  config.monitor.location = "Living Room";
  config.monitor.process_intervals = true;  // the heavier role: it also processes every interval
  config.simulation.devices = devices;
  // The store's clock is the real one, ours the fixed start below: without this the clock check
  // (max_clock_skew) stops every scan and the bench measures cycles of 0 readings.
  config.monitor.max_clock_skew = Seconds{10LL * 365 * 86400};
  const auto schedule = Schedule::Make(config.monitor.schedule());
  if (compare) return Compare(config, *schedule, dir, cycles);

  FastClock clock;
  NullLogger log;
  auto simulated = simulated::MakeScanner(config.simulation, config.monitor.location, clock);
  TimedScanner scanner(*simulated);
  auto store = sqlite::OpenStore((dir / "blemon.db").string());
  auto sqlite_spool = sqlite::OpenSpool((dir / "spool.db").string());
  PortCpu port_cpu;
  TimedSpool spool(*sqlite_spool, port_cpu);
  TimedScanStore scan_store(*store, port_cpu);
  TimedProcessorStore processor_store(*store, port_cpu);
  MonitorCycle cycle(config, *schedule,
                     MonitorCycle::Ports{scanner, scan_store, &processor_store, spool, clock, log});
  Pseudonymiser pseudonymiser("a fleet secret for the benchmark");
  if (pseudonymise) cycle.AttachPrivacy(&pseudonymiser, [] { return WatchedDevices{}; });
  if (cycle.Start() != StartOutcome::kReady) {
    std::fprintf(stderr, "could not start the cycle\n");
    return 1;
  }
  const long rss_start = StatusKiB("VmRSS");

  std::printf("monitor cycle bench (%s): %d simulated devices, SQLite store and spool in %s\n",
              pseudonymise ? "privacy mode, every address pseudonymised" : "raw addresses", devices,
              dir.c_str());
  double worst_outside = 0;
  double total_outside = 0;
  double total_scan = 0;
  double window_outside = 0;
  long rss_after_first = 0;
  long rss_after_100 = 0;
  int readings_first = 0;
  const auto wall0 = std::chrono::steady_clock::now();
  for (int i = 1; i <= cycles; ++i) {
    const double scan_before = scanner.cpu();
    const double before = CpuSeconds();
    const CycleReport report = cycle.RunOnce(std::stop_token{});
    const double scan = scanner.cpu() - scan_before;
    const double outside = CpuSeconds() - before - scan;
    total_outside += outside;
    total_scan += scan;
    if (outside > worst_outside) worst_outside = outside;
    if (i == 1) {
      rss_after_first = StatusKiB("VmRSS");
      readings_first = report.readings;
      std::printf(
          "first cycle: %d readings, %d interval(s) processed; CPU outside the scan %.1f "
          "ms, simulated scan %.1f ms; RSS %.2f MiB (%.2f MiB before it)\n",
          report.readings, report.intervals_processed, outside * 1e3, scan * 1e3,
          MiB(rss_after_first), MiB(rss_start));
    }
    if (i == 100) rss_after_100 = StatusKiB("VmRSS");
    // The cost per cycle may grow with the store's tables (1,000 rows per cycle): show the trend.
    window_outside += outside;
    if (i % 100 == 0) {
      std::printf(
          "  cycles %4d-%4d: CPU outside the scan %.1f ms per cycle (spool %.1f, staging %.1f, "
          "processing %.1f), RSS %.2f MiB\n",
          i - 99, i, window_outside / 100 * 1e3, port_cpu.spool / 100 * 1e3,
          port_cpu.stage / 100 * 1e3, port_cpu.process / 100 * 1e3, MiB(StatusKiB("VmRSS")));
      window_outside = 0;
      port_cpu = PortCpu{};
    }
  }
  const double wall = duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const long rss_end = StatusKiB("VmRSS");
  const long hwm = StatusKiB("VmHWM");
  cycle.Shutdown();

  std::printf(
      "%d cycles in %.1f s: CPU per cycle outside the scan: mean %.1f ms, worst %.1f ms "
      "(target <= 50 ms); simulated scan mean %.1f ms\n",
      cycles, wall, total_outside / cycles * 1e3, worst_outside * 1e3, total_scan / cycles * 1e3);
  std::printf(
      "RSS: after 1 cycle %.2f MiB, after %d %.2f MiB, after %d %.2f MiB, peak %.2f MiB "
      "(target <= 10 MiB); growth after cycle 100: %+.2f MiB\n",
      MiB(rss_after_first), cycles < 100 ? cycles : 100,
      MiB(rss_after_100 ? rss_after_100 : rss_end), cycles, MiB(rss_end), MiB(hwm),
      MiB(rss_end - (rss_after_100 ? rss_after_100 : rss_after_first)));
  std::filesystem::remove_all(dir);
  return readings_first > 0 ? 0 : 1;
}
