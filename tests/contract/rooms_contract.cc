// The Store contract for rooms (schema version 6, docs/rooms.md): the winner by calibrated RSSI,
// the calibrated value and margin beside the raw ones, the stable room with hysteresis and the
// sighting's confidence, on every backend, against the domain's BestRssiMerge and DecideRoom.

#include <gmock/gmock.h>

#include <stdexcept>

#include "blemon/rooms.h"
#include "store_contract.h"

namespace blemon::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPhone = "AA:BB:CC:00:00:01";

// Stages one interval: monitor -> the phone's RSSI there.
void Hear(Store& store, std::int64_t seq, UtcTime interval, const std::map<MonitorId, int>& rssi) {
  for (const auto& [monitor, value] : rssi) {
    ASSERT_TRUE(store.StageBatch(Batch{.monitor_id = monitor,
                                       .batch_seq = seq,
                                       .interval_start = interval,
                                       .scan_time = interval + 2s,
                                       .readings = {Reading{.mac = *MacAddress::Parse(kPhone),
                                                            .address_class = AddressClass::kPublic,
                                                            .rssi = value,
                                                            .advert_count = 1,
                                                            .name = std::nullopt,
                                                            .tx_power = std::nullopt,
                                                            .company_ids = {},
                                                            .payload = {}}}}));
  }
}

// The sighting of the interval; throws (failing the test) when there is none.
StoredSighting At(const std::vector<StoredSighting>& all, UtcTime interval) {
  for (const auto& s : all) {
    if (s.interval_start == interval) return s;
  }
  throw std::out_of_range("no sighting in the interval");
}

void SetOffset(StoreHarness& harness, MonitorId monitor, const std::string& db) {
  harness.QueryScalar("UPDATE monitors SET rssi_offset_db = " + db +
                      " WHERE monitor_id = " + std::to_string(monitor));
}

}  // namespace

TEST_P(AStore, RoomsChoosesTheWinnerByCalibratedRssiAndKeepsTheRawValue) {
  const MonitorId loud = Register("loud"), quiet = Register("quiet");
  SetOffset(*harness_, loud, "-10.5");
  Hear(*store_, 1, T0(), {{loud, -50}, {quiet, -55}});
  ProcessAll(quiet, T0() + 1h);
  BestRssiMerge oracle(RssiOffsets{{loud, -105}});
  oracle.Add({quiet, *MacAddress::Parse(kPhone), T0(), -55, T0() + 2s, 0});
  oracle.Add({loud, *MacAddress::Parse(kPhone), T0(), -50, T0() + 2s, 0});
  const StoredSighting s = At(AllSightings(), T0());
  EXPECT_EQ(s.sighting, oracle.Result().begin()->second);
  EXPECT_EQ(s.sighting.monitor_id, quiet);
  EXPECT_EQ(s.sighting.rssi, -55);
  EXPECT_EQ(s.sighting.margin_db, -5);
  EXPECT_EQ(s.sighting.calibrated_tenths, -550);
  EXPECT_EQ(s.sighting.calibrated_margin_tenths, 55);
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM device_sightings WHERE rssi = -55 AND "
                                  "calibrated_rssi = -55.0 AND calibrated_margin_db = 5.5"),
            "1");
}

TEST_P(AStore, RoomsStoresTheStableRoomBesideTheRawWinnerWithHysteresis) {
  const MonitorId kitchen = Register("kitchen"), hall = Register("hall");
  store_->ConfigureRooms(RoomSettings{});
  // In the kitchen, clearly; then the hall wins narrowly twice in a row; then clearly again.
  Hear(*store_, 1, T0(), {{kitchen, -50}, {hall, -70}});
  Hear(*store_, 2, T0() + kInterval, {{kitchen, -60}, {hall, -59}});
  Hear(*store_, 3, T0() + 2 * kInterval, {{kitchen, -60}, {hall, -57}});
  ProcessAll(kitchen, T0() + 1h);
  const auto first = At(AllSightings(), T0()), second = At(AllSightings(), T0() + kInterval),
             third = At(AllSightings(), T0() + 2 * kInterval);
  EXPECT_EQ(first.room_monitor_id, kitchen);
  EXPECT_EQ(first.confidence, Confidence::kHigh);
  EXPECT_EQ(second.sighting.monitor_id, hall) << "the raw winner, as the original tool kept it";
  EXPECT_EQ(second.room_monitor_id, kitchen) << "held: 1 dB is under the switch margin";
  EXPECT_EQ(second.confidence, Confidence::kAmbiguous);
  EXPECT_EQ(third.room_monitor_id, hall) << "moved: the hall won two intervals in a row";
  EXPECT_EQ(third.confidence, Confidence::kLow);
  EXPECT_EQ(harness_->QueryScalar("SELECT challenger_intervals FROM device_rooms"), "0");
}

TEST_P(AStore, RoomsKeepsADecidedRoomWhenALateRowReprocessesTheInterval) {
  const MonitorId kitchen = Register("kitchen"), hall = Register("hall"), late = Register("late");
  store_->ConfigureRooms(RoomSettings{});
  Hear(*store_, 1, T0(), {{kitchen, -50}, {hall, -70}});
  Hear(*store_, 2, T0() + kInterval, {{kitchen, -52}, {hall, -70}});
  ProcessAll(kitchen, T0() + 1h);
  // A spool replays a reading of the first interval that wins it outright.
  Hear(*store_, 3, T0(), {{late, -40}});
  ProcessAll(kitchen, T0() + 1h);
  EXPECT_EQ(At(AllSightings(), T0()).sighting.monitor_id, late);
  EXPECT_EQ(At(AllSightings(), T0()).room_monitor_id, kitchen)
      << "a late row never rewrites a decided room";
  EXPECT_EQ(harness_->QueryScalar("SELECT monitor_id FROM device_rooms"), std::to_string(kitchen));
}

}  // namespace blemon::testing
