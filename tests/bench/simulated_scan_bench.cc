// How much CPU a simulated scan costs: 1,000 devices heard for 10 s must take well under 50 ms,
// since the monitor's own benchmark runs on top of it. Prints the figures (the target is stated,
// not asserted: speed is read off benchmarks, never enforced by a timed test).

#include <time.h>

#include <chrono>
#include <cstdio>
#include <stop_token>

#include "blemon/simulated/simulated_scanner.h"

namespace {

// Advances instantly, so the benchmark measures generation and not waiting.
class InstantClock final : public blemon::Clock {
 public:
  blemon::WallTime UtcNow() override { return utc_; }
  blemon::SteadyTime SteadyNow() override { return steady_; }
  bool SleepUntil(blemon::SteadyTime deadline, std::stop_token) override {
    utc_ += std::chrono::duration_cast<blemon::Seconds>(deadline - steady_);
    steady_ = deadline;
    return true;
  }

 private:
  blemon::UtcTime utc_{blemon::Seconds{1'699'999'200}};
  blemon::SteadyTime steady_{};
};

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  constexpr int kScans = 30;
  blemon::SimulationSettings settings;
  settings.seed = 1;
  settings.devices = 1000;
  settings.noise_db = 5.0;
  InstantClock clock;
  auto scanner = blemon::simulated::MakeScanner(settings, "Living Room", clock);

  long adverts = 0, readings = 0;
  double worst = 0;
  const double begin = CpuSeconds();
  for (int i = 0; i < kScans; ++i) {
    const double start = CpuSeconds();
    const blemon::ScanResult result = scanner->Scan(blemon::Seconds{10}, {});
    const double took = CpuSeconds() - start;
    if (took > worst) worst = took;
    readings += static_cast<long>(result.readings.size());
    for (const auto& r : result.readings) adverts += r.advert_count;
    adverts += result.stats.dropped_unknown_rssi;
  }
  const double mean = (CpuSeconds() - begin) / kScans;
  std::printf(
      "simulated scan, 1000 devices, 10 s window: %.2f ms CPU mean, %.2f ms worst, "
      "%ld readings and %ld adverts per scan\n",
      mean * 1e3, worst * 1e3, readings / kScans, adverts / kScans);
  std::printf("target: well under 50 ms CPU mean\n");
  return 0;
}
