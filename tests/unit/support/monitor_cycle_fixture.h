#pragma once

// The monitor cycle's unit-test fixture: a MonitorCycle wired to the in-memory fakes of fakes.h,
// started 100 s into an interval, and the helpers its tests share (monitor_cycle_test.cc,
// failure_policy_test.cc, ...).

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "blemon/monitor_cycle.h"
#include "fakes.h"

namespace blemon::testing {

inline constexpr long long kMidnight = 1'774'742'400;  // 2026-03-29 00:00:00 UTC, interval-aligned

inline Reading MakeReading(std::uint8_t last_octet, int rssi) {
  // Reading has no default constructor: a MacAddress is always a valid address.
  return Reading{.mac = MacAddress::FromBytes({0xAA, 0xBB, 0xCC, 0xDD, 0xEE, last_octet}),
                 .rssi = rssi,
                 .advert_count = 3,
                 .name = std::nullopt,
                 .tx_power = std::nullopt,
                 .company_ids = {},
                 .payload = {}};
}

inline Config MakeConfig(bool process = false, bool standby = false) {
  Config config;
  config.monitor.name = "pi-hall";
  config.monitor.location = "Hall";
  config.monitor.description = "By the front door";
  config.monitor.process_intervals = process;
  config.monitor.processor_standby = standby;
  return config;
}

inline Schedule ScheduleOf(const Config& config) {
  std::string why;
  auto schedule = Schedule::Make(config.monitor.schedule(), &why);
  EXPECT_TRUE(schedule.has_value()) << why;
  return schedule.value_or(*Schedule::Make({}));
}

// Times as seconds after kMidnight: readable in failure messages, unlike raw time_points.
inline long long Offset(UtcTime t) { return t.time_since_epoch().count() - kMidnight; }
inline std::vector<long long> Offsets(const std::vector<UtcTime>& times) {
  std::vector<long long> offsets;
  for (UtcTime t : times) offsets.push_back(Offset(t));
  return offsets;
}
inline std::vector<long long> IntervalsOf(const std::vector<Batch>& batches) {
  std::vector<long long> intervals;
  for (const auto& b : batches) intervals.push_back(Offset(b.interval_start));
  return intervals;
}

// Where `event` first appears in `journal`, or -1.
inline long Position(const std::vector<std::string>& journal, const std::string& event) {
  auto it = std::find(journal.begin(), journal.end(), event);
  return it == journal.end() ? -1 : static_cast<long>(it - journal.begin());
}

// A monitor wired to in-memory fakes, started 100 s into an interval.
class AMonitorCycle : public ::testing::Test {
 protected:
  AMonitorCycle() { scanner_.Hear({MakeReading(1, -60), MakeReading(2, -75)}); }

  MonitorCycle& Make(const Config& config) {
    cycle_ = std::make_unique<MonitorCycle>(
        config, ScheduleOf(config),
        MonitorCycle::Ports{scanner_, store_, config.monitor.process_intervals ? &store_ : nullptr,
                            spool_, clock_, log_});
    return *cycle_;
  }
  MonitorCycle& Started(const Config& config) {
    MonitorCycle& cycle = Make(config);
    EXPECT_EQ(cycle.Start(), StartOutcome::kReady);
    return cycle;
  }
  CycleReport RunOnce() { return cycle_->RunOnce(stop_.get_token()); }

  FakeClock clock_{At(kMidnight + 100)};
  FakeScanner scanner_{clock_};
  FakeStore store_{clock_};
  FakeSpool spool_;
  RecordingLogger log_;
  std::stop_source stop_;
  std::unique_ptr<MonitorCycle> cycle_;
};

}  // namespace blemon::testing
