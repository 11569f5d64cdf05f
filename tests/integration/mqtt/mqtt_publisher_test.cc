// The MQTT publisher against a real mosquitto (TLS with the test CA, password file): what Home
// Assistant's discovery needs, retained state across a broker restart, and events across an
// outage — every one, in order, none twice.

#include "blemon/mqtt/mqtt_publisher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "blemon/mqtt/home_assistant.h"
#include "blemon/mqtt/home_assistant_publisher.h"
#include "blemon/sqlite/sqlite_outbox.h"
#include "broker_support.h"

namespace blemon::mqtt {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::Broker;
using testing::MemoryLogger;
using testing::PrivateBroker;
using testing::Received;
using testing::Subscriber;

const UtcTime kT0 = UtcTime(Seconds(1'772'000'000));

std::string UniqueName(const std::string& stem) {
  return stem + std::to_string(::getpid()) + "_" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "blemon-mqtt-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

PresenceSnapshot Snapshot(bool alice_home) {
  PresenceSnapshot snapshot{.interval_start = kT0, .watched = {}, .rooms = {}};
  snapshot.watched.push_back({.name = "alice-phone",
                              .device = "AA:BB:CC:DD:EE:01",
                              .home = alice_home,
                              .room = "Kitchen",
                              .last_seen = kT0});
  snapshot.watched.push_back({.name = "bob-watch",
                              .device = "bob",
                              .home = false,
                              .room = "Hall",
                              .last_seen = kT0 - Seconds(3000)});
  if (alice_home) {
    snapshot.rooms.push_back(
        {.room = "Kitchen", .devices = 4, .by_class = {{"phone", 1}, {"random-static", 3}}});
  }
  return snapshot;
}
std::vector<MonitorState> Monitors() {
  return {{.name = "pi-kitchen", .status = MonitorStatus::kOnline},
          {.name = "pi-hall", .status = MonitorStatus::kStale}};
}

PresenceEvent Event(int i) {
  const auto kind = i % 2 == 0 ? PresenceEventKind::kArrive : PresenceEventKind::kLeave;
  const UtcTime at = kT0 + Seconds(300 * i);
  return {.event_id = PresenceEventId("AA:BB:CC:DD:EE:01", at, kind),
          .watch_name = "alice-phone",
          .device = "AA:BB:CC:DD:EE:01",
          .interval_start = at,
          .kind = kind,
          .from_room = i % 2 == 0 ? "" : "Kitchen",
          .to_room = i % 2 == 0 ? "Kitchen" : "",
          .decided_in = at};
}
std::vector<std::string> EventIds(int from, int to) {
  std::vector<std::string> ids;
  for (int i = from; i < to; ++i) ids.push_back(Event(i).event_id);
  return ids;
}

class AnMqttPublisher : public ::testing::Test {
 protected:
  std::unique_ptr<MqttPublisher> Make(const Broker& broker, const std::string& client_id) {
    return std::make_unique<MqttPublisher>(broker.Options(client_id), names_,
                                           sqlite::OpenOutbox(dir_.File("outbox.db")), log_);
  }

  TempDir dir_;
  MemoryLogger log_;
  TopicNames names_{
      .discovery_prefix = UniqueName("ha"), .base = UniqueName("blemon"), .sw_version = "0.1.0"};
};

// Keys Home Assistant's MQTT discovery documentation requires (or blemon promises) per config.
void ExpectCommonKeys(const Json& config, const TopicNames& names) {
  for (const char* key : {"unique_id", "device", "origin", "availability", "qos"}) {
    EXPECT_TRUE(config.contains(key)) << key << " missing in " << config.dump();
  }
  EXPECT_FALSE(config["device"]["identifiers"].empty());
  EXPECT_TRUE(config["device"].contains("name"));
  EXPECT_TRUE(config["origin"].contains("name"));
  EXPECT_EQ(config["availability"][0]["topic"], names.availability());
  EXPECT_EQ(config["qos"], 1);
  // Neither abbreviations nor the keys Home Assistant deprecated.
  for (const char* key : {"object_id", "uniq_id", "dev", "o", "avty", "stat_t", "json_attr_t"}) {
    EXPECT_FALSE(config.contains(key)) << key << " in " << config.dump();
  }
}

TEST_F(AnMqttPublisher, PublishesDiscoveryConfigsWithEveryKeyHomeAssistantRequires) {
  const Broker broker = Broker::Shared();
  auto publisher = Make(broker, UniqueName("disc"));
  HomeAssistantPublisher port(*publisher);
  port.Publish(Snapshot(true), {});
  port.PublishMonitors(Monitors());
  ASSERT_TRUE(publisher->Flush(10s));

  // Home Assistant subscribing afterwards: it sees every config because each is retained.
  Subscriber ha(broker, names_.discovery_prefix + "/#", UniqueName("ha"));
  ASSERT_TRUE(ha.WaitFor([](const auto& m) { return m.size() >= 7; }));
  std::map<std::string, Json> configs;
  for (const auto& m : ha.messages()) {
    EXPECT_TRUE(m.retained) << m.topic;
    configs[m.topic] = Json::parse(m.payload);
  }
  ASSERT_EQ(configs.size(), 7u);  // 2 trackers, 2 room sensors, 1 occupancy, 2 monitor status
  const std::string p = names_.discovery_prefix;
  const Json& tracker = configs.at(p + "/device_tracker/blemon/alice_phone/config");
  ExpectCommonKeys(tracker, names_);
  EXPECT_EQ(tracker["source_type"], "bluetooth_le");
  EXPECT_EQ(tracker["json_attributes_topic"], names_.base + "/device/alice_phone/attributes");
  for (const char* deprecated :
       {"state_topic", "value_template", "payload_home", "payload_not_home", "payload_reset"}) {
    EXPECT_FALSE(tracker.contains(deprecated)) << deprecated;
  }
  for (const auto& [topic, config] : configs) {
    ExpectCommonKeys(config, names_);
    if (topic.find("/sensor/") != std::string::npos) {
      EXPECT_TRUE(config.contains("state_topic")) << topic;
    }
  }
  const Json& status = configs.at(p + "/sensor/blemon/monitor_pi_hall_status/config");
  EXPECT_EQ(status["device_class"], "enum");
  EXPECT_EQ(status["options"], Json::array({"online", "stale", "offline"}));
  // The tracker's attributes say where the device is in the current form: in_zones.
  Subscriber state(broker, names_.base + "/#", UniqueName("st"));
  // 2 devices x 2, the kitchen's 2, 2 monitors, and availability: 9 retained topics.
  ASSERT_TRUE(state.WaitFor([&](const auto& m) { return testing::LatestOf(m).size() >= 9; }));
  const auto latest = state.Latest();
  EXPECT_EQ(Json::parse(latest.at(names_.base + "/device/alice_phone/attributes"))["in_zones"],
            Json::array({"zone.home"}));
  EXPECT_EQ(Json::parse(latest.at(names_.base + "/device/bob_watch/attributes"))["in_zones"],
            Json::array());
  EXPECT_EQ(latest.at(names_.base + "/device/alice_phone/room"), "Kitchen");
  EXPECT_EQ(latest.at(names_.base + "/room/kitchen/occupancy"), "4");
  EXPECT_EQ(Json::parse(latest.at(names_.base + "/room/kitchen/attributes"))["watched"],
            Json::array({"alice-phone"}));
  EXPECT_EQ(latest.at(names_.base + "/device/bob_watch/room"), "away");
  EXPECT_EQ(latest.at(names_.base + "/monitor/pi_hall/status"), "stale");
  EXPECT_EQ(latest.at(names_.availability()), "online");
}

TEST_F(AnMqttPublisher, LeavesOfflineRetainedOnTheAvailabilityTopicWhenItStops) {
  const Broker broker = Broker::Shared();
  auto publisher = Make(broker, UniqueName("avail"));
  ASSERT_TRUE(publisher->Flush(5s));
  Subscriber ha(broker, names_.availability(), UniqueName("ha"));
  ASSERT_TRUE(ha.WaitFor([](const auto& m) { return !m.empty() && m.back().payload == "online"; }));
  publisher.reset();
  ASSERT_TRUE(ha.WaitFor([](const auto& m) { return m.back().payload == "offline"; }));
}

TEST_F(AnMqttPublisher, HasTheBrokerPublishItsLastWillWhenItDiesWithoutSayingGoodbye) {
  PrivateBroker own(dir_.File("broker"));
  // A second client with the same id takes the session over: the broker drops the first
  // connection without a DISCONNECT and publishes its will, as after a crash.
  auto publisher = Make(own.broker, "will-test");
  Subscriber ha(own.broker, names_.availability(), UniqueName("ha"));
  ASSERT_TRUE(ha.WaitFor([](const auto& m) { return !m.empty() && m.back().payload == "online"; }));
  Subscriber usurper(own.broker, "nothing/#", "will-test");
  EXPECT_TRUE(ha.WaitFor([](const auto& m) {
    for (const auto& r : m)
      if (r.payload == "offline") return true;
    return false;
  }));
}

TEST_F(AnMqttPublisher, HasTheRightRetainedStateAfterABrokerRestart) {
  PrivateBroker own(dir_.File("broker"));
  auto publisher = Make(own.broker, UniqueName("restart"));
  HomeAssistantPublisher port(*publisher);
  port.Publish(Snapshot(true), {});
  ASSERT_TRUE(publisher->Flush(10s));
  own.broker.Run("stop");
  // Alice leaves while the broker is down: the new state waits in the outbox.
  port.Publish(Snapshot(false), std::vector{Event(1)});
  EXPECT_EQ(publisher->Pending(), 7);  // the event, 2 devices x 2 states, the kitchen's 2
  own.broker.Run("start");
  ASSERT_TRUE(publisher->Flush(15s));

  Subscriber ha(own.broker, names_.base + "/#", UniqueName("ha"));
  // Retained: the 6 states and availability (the event is not retained).
  ASSERT_TRUE(ha.WaitFor([&](const auto& m) { return m.size() >= 7; }));
  const auto latest = ha.Latest();
  EXPECT_EQ(latest.at(names_.base + "/device/alice_phone/room"), "away");
  EXPECT_EQ(Json::parse(latest.at(names_.base + "/device/alice_phone/attributes"))["in_zones"],
            Json::array());
  EXPECT_EQ(latest.at(names_.base + "/room/kitchen/occupancy"), "0");
  EXPECT_EQ(latest.at(names_.availability()), "online");
  for (const auto& m : ha.messages()) EXPECT_TRUE(m.retained) << m.topic;
}

TEST_F(AnMqttPublisher, AnnouncesItsEntitiesAgainToABrokerThatLostItsRetainedMessages) {
  PrivateBroker own(dir_.File("broker"));
  auto publisher = Make(own.broker, UniqueName("amnesia"));
  HomeAssistantPublisher port(*publisher);
  port.Publish(Snapshot(true), {});
  ASSERT_TRUE(publisher->Flush(10s));
  // A broker restarted without its persistence file knows nothing retained.
  own.broker.Run("stop");
  std::filesystem::remove_all(own.broker.dir + "/data");
  std::filesystem::create_directory(own.broker.dir + "/data");
  own.broker.Run("start");
  const auto reconnected = std::chrono::steady_clock::now() + 15s;
  while (publisher->connections() < 2 && std::chrono::steady_clock::now() < reconnected) {
    std::this_thread::sleep_for(100ms);
  }
  port.Publish(Snapshot(true), {});
  ASSERT_TRUE(publisher->Flush(10s));
  Subscriber ha(own.broker, names_.discovery_prefix + "/#", UniqueName("ha"));
  // 2 trackers, 2 room sensors, the kitchen's occupancy.
  EXPECT_TRUE(ha.WaitFor([](const auto& m) { return m.size() >= 5; }));
}

TEST_F(AnMqttPublisher, DeliversEveryEventAfterAnOutageOfThreeIntervalsInOrderNoneTwice) {
  PrivateBroker own(dir_.File("broker"));
  // Home Assistant's session outlives the outage (clean_session false, QoS 1).
  const std::string ha_id = UniqueName("ha");
  auto ha = std::make_unique<Subscriber>(own.broker, names_.events(), ha_id, true);
  auto publisher = Make(own.broker, UniqueName("outage"));
  HomeAssistantPublisher port(*publisher);
  ASSERT_TRUE(publisher->Flush(10s));
  int next = 0;
  const auto interval = [&] {  // one interval's events: three changes
    std::vector<PresenceEvent> events;
    for (int i = 0; i < 3; ++i) events.push_back(Event(next++));
    port.Publish(Snapshot(next % 2 == 0), events);
  };
  interval();
  ASSERT_TRUE(publisher->Flush(10s));
  ASSERT_TRUE(ha->WaitFor([](const auto& m) { return m.size() == 3; }));
  ha.reset();

  own.broker.Run("stop");
  for (int i = 0; i < 3; ++i) interval();  // three intervals with the broker away
  EXPECT_GE(publisher->Pending(), 9);
  own.broker.Run("start");
  ha = std::make_unique<Subscriber>(own.broker, names_.events(), ha_id, true);
  ASSERT_TRUE(publisher->Flush(15s));
  interval();  // and the interval after
  ASSERT_TRUE(publisher->Flush(10s));

  ASSERT_TRUE(ha->WaitFor([](const auto& m) { return m.size() >= 9; }));
  std::this_thread::sleep_for(500ms);  // a repeat would arrive within this
  const auto received = ha->messages();
  std::vector<std::string> ids;
  for (const auto& m : received) ids.push_back(Json::parse(m.payload)["event_id"]);
  EXPECT_EQ(ids, EventIds(3, 15));
}

TEST_F(AnMqttPublisher, QueuesAnEventItWasGivenBeforeOnlyOnce) {
  const Broker broker = Broker::Shared();
  auto publisher = Make(broker, UniqueName("dup"));
  Subscriber ha(broker, names_.events(), UniqueName("ha"));
  HomeAssistantPublisher port(*publisher);
  port.Publish(Snapshot(true), std::vector{Event(1), Event(2)});
  // A processor redoing the interval after a crash (killed between handing the events over and
  // marking them published) hands the same events over again.
  port.Publish(Snapshot(true), std::vector{Event(1), Event(2), Event(3)});
  ASSERT_TRUE(publisher->Flush(10s));
  ASSERT_TRUE(ha.WaitFor([](const auto& m) { return m.size() >= 3; }));
  std::this_thread::sleep_for(300ms);
  std::vector<std::string> ids;
  for (const auto& m : ha.messages()) ids.push_back(Json::parse(m.payload)["event_id"]);
  EXPECT_EQ(ids, EventIds(1, 4));
}

TEST_F(AnMqttPublisher, RefusesABrokerItsCaDoesNotTrustAndKeepsTheMessages) {
  Broker broker = Broker::Shared();
  broker.ca_cert = broker.bad_ca_cert;
  auto publisher = Make(broker, UniqueName("badca"));
  publisher->Send({EventMessage(names_, Event(1))});
  EXPECT_FALSE(publisher->Flush(2s));
  EXPECT_FALSE(publisher->connected());
  EXPECT_EQ(publisher->Pending(), 1);
}

TEST_F(AnMqttPublisher, NeverConnectsWithAWrongPasswordAndSaysWhy) {
  Broker broker = Broker::Shared();
  broker.password = "wrong";
  auto publisher = Make(broker, UniqueName("badpw"));
  publisher->Send({EventMessage(names_, Event(1))});
  EXPECT_FALSE(publisher->Flush(2s));
  bool said = false;
  for (const auto& line : log_.lines())
    said |= line.find("refused the connection") != std::string::npos;
  EXPECT_TRUE(said);
}

}  // namespace
}  // namespace blemon::mqtt
