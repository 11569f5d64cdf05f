#include "presence_store_contract.h"

#include <gmock/gmock.h>

#include <array>
#include <set>

#include "blemon/errors.h"
#include "blemon/identity.h"
#include "blemon/identity_store.h"
#include "blemon/presence_runner.h"

namespace blemon::testing {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPhone = "AA:BB:CC:DD:EE:01";
constexpr const char* kWatch = "AA:BB:CC:DD:EE:02";
constexpr const char* kTag = "AA:BB:CC:DD:EE:03";

WatchEntry ByMac(const std::string& name, const std::string& mac) {
  return WatchEntry{.name = name, .kind = WatchTargetKind::kMac, .target = mac};
}

std::vector<std::string> IdsOf(const std::vector<PresenceEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.event_id);
  return ids;
}

// Keeps what it was given, in order; refuses while `away` is set.
class RecordingPublisher final : public Publisher {
 public:
  void Publish(const PresenceSnapshot& snapshot, std::span<const PresenceEvent> events) override {
    if (away) throw Unavailable("broker away");
    snapshots.push_back(snapshot);
    for (const auto& e : events) published.push_back(e.event_id);
  }
  bool away = false;
  std::vector<PresenceSnapshot> snapshots;
  std::vector<std::string> published;
};

class SilentLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
};

}  // namespace

void APresenceStore::SetUp() {
  ReportFixture::SetUp();
  presence_ = harness_->OpenPresence();
}

void APresenceStore::SeedTwoIntervals() {
  const MonitorId kitchen = Register("kitchen", "Kitchen");
  const MonitorId hall = Register("hall", "");
  Stage(kitchen, T0(), {MakeReading(kPhone, -50), MakeReading(kWatch, -80)});
  Stage(hall, T0(), {MakeReading(kPhone, -70), MakeReading(kWatch, -60), MakeReading(kTag, -65)});
  Stage(hall, T0() + kInterval, {MakeReading(kPhone, -55)});
  Process();
  epoch_ = store_->Lease().epoch;
}

PresenceStep APresenceStore::StepFor(UtcTime interval) {
  const auto watch = presence_->WatchList();
  const auto sightings = presence_->IntervalSightings(interval);
  return AdvancePresence({.away_after_intervals = 1}, kInterval, watch,
                         presence_->LoadPresenceState(), interval, sightings);
}

TEST_P(APresenceStore, KeepsAWatchListWithUniqueNamesAndTargets) {
  EXPECT_THAT(presence_->WatchList(), IsEmpty());
  EXPECT_TRUE(presence_->AddWatch(ByMac("phone", kPhone)));
  EXPECT_TRUE(
      presence_->AddWatch({.name = "bob", .kind = WatchTargetKind::kIdentity, .target = "bob"}));
  EXPECT_FALSE(presence_->AddWatch(ByMac("phone", kWatch))) << "name taken";
  EXPECT_FALSE(presence_->AddWatch(ByMac("phone-2", kPhone))) << "device watched already";
  EXPECT_THAT(
      presence_->WatchList(),
      ElementsAre(WatchEntry{.name = "bob", .kind = WatchTargetKind::kIdentity, .target = "bob"},
                  ByMac("phone", kPhone)));
  EXPECT_TRUE(presence_->RemoveWatch("phone"));
  EXPECT_FALSE(presence_->RemoveWatch("phone"));
  EXPECT_EQ(presence_->WatchList().size(), 1u);
}

TEST_P(APresenceStore, TellsEachDevicesRoomAndClassInAnInterval) {
  SeedTwoIntervals();
  EXPECT_THAT(presence_->IntervalSightings(T0()),
              ElementsAre(PresenceSighting{kPhone, std::nullopt, "Kitchen", "unknown"},
                          PresenceSighting{kWatch, std::nullopt, "hall", "unknown"},
                          PresenceSighting{kTag, std::nullopt, "hall", "unknown"}));
  EXPECT_THAT(presence_->IntervalSightings(T0() + 2 * kInterval), IsEmpty());
}

