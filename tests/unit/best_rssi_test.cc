#include "blemon/best_rssi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace blemon {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

UtcTime At(long long seconds) { return UtcTime{Seconds{seconds}}; }

const MacAddress kPhone = MacAddress::FromBytes({0xAA, 0xBB, 0xCC, 0x00, 0x00, 0x01});
const MacAddress kWatch = MacAddress::FromBytes({0xAA, 0xBB, 0xCC, 0x00, 0x00, 0x02});
constexpr long long kInterval = 1'774'742'400;  // an aligned 300 s interval start

StagedReading Heard(MonitorId monitor, int rssi, long long scan_second = 3,
                    const MacAddress& mac = kPhone, long long interval = kInterval) {
  return {monitor, mac, At(interval), rssi, At(interval + scan_second), 0};
}

// The sighting of `mac` in `interval`, failing the test when there is none.
Sighting Only(const BestRssiMerge& merge, const MacAddress& mac = kPhone,
              long long interval = kInterval) {
  auto result = merge.Result();
  auto it = result.find({mac, At(interval)});
  EXPECT_NE(it, result.end()) << "no sighting for " << mac.ToString();
  return it == result.end() ? Sighting{} : it->second;
}

// --- the order ----------------------------------------------------------------------------------

TEST(TheBeatsOrder, PrefersTheHigherRssi) {
  EXPECT_TRUE(Beats(Heard(2, -50), Heard(1, -60)));
  EXPECT_FALSE(Beats(Heard(1, -60), Heard(2, -50)));
}

TEST(TheBeatsOrder, PrefersTheHigherRssiEvenWhenItIsLaterAndFromAHigherMonitor) {
  EXPECT_TRUE(Beats(Heard(9, -59, 9), Heard(1, -60, 1)));
}

TEST(TheBeatsOrder, BreaksAnRssiTieByTheEarlierScanTime) {
  EXPECT_TRUE(Beats(Heard(5, -60, 2), Heard(1, -60, 4)));
  EXPECT_FALSE(Beats(Heard(1, -60, 4), Heard(5, -60, 2)));
}

TEST(TheBeatsOrder, BreaksAFullTieByTheLowerMonitorId) {
  EXPECT_TRUE(Beats(Heard(1, -60, 3), Heard(2, -60, 3)));
  EXPECT_FALSE(Beats(Heard(2, -60, 3), Heard(1, -60, 3)));
}

TEST(TheBeatsOrder, IsIrreflexive) { EXPECT_FALSE(Beats(Heard(1, -60, 3), Heard(1, -60, 3))); }

TEST(TheBeatsOrder, IsAStrictTotalOrderOnDistinctTriples) {
  // Exhaustive over a small space: exactly one of a<b, b<a for distinct triples (totality,
  // asymmetry), and transitivity.
  std::vector<StagedReading> all;
  for (MonitorId m : {1, 2, 3}) {
    for (int rssi : {-70, -60, -50}) {
      for (long long t : {1, 2, 3}) all.push_back(Heard(m, rssi, t));
    }
  }
  for (const auto& a : all) {
    for (const auto& b : all) {
      const bool same =
          a.monitor_id == b.monitor_id && a.rssi == b.rssi && a.scan_time == b.scan_time;
      if (same) {
        EXPECT_FALSE(Beats(a, b));
      } else {
        EXPECT_NE(Beats(a, b), Beats(b, a));
      }
      for (const auto& c : all) {
        if (Beats(a, b) && Beats(b, c)) {
          EXPECT_TRUE(Beats(a, c));
        }
      }
    }
  }
}

// --- the merge ----------------------------------------------------------------------------------

TEST(ABestRssiMerge, StartsEmpty) { EXPECT_THAT(BestRssiMerge().Result(), IsEmpty()); }

TEST(ABestRssiMerge, KeepsTheOnlyReadingWithoutMargin) {
  BestRssiMerge merge;
  merge.Add(Heard(4, -71, 7));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 4);
  EXPECT_EQ(s.rssi, -71);
  EXPECT_EQ(s.scan_time, At(kInterval + 7));
  EXPECT_EQ(s.margin_db, std::nullopt);
  EXPECT_EQ(s.monitors_heard, 1);
}

