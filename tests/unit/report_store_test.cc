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
          .address_class = std::nullopt,
          .estimated_device = {},
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

TEST(ADeviceSummaryFold, KeepsTheLatestRoomOfDevicesItFoldedOnly) {
  DeviceSummaryFold fold;
  fold.Add(Won(1, "AA:00:00:00:00:01", "Kitchen", 1, -70, -70, 10));
  fold.SetLatest(1, "Hall", Confidence::kLow);
  fold.SetLatest(2, "Attic", Confidence::kHigh);  // not folded: nothing to attach it to
  const auto devices = fold.Result();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].room, "Hall");
  EXPECT_EQ(devices[0].confidence, Confidence::kLow);
}

TEST(AConfidenceClause, KeepsTheFiltersConfidencesOrNothing) {
  ReportFilter filter;
  EXPECT_EQ(ConfidenceClause(filter), "");
  filter.confidence = {Confidence::kHigh, Confidence::kAmbiguous};
  EXPECT_EQ(ConfidenceClause(filter), " AND ds.confidence IN ('high', 'ambiguous')");
}

TEST(RoomHourRows, SortByHourThenRoomBytes) {
  std::vector<RoomHourRow> rows = {{.hour_start = At(3600), .room = "a"},
                                   {.hour_start = At(0), .room = "b"},
                                   {.hour_start = At(0), .room = "B"}};
  SortRoomHours(rows);
  EXPECT_EQ(rows[0].room, "B") << "bytes: upper case first, as SQLite orders";
  EXPECT_EQ(rows[1].room, "b");
  EXPECT_EQ(rows[2].room, "a");
}

TEST(CountByRoom, CountsEachStableRoomsDevicesByConfidenceInOrder) {
  RoomsNow now;
  const auto in = [](std::string room, std::optional<Confidence> c) {
    return RoomDevice{.mac = "AA:00:00:00:00:01",
                      .name = std::nullopt,
                      .monitor_name = "m",
                      .location = "raw",
                      .rssi = -60,
                      .sighting_time = At(0),
                      .room = std::move(room),
                      .confidence = c};
  };
  now.devices = {in("Hall", Confidence::kHigh), in("Hall", Confidence::kAmbiguous),
                 in("Hall", std::nullopt), in("Kitchen", Confidence::kLow)};
  EXPECT_THAT(CountByRoom(now),
              ElementsAre(RoomCount{.room = "Hall", .devices = 3, .high = 1, .ambiguous = 1},
                          RoomCount{.room = "Kitchen", .devices = 1, .low = 1}));
}

}  // namespace
}  // namespace blemon