TEST_P(APresenceStore, ListsDueIntervalsAfterTheLastRunOrOnlyTheNewestOnTheFirst) {
  SeedTwoIntervals();
  EXPECT_THAT(presence_->PresenceDueIntervals(std::nullopt, T0() + 1h),
              ElementsAre(T0() + kInterval));
  EXPECT_THAT(presence_->PresenceDueIntervals(std::nullopt, T0()), ElementsAre(T0()));
  EXPECT_THAT(presence_->PresenceDueIntervals(T0() - kInterval, T0() + 1h),
              ElementsAre(T0(), T0() + kInterval));
  EXPECT_THAT(presence_->PresenceDueIntervals(T0() + kInterval, T0() + 1h), IsEmpty());
}

TEST_P(APresenceStore, StoresAStepAndGivesItBack) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  const PresenceStep first = StepFor(T0());
  ASSERT_TRUE(presence_->CommitPresence(first, processor_, epoch_));
  EXPECT_EQ(presence_->LoadPresenceState(), first.state);
  EXPECT_EQ(presence_->LatestSnapshot(), first.snapshot);
  const PresenceStep second = StepFor(T0() + kInterval);
  ASSERT_TRUE(presence_->CommitPresence(second, processor_, epoch_));

  const auto events = presence_->Events(T0(), T0() + 1h);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], first.events.at(0));
  EXPECT_EQ(events[1], second.events.at(0));
  EXPECT_EQ(events[1].kind, PresenceEventKind::kRoomChange);
  EXPECT_EQ(events[1].from_room, "Kitchen");
  EXPECT_EQ(events[1].to_room, "hall");
  EXPECT_THAT(presence_->Occupancy(T0(), T0() + 1h),
              ElementsAre(OccupancyRow{T0(), "Kitchen", "unknown", 1},
                          OccupancyRow{T0(), "hall", "unknown", 2},
                          OccupancyRow{T0() + kInterval, "hall", "unknown", 1}));
}

TEST_P(APresenceStore, RunsEachIntervalOnceWhoeverCommitsIt) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  const PresenceStep step = StepFor(T0());
  ASSERT_TRUE(presence_->CommitPresence(step, processor_, epoch_));
  presence_->MarkPublished(std::vector<std::string>{step.events.at(0).event_id});
  // The same interval again (a standby that reran it): refused, nothing doubled or unpublished.
  EXPECT_FALSE(harness_->OpenPresence()->CommitPresence(step, processor_, epoch_));
  EXPECT_EQ(presence_->Events(T0(), T0() + 1h).size(), 1u);
  EXPECT_THAT(presence_->UnpublishedEvents(10), IsEmpty());
  EXPECT_EQ(harness_->QueryScalar("SELECT COUNT(*) FROM presence_occupancy"), "2");
}

TEST_P(APresenceStore, KeepsAnEventStoredBeforeAsItIs) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  PresenceStep step = StepFor(T0());
  ASSERT_TRUE(presence_->CommitPresence(step, processor_, epoch_));
  presence_->MarkPublished(IdsOf(step.events));
  // A later interval whose step carries an event with the same id (device, interval, kind).
  PresenceStep later = StepFor(T0() + kInterval);
  const auto later_ids = IdsOf(later.events);
  later.events.push_back(step.events.at(0));
  ASSERT_TRUE(presence_->CommitPresence(later, processor_, epoch_));
  EXPECT_EQ(presence_->Events(T0(), T0() + 1h).size(), 2u);
  EXPECT_EQ(IdsOf(presence_->UnpublishedEvents(10)), later_ids);
}

TEST_P(APresenceStore, CommitsNothingUnderALostLease) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  const PresenceStep step = StepFor(T0());
  EXPECT_THROW(presence_->CommitPresence(step, processor_, epoch_ + 1), LeaseLost);
  EXPECT_EQ(presence_->LoadPresenceState().through, std::nullopt);
  EXPECT_THAT(presence_->UnpublishedEvents(10), IsEmpty());
  EXPECT_EQ(presence_->LatestSnapshot(), std::nullopt);
}

TEST_P(APresenceStore, HandsOutUnpublishedEventsInStoredOrderUntilMarked) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  presence_->AddWatch(ByMac("watch", kWatch));
  const PresenceStep first = StepFor(T0());
  ASSERT_TRUE(presence_->CommitPresence(first, processor_, epoch_));
  const PresenceStep second = StepFor(T0() + kInterval);
  ASSERT_TRUE(presence_->CommitPresence(second, processor_, epoch_));
  std::vector<std::string> expected = IdsOf(first.events);
  for (const auto& id : IdsOf(second.events)) expected.push_back(id);
  ASSERT_EQ(expected.size(), 4u);  // two arrivals, a room change and the watch's leave
  EXPECT_EQ(IdsOf(presence_->UnpublishedEvents(10)), expected);
  EXPECT_EQ(IdsOf(presence_->UnpublishedEvents(1)), std::vector<std::string>{expected[0]});
  presence_->MarkPublished(std::vector<std::string>{expected[0], expected[1], "unknown/1/arrive"});
  EXPECT_EQ(IdsOf(harness_->OpenPresence()->UnpublishedEvents(10)),
            (std::vector<std::string>{expected[2], expected[3]}));
}