TEST(ABestRssiMerge, KeepsTheStrongestMonitorsReading) {
  // The original README's example: Living Room -65 beats Kitchen -72.
  BestRssiMerge merge;
  merge.Add(Heard(/*kitchen*/ 2, -72));
  merge.Add(Heard(/*living room*/ 1, -65));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 1);
  EXPECT_EQ(s.rssi, -65);
  EXPECT_EQ(s.margin_db, 7);
  EXPECT_EQ(s.monitors_heard, 2);
}

TEST(ABestRssiMerge, NeverLetsALaterWorseReadingOverwriteABetterOne) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -50, 1));
  merge.Add(Heard(2, -80, 9));
  merge.Add(Heard(1, -90, 9));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 1);
  EXPECT_EQ(s.rssi, -50);
  EXPECT_EQ(s.scan_time, At(kInterval + 1));
}

TEST(ABestRssiMerge, KeepsEarlierReadingOnEqualRssi) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -60, 8));
  merge.Add(Heard(2, -60, 2));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 2);
  EXPECT_EQ(s.scan_time, At(kInterval + 2));
  EXPECT_EQ(s.margin_db, 0);
}

TEST(ABestRssiMerge, KeepsLowerMonitorOnEqualRssiAndTime) {
  BestRssiMerge merge;
  merge.Add(Heard(7, -60, 2));
  merge.Add(Heard(3, -60, 2));
  merge.Add(Heard(5, -60, 2));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 3);
  EXPECT_EQ(s.margin_db, 0);
  EXPECT_EQ(s.monitors_heard, 3);
}

TEST(ABestRssiMerge, MeasuresTheMarginAgainstTheBestOtherMonitor) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -50));
  merge.Add(Heard(1, -55));  // the winner's own weaker reading is no rival
  merge.Add(Heard(2, -70));
  merge.Add(Heard(2, -61));
  merge.Add(Heard(3, -64));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 1);
  EXPECT_EQ(s.margin_db, 11);
  EXPECT_EQ(s.monitors_heard, 3);
}

TEST(ABestRssiMerge, HasNoMarginWhenOnlyOneMonitorHeardTheDeviceManyTimes) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -50, 1));
  merge.Add(Heard(1, -40, 2));
  merge.Add(Heard(1, -45, 3));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.rssi, -40);
  EXPECT_EQ(s.margin_db, std::nullopt);
  EXPECT_EQ(s.monitors_heard, 1);
}

TEST(ABestRssiMerge, UpdatesTheMarginWhenTheWinnerChanges) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -60));
  merge.Add(Heard(2, -70));
  EXPECT_EQ(Only(merge).margin_db, 10);
  merge.Add(Heard(2, -52));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 2);
  EXPECT_EQ(s.margin_db, 8);
}

TEST(ABestRssiMerge, KeepsDevicesAndIntervalsApart) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -50, 3, kPhone, kInterval));
  merge.Add(Heard(2, -40, 3, kWatch, kInterval));
  merge.Add(Heard(3, -30, 3, kPhone, kInterval + 300));
  EXPECT_THAT(merge.Result(), SizeIs(3));
  EXPECT_EQ(Only(merge, kPhone, kInterval).monitor_id, 1);
  EXPECT_EQ(Only(merge, kWatch, kInterval).monitor_id, 2);
  EXPECT_EQ(Only(merge, kPhone, kInterval + 300).monitor_id, 3);
  EXPECT_EQ(Only(merge, kPhone, kInterval).monitors_heard, 1);
}

TEST(ABestRssiMerge, IsUnchangedByAddingTheSameReadingsAgain) {
  BestRssiMerge merge;
  const std::vector<StagedReading> readings = {Heard(1, -50), Heard(2, -60), Heard(3, -55, 5)};
  merge.Add(readings);
  const auto once = merge.Result();
  merge.Add(readings);
  merge.Add(readings[1]);
  EXPECT_EQ(merge.Result(), once);
}

TEST(ABestRssiMerge, AcceptsTheExtremesOfTheRssiRange) {
  BestRssiMerge merge;
  merge.Add(Heard(1, -127));
  merge.Add(Heard(2, 20));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 2);
  EXPECT_EQ(s.margin_db, 147);
}

