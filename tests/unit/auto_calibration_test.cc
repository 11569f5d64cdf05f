// The processor's auto_calibrate step (blemon/auto_calibration.h) against an in-memory calibration
// store, the manual reference fit and the staging split of beacons (blemon/calibration.h,
// blemon/calibration_store.h).
#include "blemon/auto_calibration.h"

#include <gmock/gmock.h>

#include "blemon/errors.h"
#include "support/monitor_cycle_fixture.h"

namespace blemon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UtcTime kT0{Seconds{1'772'359'200}};  // 2026-03-01 10:00:00 UTC

// The calibration port in memory: monitors with offsets, observations per interval, and a lease
// (holder, epoch) ApplyOffsets checks. `down` makes every call Unavailable.
class FakeCalibrationStore final : public CalibrationStore {
 public:
  std::vector<CalibrationMonitor> CalibrationMonitors() override {
    if (down) throw Unavailable("store away");
    return monitors;
  }
  std::vector<BeaconObservation> RecentBeaconObservations(int intervals,
                                                          std::optional<UtcTime> up_to) override {
    if (down) throw Unavailable("store away");
    asked.emplace_back(intervals, up_to);
    std::vector<BeaconObservation> out;
    int taken = 0;
    for (auto it = observations.rbegin(); it != observations.rend() && taken < intervals; ++it) {
      if (up_to && it->first > *up_to) continue;
      out.insert(out.end(), it->second.begin(), it->second.end());
      ++taken;
    }
    return out;
  }
  std::vector<WinnerSighting> RecentWinners(const MacAddress&, int) override { return {}; }
  void SetOffsets(const RssiOffsets& offsets) override {
    for (auto& m : monitors) {
      if (offsets.contains(m.monitor_id)) m.offset_tenths = offsets.at(m.monitor_id);
    }
  }
  void ApplyOffsets(const RssiOffsets& offsets, MonitorId monitor, std::int64_t epoch) override {
    if (fenced || (check_lease && (monitor != holder || epoch != lease_epoch))) {
      throw LeaseLost("not the holder");
    }
    ++applied;
    SetOffsets(offsets);
  }

  int OffsetOf(MonitorId id) const {
    for (const auto& m : monitors) {
      if (m.monitor_id == id) return m.offset_tenths;
    }
    return 0;
  }

  std::vector<CalibrationMonitor> monitors;
  std::map<UtcTime, std::vector<BeaconObservation>> observations;
  std::vector<std::pair<int, std::optional<UtcTime>>> asked;
  MonitorId holder = 1;
  std::int64_t lease_epoch = 5;
  int applied = 0;
  bool down = false;
  bool check_lease = true;  // against holder and lease_epoch
  bool fenced = false;      // every ApplyOffsets is LeaseLost
};

// Monitors 1..3 hear each other with reporting offsets R = {+3, -1, -2} dB (mean zero), all else
// equal; monitor 4 is registered but never heard.
std::vector<BeaconObservation> ThreeMonitorsHearingEachOther() {
  const std::map<MonitorId, int> reporting{{1, 3}, {2, -1}, {3, -2}};
  std::vector<BeaconObservation> out;
  for (const auto& [a, ra] : reporting) {
    for (const auto& [b, unused] : reporting) {
      if (a != b)
        out.push_back({.receiver = a, .sender = b, .rssi = -70 + ra, .sender_tx_power = 0});
    }
  }
  return out;
}

class AnAutoCalibrator : public ::testing::Test {
 protected:
  AnAutoCalibrator() {
    for (MonitorId id = 1; id <= 4; ++id) {
      store_.monitors.push_back({.monitor_id = id,
                                 .name = "m" + std::to_string(id),
                                 .location = "",
                                 .offset_tenths = 0,
                                 .position = std::nullopt});
    }
    store_.observations[kT0] = ThreeMonitorsHearingEachOther();
  }

