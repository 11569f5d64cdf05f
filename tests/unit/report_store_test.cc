#include "blemon/report_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace blemon {
namespace {

using ::testing::ElementsAre;

UtcTime At(long long seconds) { return UtcTime{Seconds{seconds}}; }

DeviceSummaryFold::Row Won(std::int64_t id, std::string mac, std::string monitor,
                           std::int64_t sightings, int best, std::int64_t sum, long long last,
                           std::optional<std::string> name = std::nullopt) {
  return {.device_id = id,
          .mac = std::move(mac),
          .name = std::move(name),
          .monitor_name = std::move(monitor),
          .sightings = sightings,
          .best_rssi = best,
          .rssi_sum = sum,
          .last_seen = At(last),
          .device_class = std::nullopt,
          .vendor = std::nullopt};
}

TEST(ADeviceSummaryFold, CombinesEveryMonitorThatWonADevice) {
  DeviceSummaryFold fold;
  fold.Add(Won(1, "AA:00:00:00:00:01", "Kitchen", 2, -60, -130, 100, "Watch"));
  fold.Add(Won(1, "AA:00:00:00:00:01", "Bedroom", 1, -55, -55, 400, "Watch"));
  const auto devices = fold.Result();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].mac, "AA:00:00:00:00:01");
  EXPECT_EQ(devices[0].name, "Watch");
  EXPECT_THAT(devices[0].monitors, ElementsAre("Bedroom", "Kitchen"));
  EXPECT_EQ(devices[0].sightings, 3);
  EXPECT_EQ(devices[0].best_rssi, -55);
  EXPECT_DOUBLE_EQ(devices[0].avg_rssi, -185.0 / 3);
  EXPECT_EQ(devices[0].last_seen, At(400));
  EXPECT_EQ(devices[0].device_class, std::nullopt);
}

TEST(ADeviceSummaryFold, KeepsTheDevicesClassAndVendor) {
  DeviceSummaryFold fold;
  for (const char* monitor : {"Kitchen", "Bedroom"}) {
    DeviceSummaryFold::Row row = Won(1, "AA:00:00:00:00:01", monitor, 1, -60, -60, 100);
    row.device_class = "watch";
    row.vendor = "Garmin International, Inc.";
    fold.Add(std::move(row));
  }
  const auto devices = fold.Result();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].device_class, "watch");
  EXPECT_EQ(devices[0].vendor, "Garmin International, Inc.");
}

TEST(ADeviceSummaryFold, OrdersByMostSightingsThenMacAndTreatsAnEmptyNameAsNone) {
  DeviceSummaryFold fold;
  fold.Add(Won(3, "CC:00:00:00:00:03", "Kitchen", 1, -70, -70, 10, ""));
  fold.Add(Won(2, "BB:00:00:00:00:02", "Kitchen", 5, -70, -350, 10));
  fold.Add(Won(1, "AA:00:00:00:00:01", "Kitchen", 1, -70, -70, 10));
  const auto devices = fold.Result();
  ASSERT_EQ(devices.size(), 3u);
  EXPECT_EQ(devices[0].mac, "BB:00:00:00:00:02");
  EXPECT_EQ(devices[1].mac, "AA:00:00:00:00:01");
  EXPECT_EQ(devices[2].mac, "CC:00:00:00:00:03");
  EXPECT_EQ(devices[2].name, std::nullopt);
}

}  // namespace
}  // namespace blemon