TEST_P(APresenceStore, ForgetsTheStateOfARemovedEntry) {
  SeedTwoIntervals();
  presence_->AddWatch(ByMac("phone", kPhone));
  ASSERT_TRUE(presence_->CommitPresence(StepFor(T0()), processor_, epoch_));
  presence_->RemoveWatch("phone");
  EXPECT_THAT(presence_->LoadPresenceState().watched, IsEmpty());
  EXPECT_EQ(presence_->Events(T0(), T0() + 1h).size(), 1u) << "its events stay";
}

// The processor is killed after it processed an interval and stored its presence, before it
// published; a standby takes the lease over. Every event reaches the publisher exactly once, in
// order, and the dead processor's epoch can store nothing more.
TEST_P(APresenceStore, PublishesEveryEventOnceAcrossAFailover) {
  const MonitorId kitchen = Register("kitchen", "Kitchen");
  const MonitorId hall = Register("hall", "Hall");
  presence_->AddWatch(ByMac("phone", kPhone));
  presence_->AddWatch(ByMac("watch", kWatch));
  SilentLogger log;
  RecordingPublisher publisher;
  const PresenceSettings settings{.away_after_intervals = 1};

  // Processor A: T0 and T0 + 1 processed and their presence stored; killed before publishing.
  Stage(kitchen, T0(), {MakeReading(kPhone, -50), MakeReading(kWatch, -50)});
  Stage(kitchen, T0() + kInterval, {MakeReading(kPhone, -50)});
  ProcessAll(kitchen, T0() + kInterval);
  const std::int64_t epoch_a = store_->Lease().epoch;
  {
    auto store_a = harness_->OpenPresence();
    PresenceRunner a(settings, kInterval, {*store_a, &publisher, log});
    // Presence never ran: it starts at the newest processed interval, then takes T0 + 1 only.
    EXPECT_EQ(a.RunDue(T0(), kitchen, epoch_a), 1);
    EXPECT_EQ(a.RunDue(T0() + kInterval, kitchen, epoch_a), 1);
  }
  const auto stored = IdsOf(presence_->UnpublishedEvents(10));
  ASSERT_EQ(stored.size(), 3u);  // both arrive, the watch leaves
  EXPECT_THAT(publisher.published, IsEmpty());

  // A's lease runs out; the standby in the hall claims it and processes T0 + 2.
  harness_->QueryScalar("UPDATE processor_lease SET expires_at = '2000-01-01 00:00:00'");
  Stage(hall, T0() + 2 * kInterval, {MakeReading(kPhone, -40)});
  const LeaseAnswer b_lease = store_->ClaimLease(hall, Seconds(600));
  ASSERT_TRUE(b_lease.granted);
  for (UtcTime t : store_->PendingIntervals(T0() + 2 * kInterval)) {
    store_->ProcessInterval(t, hall, b_lease.epoch);
  }
  auto store_b = harness_->OpenPresence();
  PresenceRunner b(settings, kInterval, {*store_b, &publisher, log});
  publisher.away = true;  // the broker is down at first: nothing is lost
  EXPECT_EQ(b.RunDue(T0() + 2 * kInterval, hall, b_lease.epoch), 1);
  EXPECT_EQ(b.Publish(), 0);
  publisher.away = false;
  EXPECT_EQ(b.Publish(), 4);
  EXPECT_EQ(b.Publish(), 0);

  std::vector<std::string> expected = stored;
  expected.push_back(PresenceEventId(kPhone, T0() + 2 * kInterval, PresenceEventKind::kRoomChange));
  EXPECT_EQ(publisher.published, expected);
  ASSERT_FALSE(publisher.snapshots.empty());
  EXPECT_EQ(publisher.snapshots.back().interval_start, T0() + 2 * kInterval);

  // A wakes up and tries again under its old epoch: fenced off, nothing stored twice.
  auto store_a = harness_->OpenPresence();
  PresenceRunner a(settings, kInterval, {*store_a, &publisher, log});
  Stage(kitchen, T0() + 3 * kInterval, {MakeReading(kPhone, -50)});
  for (UtcTime t : store_->PendingIntervals(T0() + 3 * kInterval)) {
    store_->ProcessInterval(t, hall, b_lease.epoch);
  }
  EXPECT_THROW(a.RunDue(T0() + 3 * kInterval, kitchen, epoch_a), LeaseLost);
  EXPECT_EQ(presence_->LoadPresenceState().through, T0() + 2 * kInterval);
}

