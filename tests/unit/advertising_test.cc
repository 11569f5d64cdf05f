// The monitor cycle and the Advertiser port: the beacon goes on the air once the monitor has an
// id, is kept up before every scan, never stops a scan when the radio refuses it (said once in
// the log), and is withdrawn on shutdown.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "support/monitor_cycle_fixture.h"

namespace blemon::testing {
namespace {

class AnAdvertisingMonitorCycle : public AMonitorCycle {
 protected:
  MonitorCycle& StartedAdvertising(const Config& config = MakeConfig()) {
    cycle_ = std::make_unique<MonitorCycle>(config, ScheduleOf(config),
                                            MonitorCycle::Ports{.scanner = scanner_,
                                                                .store = store_,
                                                                .processor_store = nullptr,
                                                                .spool = spool_,
                                                                .clock = clock_,
                                                                .log = log_,
                                                                .advertiser = &advertiser_});
    EXPECT_EQ(cycle_->Start(), StartOutcome::kReady);
    return *cycle_;
  }

  long CountLines(LogLevel level, const std::string& fragment) const {
    return std::count_if(log_.lines().begin(), log_.lines().end(), [&](const auto& line) {
      return line.first == level && line.second.find(fragment) != std::string::npos;
    });
  }

  FakeAdvertiser advertiser_;
};

TEST_F(AnAdvertisingMonitorCycle, GoesOnTheAirWithItsMonitorIdOnceRegistered) {
  StartedAdvertising();
  ASSERT_TRUE(cycle_->monitor_id().has_value());
  const MonitorId id = *cycle_->monitor_id();
  EXPECT_EQ(advertiser_.starts(), (std::vector<MonitorId>{id}));
  ASSERT_TRUE(advertiser_.on_air().has_value());
  EXPECT_EQ(advertiser_.on_air()->monitor_id, static_cast<std::uint32_t>(id));
  EXPECT_EQ(CountLines(LogLevel::kInfo, "Advertising this monitor's beacon (monitor ID " +
                                            std::to_string(id) + ", TX power -4 dBm)"),
            1);
}

TEST_F(AnAdvertisingMonitorCycle, SaysWhenTheAdapterReportedNoTxPower) {
  advertiser_.tx_power_unknown = true;
  StartedAdvertising();
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "TX power not reported by the adapter"));
  EXPECT_FALSE(log_.Contains(LogLevel::kInfo, "TX power -4 dBm"));
}

TEST_F(AnAdvertisingMonitorCycle, WaitsForAMonitorIdWhileTheStoreIsDown) {
  store_.down = true;
  StartedAdvertising();
  RunOnce();
  EXPECT_TRUE(advertiser_.starts().empty());
  EXPECT_EQ(scanner_.calls().size(), 1u);  // scanning does not wait for it

  store_.down = false;
  RunOnce();  // registers while sending the spool, and goes on the air then
  EXPECT_TRUE(advertiser_.on_air().has_value());
}

TEST_F(AnAdvertisingMonitorCycle, KeepsTheBeaconUpBeforeEveryScan) {
  StartedAdvertising();
  scanner_.OnScan([this](int) { EXPECT_TRUE(advertiser_.on_air().has_value()); });
  RunOnce();
  RunOnce();
  EXPECT_EQ(advertiser_.starts().size(), 3u);  // at start, then before each of two scans
  EXPECT_EQ(CountLines(LogLevel::kInfo, "Advertising this monitor's beacon"), 1);
}

TEST_F(AnAdvertisingMonitorCycle, ScansOnWhenRefusedAndSaysSoOnce) {
  advertiser_.refusal = "Maximum advertisements reached";
  StartedAdvertising();
  for (int i = 0; i < 3; ++i) {
    const CycleReport report = RunOnce();
    EXPECT_FALSE(report.scan_failed);
    EXPECT_EQ(report.readings, 2);
  }
  EXPECT_EQ(store_.staged().size(), 3u);
  EXPECT_EQ(advertiser_.starts().size(), 4u);  // retried before every scan
  EXPECT_EQ(CountLines(LogLevel::kWarning, "Not advertising this monitor's beacon"), 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "Maximum advertisements reached"));
}

TEST_F(AnAdvertisingMonitorCycle, SaysSoAgainWhenTheBeaconComesBackAndIsLostAgain) {
  advertiser_.refusal = "bluetoothd is not running";
  StartedAdvertising();
  advertiser_.refusal.reset();
  RunOnce();
  RunOnce();
  advertiser_.refusal = "adapter hci0 disappeared";
  RunOnce();
  RunOnce();
  EXPECT_EQ(CountLines(LogLevel::kWarning, "Not advertising this monitor's beacon"), 2);
  EXPECT_EQ(CountLines(LogLevel::kInfo, "Advertising this monitor's beacon"), 1);
}

TEST_F(AnAdvertisingMonitorCycle, WithdrawsTheBeaconOnShutdown) {
  MonitorCycle& cycle = StartedAdvertising();
  RunOnce();
  cycle.Shutdown();
  EXPECT_EQ(advertiser_.stops(), 1);
  EXPECT_FALSE(advertiser_.on_air().has_value());
}

}  // namespace
}  // namespace blemon::testing