  FakeCalibrationStore store_;
  testing::RecordingLogger log_;
  AutoCalibrator calibrator_{0.5, 12, {store_, log_}};
};

TEST_F(AnAutoCalibrator, MovesFittedOffsetsTheSmoothingShareTowardTheFit) {
  EXPECT_EQ(calibrator_.AfterInterval(kT0, 1, 5), 3);
  // The fit is -R: {-3, +1, +2} dB; half of it, in tenths.
  EXPECT_EQ(store_.OffsetOf(1), -15);
  EXPECT_EQ(store_.OffsetOf(2), 5);
  EXPECT_EQ(store_.OffsetOf(3), 10);
  calibrator_.AfterInterval(kT0, 1, 5);
  EXPECT_EQ(store_.OffsetOf(1), -23) << "half of the remaining 1.5 dB, rounded";
  EXPECT_THAT(store_.asked.front(), (std::pair<int, std::optional<UtcTime>>{12, kT0}));
}

TEST_F(AnAutoCalibrator, LeavesAMonitorItCannotFitAloneAndLogsWhyOnce) {
  store_.monitors[3].offset_tenths = 42;
  store_.observations[kT0].push_back(
      {.receiver = 4, .sender = 1, .rssi = -80, .sender_tx_power = 0});
  calibrator_.AfterInterval(kT0, 1, 5);
  calibrator_.AfterInterval(kT0, 1, 5);
  EXPECT_EQ(store_.OffsetOf(4), 42);
  int said = 0;
  for (const auto& [level, line] : log_.lines()) {
    said += line.find("monitor 4 heard no other monitor both ways") != std::string::npos;
  }
  EXPECT_EQ(said, 1);
}

TEST_F(AnAutoCalibrator, WritesNothingWhenTheOffsetsAlreadyMatchTheFit) {
  store_.monitors[0].offset_tenths = -30;
  store_.monitors[1].offset_tenths = 10;
  store_.monitors[2].offset_tenths = 20;
  EXPECT_EQ(calibrator_.AfterInterval(kT0, 1, 5), 0);
  EXPECT_EQ(store_.applied, 0);
}

TEST_F(AnAutoCalibrator, DoesNothingWithoutObservations) {
  store_.observations.clear();
  EXPECT_EQ(calibrator_.AfterInterval(kT0, 1, 5), 0);
  EXPECT_EQ(store_.applied, 0);
}

TEST_F(AnAutoCalibrator, ReadsOnlyTheWindowEndingAtTheProcessedInterval) {
  // A later interval (processed after this one) says monitor 1 is 10 dB loud: not yet.
  store_.observations[kT0 + Seconds{300}] = {
      {.receiver = 1, .sender = 2, .rssi = -60, .sender_tx_power = 0},
      {.receiver = 2, .sender = 1, .rssi = -70, .sender_tx_power = 0}};
  calibrator_.AfterInterval(kT0, 1, 5);
  EXPECT_EQ(store_.OffsetOf(1), -15);
}

TEST_F(AnAutoCalibrator, PassesALostLeaseOnAndLogsAnUnavailableStore) {
  EXPECT_THROW(calibrator_.AfterInterval(kT0, 2, 5), LeaseLost);
  store_.down = true;
  EXPECT_EQ(calibrator_.AfterInterval(kT0, 1, 5), 0);
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "store away"));
}

// The step inside the monitor cycle (blemon/monitor_cycle.h AttachCalibration).
class ACalibratingCycle : public testing::AMonitorCycle {
 protected:
  ACalibratingCycle() {
    for (MonitorId id = 1; id <= 3; ++id) {
      store_calibration_.monitors.push_back({.monitor_id = id,
                                             .name = "",
                                             .location = "",
                                             .offset_tenths = 0,
                                             .position = std::nullopt});
    }
    // Heard long ago: inside every window the cycle asks for.
    store_calibration_.observations[UtcTime{}] = ThreeMonitorsHearingEachOther();
    store_calibration_.check_lease = false;
  }

  FakeCalibrationStore store_calibration_;
  AutoCalibrator calibrator_{0.5, 12, {store_calibration_, log_}};
};

TEST_F(ACalibratingCycle, RefitsAfterEachProcessedIntervalUpToThatInterval) {
  MonitorCycle& cycle = Started(testing::MakeConfig(/*process=*/true));
  cycle.AttachCalibration(&calibrator_);
  for (int i = 0; i < 3; ++i) RunOnce();
  ASSERT_FALSE(store_calibration_.asked.empty());
  EXPECT_EQ(store_calibration_.asked.size(), store_.process_order().size());
  for (std::size_t i = 0; i < store_calibration_.asked.size(); ++i) {
    EXPECT_EQ(store_calibration_.asked[i].second, store_.process_order()[i]);
  }
  EXPECT_NE(store_calibration_.OffsetOf(1), 0) << "the fit was applied";
}