// --- the property: any order, any batching, any replay -------------------------------------------

// An oracle written from DESIGN.md without sharing code with the merge: group, sort, read off.
std::map<BestRssiMerge::Key, Sighting> Oracle(const std::vector<StagedReading>& readings) {
  std::map<BestRssiMerge::Key, std::vector<StagedReading>> groups;
  for (const auto& r : readings) groups[{r.mac, r.interval_start}].push_back(r);
  std::map<BestRssiMerge::Key, Sighting> result;
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(), [](const StagedReading& a, const StagedReading& b) {
      return std::tuple(-a.rssi, a.scan_time, a.monitor_id) <
             std::tuple(-b.rssi, b.scan_time, b.monitor_id);
    });
    const StagedReading& winner = group.front();
    std::set<MonitorId> monitors;
    std::optional<int> best_other;
    for (const auto& r : group) {
      monitors.insert(r.monitor_id);
      if (r.monitor_id != winner.monitor_id && (!best_other || r.rssi > *best_other)) {
        best_other = r.rssi;
      }
    }
    Sighting s;
    s.monitor_id = winner.monitor_id;
    s.rssi = winner.rssi;
    s.scan_time = winner.scan_time;
    if (best_other) s.margin_db = winner.rssi - *best_other;
    s.monitors_heard = static_cast<int>(monitors.size());
    // Without offsets the calibrated values are the raw ones, in tenths.
    s.calibrated_tenths = winner.rssi * 10;
    if (s.margin_db) s.calibrated_margin_tenths = *s.margin_db * 10;
    result[key] = s;
  }
  return result;
}

// Readings from several monitors over a few devices and intervals, with RSSI and scan times
// drawn from small ranges so that every tie-break is exercised often.
std::vector<StagedReading> RandomReadings(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> count(1, 300);
  std::uniform_int_distribution<MonitorId> monitor(1, 6);
  std::uniform_int_distribution<int> device(0, 7);
  std::uniform_int_distribution<int> interval(0, 3);
  std::uniform_int_distribution<int> rssi(-75, -65);
  std::uniform_int_distribution<int> second(0, 3);
  std::vector<StagedReading> readings;
  for (int n = count(rng); n > 0; --n) {
    const long long start = kInterval + 300LL * interval(rng);
    readings.push_back(
        {monitor(rng),
         MacAddress::FromBytes({0x40, 0, 0, 0, 0, static_cast<std::uint8_t>(device(rng))}),
         At(start), rssi(rng), At(start + second(rng))});
  }
  return readings;
}

// Splits `readings` into consecutive batches of random sizes (some empty).
std::vector<std::vector<StagedReading>> RandomBatches(const std::vector<StagedReading>& readings,
                                                      std::mt19937_64& rng) {
  std::vector<std::vector<StagedReading>> batches(1);
  std::bernoulli_distribution cut(0.15);
  for (const auto& r : readings) {
    while (cut(rng)) batches.emplace_back();
    batches.back().push_back(r);
  }
  return batches;
}

TEST(ABestRssiMergeProperty, GivesTheSameResultForAnyOrderBatchingAndPartialReplay) {
  int ties_seen = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    const std::vector<StagedReading> readings = RandomReadings(rng);
    const auto expected = Oracle(readings);
    for (const auto& [key, s] : expected) ties_seen += s.margin_db == 0 ? 1 : 0;

    // In arrival order, all at once.
    BestRssiMerge in_order;
    in_order.Add(readings);
    ASSERT_EQ(in_order.Result(), expected);

    // Shuffled, split into batches, each batch added; then a random part of the batches
    // replayed again (a resend after a lost acknowledgement, a processor re-running an interval),
    // itself in a random order.
    std::vector<StagedReading> shuffled = readings;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    auto batches = RandomBatches(shuffled, rng);
    BestRssiMerge batched;
    for (const auto& batch : batches) batched.Add(batch);
    std::shuffle(batches.begin(), batches.end(), rng);
    std::bernoulli_distribution replay(0.4);
    for (const auto& batch : batches) {
      if (replay(rng)) batched.Add(batch);
    }
    ASSERT_EQ(batched.Result(), expected);

    // One at a time, in the reverse of the shuffled order.
    BestRssiMerge reversed;
    for (auto it = shuffled.rbegin(); it != shuffled.rend(); ++it) reversed.Add(*it);
    ASSERT_EQ(reversed.Result(), expected);
  }
  // The generator must produce ties, or the tie-breaks went untested.
  EXPECT_GT(ties_seen, 100);
}