// The stable room of the rooms work (schema 6), not the interval's raw winner: a phone the hall
// hears 1 dB louder for one interval stays in the kitchen, and so does its presence.
TEST_P(APresenceStore, TakesTheStableRoomNotTheRawWinner) {
  const MonitorId kitchen = Register("kitchen", "Kitchen");
  const MonitorId hall = Register("hall", "Hall");
  store_->ConfigureRooms(RoomSettings{});
  Stage(kitchen, T0(), {MakeReading(kPhone, -50)});
  Stage(hall, T0(), {MakeReading(kPhone, -70)});
  Stage(kitchen, T0() + kInterval, {MakeReading(kPhone, -60)});
  Stage(hall, T0() + kInterval, {MakeReading(kPhone, -59)});
  Process();
  ASSERT_EQ(harness_->QueryScalar("SELECT monitor_id FROM device_sightings WHERE interval_start = "
                                  "(SELECT MAX(interval_start) FROM device_sightings)"),
            std::to_string(hall))
      << "the raw winner of the second interval is the hall";
  EXPECT_THAT(presence_->IntervalSightings(T0() + kInterval),
              ElementsAre(PresenceSighting{kPhone, std::nullopt, "Kitchen", "unknown"}));
}

// An enrolled phone rotating its resolvable private address every two intervals: the store tells
// its identity with every sighting, so a watch entry of kind identity sees it arrive once and
// never leave while it is there.
TEST_P(APresenceStore, FollowsAnIdentityThroughItsRotatingAddresses) {
  std::array<std::uint8_t, 16> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x31 * i + 7);
  const Irk irk = Irk::FromBytes(key);
  harness_->OpenIdentities()->AddIdentity("anna-phone", irk, true);
  ASSERT_TRUE(presence_->AddWatch(
      {.name = "anna", .kind = WatchTargetKind::kIdentity, .target = "anna-phone"}));
  const MonitorId kitchen = Register("kitchen", "Kitchen");
  constexpr int kIntervals = 8;
  std::set<std::string> addresses;
  for (int i = 0; i < kIntervals; ++i) {
    const MacAddress rpa = MakeResolvablePrivateAddress(irk, static_cast<std::uint32_t>(i / 2 + 1));
    addresses.insert(rpa.ToString());
    Stage(kitchen, T0() + i * kInterval,
          {Reading{.mac = rpa,
                   .address_class = AddressClass::kResolvablePrivate,
                   .rssi = -55,
                   .advert_count = 3,
                   .name = std::nullopt,
                   .tx_power = std::nullopt,
                   .company_ids = {},
                   .payload = {}}});
  }
  Process();
  epoch_ = store_->Lease().epoch;
  ASSERT_EQ(addresses.size(), 4u);
  std::vector<PresenceEvent> events;
  for (int i = 0; i < kIntervals; ++i) {
    const auto sightings = presence_->IntervalSightings(T0() + i * kInterval);
    ASSERT_EQ(sightings.size(), 1u);
    EXPECT_EQ(sightings[0].identity, "anna-phone");
    const PresenceStep step = StepFor(T0() + i * kInterval);
    ASSERT_TRUE(presence_->CommitPresence(step, processor_, epoch_));
    events.insert(events.end(), step.events.begin(), step.events.end());
  }
  ASSERT_EQ(events.size(), 1u) << "one arrive, and no leave or room change across rotations";
  EXPECT_EQ(events[0].kind, PresenceEventKind::kArrive);
  EXPECT_EQ(events[0].device, "anna-phone");
  EXPECT_EQ(events[0].interval_start, T0());
  EXPECT_TRUE(presence_->LoadPresenceState().watched.at(0).home);
}

}  // namespace blemon::testing
