// The simulated monitors' radio biases and beacons: what calibration has to undo, and the
// reciprocity it relies on.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "world.h"

namespace blemon::simulated {
namespace {

constexpr std::int64_t kT0Ms = 1'699'999'200'000;

SimulationSettings Noiseless() {
  SimulationSettings s;
  s.seed = 5;
  s.devices = 40;
  s.noise_db = 0;
  return s;
}

std::map<std::string, int> StrongestByAddress(const ScanAggregator& sink) {
  std::map<std::string, int> out;
  for (const Reading& r : sink.Readings()) out[r.mac.ToString()] = r.rssi;
  return out;
}

TEST(AMonitorsBias, ShiftsEverythingItHearsByGainPlusReportingOffset) {
  SimulationSettings biased = Noiseless();
  biased.monitor_gain_db["kitchen"] = 7;
  biased.monitor_reporting_offset_db["kitchen"] = -3;
  const World plain_world(Noiseless()), biased_world(biased);
  const MonitorPlacement plain = plain_world.Place("Kitchen");
  const MonitorPlacement loud = biased_world.Place("  KITCHEN ");
  EXPECT_EQ(loud.gain_db, 7);
  EXPECT_EQ(loud.reporting_offset_db, -3);
  ScanAggregator a, b;
  plain_world.Hear(plain, kT0Ms, kT0Ms + 10'000, a);
  biased_world.Hear(loud, kT0Ms, kT0Ms + 10'000, b);
  const auto quiet = StrongestByAddress(a), louder = StrongestByAddress(b);
  int compared = 0;
  for (const auto& [address, rssi] : quiet) {
    if (!louder.contains(address) || rssi < -95) continue;  // near sensitivity, rounding differs
    EXPECT_EQ(louder.at(address), rssi + 4) << address;
    ++compared;
  }
  EXPECT_GT(compared, 10);
}

TEST(AMonitorsBias, IsDrawnPerLocationWithTheGivenSigma) {
  SimulationSettings s = Noiseless();
  s.gain_sigma_db = 4;
  s.reporting_offset_sigma_db = 3;
  const World world(s);
  double gains = 0, offsets = 0;
  int n = 0;
  for (int i = 0; i < 400; ++i) {
    const MonitorPlacement m = world.Place("pi " + std::to_string(i));
    gains += m.gain_db * m.gain_db;
    offsets += m.reporting_offset_db * m.reporting_offset_db;
    ++n;
  }
  EXPECT_NEAR(std::sqrt(gains / n), 4, 0.5);
  EXPECT_NEAR(std::sqrt(offsets / n), 3, 0.4);
  EXPECT_EQ(world.Place("Office").gain_db, World(s).Place("office").gain_db) << "deterministic";
  EXPECT_EQ(World(Noiseless()).Place("Office").gain_db, 0);
}

TEST(MonitorBeacons, DifferOnlyByTheReportingOffsetsBothWays) {
  SimulationSettings s = Noiseless();
  s.monitor_gain_db["kitchen"] = 9;
  s.monitor_gain_db["dining room"] = -4;
  s.monitor_reporting_offset_db["kitchen"] = 2;
  s.monitor_reporting_offset_db["dining room"] = -3;
  s.beacon_tx_power = 4;
  const World world(s);
  const std::vector<BeaconSender> fleet{{1, world.Place("Kitchen")},
                                        {2, world.Place("Dining Room")}};
  ScanAggregator at_kitchen, at_dining;
  world.HearBeacons(fleet[0].placement, fleet, kT0Ms, kT0Ms + 10'000, at_kitchen);
  world.HearBeacons(fleet[1].placement, fleet, kT0Ms, kT0Ms + 10'000, at_dining);
  const auto kitchen_hears = at_kitchen.Readings(), dining_hears = at_dining.Readings();
  ASSERT_EQ(kitchen_hears.size(), 1u) << "its own beacon is not heard";
  ASSERT_EQ(dining_hears.size(), 1u);
  ASSERT_TRUE(kitchen_hears[0].payload.monitor_beacon);
  EXPECT_EQ(kitchen_hears[0].payload.monitor_beacon->monitor_id, 2u);
  EXPECT_EQ(kitchen_hears[0].payload.monitor_beacon->tx_power, 4);
  EXPECT_EQ(dining_hears[0].payload.monitor_beacon->monitor_id, 1u);
  EXPECT_EQ(kitchen_hears[0].advert_count, 50) << "one beacon per 200 ms";
  // Reciprocal gains and path cancel; what is left is 2 - (-3).
  EXPECT_EQ(kitchen_hears[0].rssi - dining_hears[0].rssi, 5);
  // The path: 4.5 m apart (centres at x 8.5 and 13), one wall.
  const double expected = kRssiAtOneMetre + 4 - 25 * std::log10(4.5) - kWallLossDb + 9 - 4 + 2;
  EXPECT_EQ(kitchen_hears[0].rssi, static_cast<int>(std::lround(expected)));
}

}  // namespace
}  // namespace blemon::simulated