TEST(ABestRssiMergeProperty, NeverLowersAKeptRssiAsReadingsArrive) {
  std::mt19937_64 rng(77);
  for (int round = 0; round < 50; ++round) {
    const auto readings = RandomReadings(rng);
    BestRssiMerge merge;
    std::map<BestRssiMerge::Key, int> best;
    for (const auto& r : readings) {
      merge.Add(r);
      for (const auto& [key, s] : merge.Result()) {
        auto [it, inserted] = best.try_emplace(key, s.rssi);
        ASSERT_GE(s.rssi, it->second);
        it->second = s.rssi;
        ASSERT_GE(s.monitors_heard, 1);
        if (s.margin_db) {
          ASSERT_GE(*s.margin_db, 0);
        }
      }
    }
  }
}

// --- calibrated winner: rssi + the monitor's offset ----------------------------------------------

TEST(ACalibratedMerge, PicksTheWinnerByRssiPlusOffsetAndKeepsTheRawRssi) {
  // Monitor 1 is 10 dB too loud: with its -10.0 dB offset its -50 counts as -60 and loses to
  // monitor 2's -55.
  BestRssiMerge merge(RssiOffsets{{1, -100}});
  merge.Add(Heard(1, -50));
  merge.Add(Heard(2, -55));
  const Sighting s = Only(merge);
  EXPECT_EQ(s.monitor_id, 2);
  EXPECT_EQ(s.rssi, -55) << "the raw value stays in rssi";
  EXPECT_EQ(s.margin_db, -5) << "raw margin: the quieter monitor won";
  EXPECT_EQ(s.calibrated_tenths, -550);
  EXPECT_EQ(s.calibrated_margin_tenths, 50);
}

TEST(ACalibratedMerge, WithEveryOffsetZeroEqualsTheOriginalRule) {
  std::mt19937_64 rng(7);
  const auto readings = RandomReadings(rng);
  BestRssiMerge plain;
  BestRssiMerge zero(RssiOffsets{{1, 0}, {2, 0}, {3, 0}});
  plain.Add(readings);
  zero.Add(readings);
  EXPECT_EQ(zero.Result(), plain.Result());
  EXPECT_EQ(plain.Result(), Oracle(readings));
}

TEST(ACalibratedMerge, BreaksCalibratedTiesByScanTimeThenMonitor) {
  BestRssiMerge merge(RssiOffsets{{2, 25}});  // -52.5 + 2.5 = -50.0
  merge.Add(Heard(1, -50, 5));
  merge.Add(Heard(2, -52, 4));  // calibrated -49.5: wins outright
  EXPECT_EQ(Only(merge).monitor_id, 2);
  BestRssiMerge tie(RssiOffsets{{2, 20}});
  tie.Add(Heard(1, -50, 5));
  tie.Add(Heard(2, -52, 5));  // calibrated -50.0 at the same time: the lower id wins
  EXPECT_EQ(Only(tie).monitor_id, 1);
  EXPECT_EQ(Only(tie).calibrated_margin_tenths, 0);
}

TEST(ACalibratedMerge, ReportsEachMonitorsBestCalibratedRssi) {
  BestRssiMerge merge(RssiOffsets{{2, -15}});
  merge.Add(Heard(1, -60, 3));
  merge.Add(Heard(2, -50, 3));
  merge.Add(Heard(2, -70, 4));
  const auto by_monitor = merge.CalibratedByMonitor({kPhone, At(kInterval)});
  EXPECT_EQ(by_monitor, (std::map<MonitorId, int>{{1, -600}, {2, -515}}));
  EXPECT_TRUE(merge.CalibratedByMonitor({kWatch, At(kInterval)}).empty());
}

}  // namespace
}  // namespace blemon