TEST_F(ACalibratingCycle, StepsDownWhenTheCalibrationWriteFindsTheLeaseLost) {
  MonitorCycle& cycle = Started(testing::MakeConfig(/*process=*/true));
  cycle.AttachCalibration(&calibrator_);
  store_calibration_.fenced = true;
  for (int i = 0; i < 2 && cycle.is_processor(); ++i) RunOnce();
  EXPECT_FALSE(cycle.is_processor());
  EXPECT_EQ(store_calibration_.applied, 0);
}

TEST_F(ACalibratingCycle, DoesNotRunOnAMonitorThatOnlyScans) {
  Started(testing::MakeConfig(/*process=*/false)).AttachCalibration(&calibrator_);
  for (int i = 0; i < 2; ++i) RunOnce();
  EXPECT_TRUE(store_calibration_.asked.empty());
}

TEST(AReferenceFit, TakesTheMedianOfEachMonitorsWinsAgainstTheMeanTarget) {
  const auto at = [](int k, MonitorId m, int rssi) {
    return WinnerSighting{.interval_start = kT0 + k * Seconds{300}, .monitor_id = m, .rssi = rssi};
  };
  // Monitor 1: wins at -50, -52, -70 (the tag carried away): median -52. Monitor 2: -60, -62:
  // median -61. Monitor 3: once only. Monitor 4: never.
  const ReferenceFit fit = FitReference(
      {at(0, 1, -50), at(1, 1, -52), at(2, 1, -70), at(3, 2, -60), at(4, 2, -62), at(5, 3, -40)},
      {1, 2, 3, 4});
  ASSERT_EQ(fit.monitors.size(), 2u);
  EXPECT_EQ(fit.monitors[0].one_metre_rssi_db, -52);
  EXPECT_EQ(fit.monitors[1].one_metre_rssi_db, -61);
  EXPECT_DOUBLE_EQ(fit.target_db, -56.5);
  EXPECT_EQ(FittedOffsets(fit), (RssiOffsets{{1, -45}, {2, 45}}));
  EXPECT_THAT(fit.limits,
              ElementsAre(::testing::HasSubstr("monitor 3 won the tag in 1 interval:"),
                          ::testing::HasSubstr("monitor 4 won the tag in 0 intervals")));
}

TEST(AReferenceFit, CalibratesNothingWithoutSightings) {
  const ReferenceFit fit = FitReference({}, {1});
  EXPECT_THAT(fit.monitors, IsEmpty());
  EXPECT_THAT(FittedOffsets(fit), IsEmpty());
}

TEST(BeaconsOfABatch, KeepTheStrongestReadingPerSenderAndLeaveDevicesOut) {
  const auto reading = [](const char* mac, int rssi, std::optional<MonitorBeacon> beacon) {
    Reading r{.mac = *MacAddress::Parse(mac),
              .address_class = AddressClass::kRandomStatic,
              .rssi = rssi,
              .advert_count = 1,
              .name = std::nullopt,
              .tx_power = std::nullopt,
              .company_ids = {},
              .payload = {}};
    r.payload.monitor_beacon = beacon;
    return r;
  };
  const Batch batch{.monitor_id = 1,
                    .batch_seq = 1,
                    .interval_start = kT0,
                    .scan_time = kT0,
                    .readings = {reading("C0:00:00:00:00:03", -80, MonitorBeacon{3, 4}),
                                 reading("C0:00:00:00:00:02", -70, MonitorBeacon{2, 0}),
                                 reading("C0:00:00:00:00:22", -65, MonitorBeacon{2, 0}),
                                 reading("AA:00:00:00:00:01", -40, std::nullopt)}};
  EXPECT_THAT(BeaconsOf(batch),
              ElementsAre(BatchBeacon{.sender = 2, .rssi = -65, .sender_tx_power = 0},
                          BatchBeacon{.sender = 3, .rssi = -80, .sender_tx_power = 4}));
  EXPECT_FALSE(IsMonitorBeacon(batch.readings[3]));
}

}  // namespace
}  // namespace blemon
