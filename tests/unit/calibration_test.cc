#include "blemon/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace blemon {
namespace {

// A made-up fleet with known terms: what each monitor would report hearing each other one.
struct Truth {
  std::map<MonitorId, MonitorPosition> positions{
      {1, {0, 0}}, {2, {6, 0}}, {3, {0, 5}}, {4, {7, 6}}, {5, {12, 2}}};
  std::map<MonitorId, double> gain{{1, 10}, {2, -2}, {3, 1}, {4, -4}, {5, -5}};     // mean 0
  std::map<MonitorId, double> reporting{{1, -3}, {2, 4}, {3, 0}, {4, 2}, {5, -3}};  // mean 0
  std::map<MonitorId, int> tx{{1, 0}, {2, 4}, {3, -4}, {4, 0}, {5, 8}};
  double c = -59;
  double n = 2.7;

  double Heard(MonitorId receiver, MonitorId sender) const {
    const auto& a = positions.at(receiver);
    const auto& b = positions.at(sender);
    const double d = std::hypot(a.x - b.x, a.y - b.y);
    return tx.at(sender) + gain.at(receiver) + gain.at(sender) + reporting.at(receiver) + c -
           10 * n * std::log10(d);
  }

  // Every ordered pair heard `times` times; `jitter` alternates +/- so the mean stays exact.
  std::vector<BeaconObservation> Observations(int times = 1, int jitter = 0) const {
    std::vector<BeaconObservation> out;
    for (const auto& [a, unused_a] : positions) {
      for (const auto& [b, unused_b] : positions) {
        if (a == b) continue;
        for (int i = 0; i < times; ++i) {
          const int sign = i % 2 == 0 ? 1 : -1;
          out.push_back({.receiver = a,
                         .sender = b,
                         .rssi = static_cast<int>(std::lround(Heard(a, b))) + sign * jitter,
                         .sender_tx_power = tx.at(b)});
        }
      }
    }
    return out;
  }
};

const MonitorTerms& TermsOf(const CalibrationFit& fit, MonitorId m) {
  for (const auto& t : fit.monitors) {
    if (t.monitor_id == m) return t;
  }
  ADD_FAILURE() << "monitor " << m << " not in the fit";
  return fit.monitors.front();
}

TEST(ACalibrationFit, RecoversReportingOffsetsFromDifferencesWithoutPositions) {
  const Truth truth;
  const CalibrationFit fit = FitCalibration(truth.Observations(), {});
  ASSERT_EQ(fit.monitors.size(), 5u);
  for (const auto& [m, r] : truth.reporting) {
    ASSERT_TRUE(TermsOf(fit, m).reporting_offset_db) << m;
    // Readings are rounded to whole dB, so each difference is off by up to 1 dB.
    EXPECT_NEAR(*TermsOf(fit, m).reporting_offset_db, r, 0.7) << "monitor " << m;
    EXPECT_FALSE(TermsOf(fit, m).gain_db);
    EXPECT_EQ(TermsOf(fit, m).pairs, 4);
  }
  EXPECT_EQ(fit.pairs.size(), 10u);
  EXPECT_FALSE(fit.path_loss_exponent);
  ASSERT_FALSE(fit.limits.empty());
  EXPECT_NE(fit.limits.front().find("no monitor has a position"), std::string::npos);
}

TEST(ACalibrationFit, RecoversGainsAndPathLossFromSumsWithPositions) {
  const Truth truth;
  const CalibrationFit fit = FitCalibration(truth.Observations(), truth.positions);
  for (const auto& [m, g] : truth.gain) {
    ASSERT_TRUE(TermsOf(fit, m).gain_db) << m;
    EXPECT_NEAR(*TermsOf(fit, m).gain_db, g, 0.7) << "monitor " << m;
    EXPECT_NEAR(TermsOf(fit, m).RssiOffsetDb(), -(g + truth.reporting.at(m)), 1.2);
  }
  ASSERT_TRUE(fit.path_loss_exponent);
  EXPECT_NEAR(*fit.path_loss_exponent, truth.n, 0.2);
  ASSERT_TRUE(fit.rssi_at_one_metre_db);
  // C and n trade off against each other over a few distances: C is the looser of the two.
  EXPECT_NEAR(*fit.rssi_at_one_metre_db, truth.c, 2.5);
  ASSERT_TRUE(fit.sum_rms_db);
  EXPECT_LT(*fit.sum_rms_db, 0.7);
  EXPECT_TRUE(fit.limits.empty()) << fit.limits.front();
}

TEST(ACalibrationFit, AveragesRepeatedObservationsPerDirection) {
  const Truth truth;
  const CalibrationFit once = FitCalibration(truth.Observations(1, 0), truth.positions);
  const CalibrationFit many = FitCalibration(truth.Observations(6, 3), truth.positions);
  for (const auto& m : once.monitors) {
    EXPECT_NEAR(*TermsOf(many, m.monitor_id).reporting_offset_db, *m.reporting_offset_db, 1e-9);
  }
  EXPECT_EQ(many.pairs.front().heard_ab, 6);
}

TEST(ACalibrationFit, NamesAMonitorHeardOnlyOneWay) {
  const Truth truth;
  auto observations = truth.Observations();
  observations.push_back({.receiver = 9, .sender = 1, .rssi = -80, .sender_tx_power = 0});
  const CalibrationFit fit = FitCalibration(observations, {});
  EXPECT_FALSE(TermsOf(fit, 9).reporting_offset_db);
  EXPECT_EQ(TermsOf(fit, 9).pairs, 0);
  bool named = false;
  for (const auto& limit : fit.limits) named |= limit.find("monitor 9") != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_EQ(FittedOffsets(fit).count(9), 0u);
}

TEST(ACalibrationFit, KeepsSeparateGroupsMeanZeroAndSaysSo) {
  const std::vector<BeaconObservation> two_islands{
      {.receiver = 1, .sender = 2, .rssi = -60, .sender_tx_power = 0},
      {.receiver = 2, .sender = 1, .rssi = -66, .sender_tx_power = 0},
      {.receiver = 3, .sender = 4, .rssi = -70, .sender_tx_power = 0},
      {.receiver = 4, .sender = 3, .rssi = -70, .sender_tx_power = 0}};
  const CalibrationFit fit = FitCalibration(two_islands, {});
  EXPECT_NEAR(*TermsOf(fit, 1).reporting_offset_db, 3, 1e-9);
  EXPECT_NEAR(*TermsOf(fit, 2).reporting_offset_db, -3, 1e-9);
  EXPECT_NEAR(*TermsOf(fit, 3).reporting_offset_db, 0, 1e-9);
  ASSERT_FALSE(fit.limits.empty());
  EXPECT_NE(fit.limits.front().find("2 groups"), std::string::npos);
}

TEST(ACalibrationFit, GivesOffsetsInTenthsThatUndoTheTerms) {
  const Truth truth;
  const RssiOffsets offsets = FittedOffsets(FitCalibration(truth.Observations(), truth.positions));
  ASSERT_EQ(offsets.size(), 5u);
  EXPECT_NEAR(offsets.at(1), -70, 12) << "gain +10, reporting -3: 7 dB too loud";
}

TEST(SmoothedOffsets, MoveAShareOfTheWayAndKeepUnfittedMonitors) {
  const RssiOffsets current{{1, 0}, {2, 40}};
  const RssiOffsets fitted{{1, -100}, {3, 21}};
  EXPECT_EQ(SmoothOffsets(current, fitted, 0.5), (RssiOffsets{{1, -50}, {2, 40}, {3, 11}}));
  EXPECT_EQ(SmoothOffsets(current, fitted, 1.0), (RssiOffsets{{1, -100}, {2, 40}, {3, 21}}));
}

}  // namespace
}  // namespace blemon
