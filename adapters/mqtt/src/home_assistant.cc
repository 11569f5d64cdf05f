#include "blemon/mqtt/home_assistant.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "blemon/alerts.h"

namespace blemon::mqtt {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSupportUrl = "https://github.com/blemon/blemon/blob/main/docs/mqtt.md";
constexpr int kQos = 1;

Json Origin(const TopicNames& n) {
  return {{"name", "blemon"}, {"sw_version", n.sw_version}, {"support_url", kSupportUrl}};
}

Json Availability(const TopicNames& n) {
  return Json::array({{{"topic", n.availability()},
                       {"payload_available", "online"},
                       {"payload_not_available", "offline"}}});
}

// The keys every blemon entity's config shares.
Json EntityBase(const TopicNames& n, const std::string& unique_id, const Json& device) {
  return {{"unique_id", unique_id},
          {"device", device},
          {"origin", Origin(n)},
          {"availability", Availability(n)},
          {"qos", kQos}};
}

std::string ConfigTopic(const TopicNames& n, std::string_view component,
                        const std::string& object_id) {
  return n.discovery_prefix + "/" + std::string(component) + "/blemon/" + object_id + "/config";
}

OutgoingMessage Retained(std::string topic, std::string payload) {
  return {.topic = std::move(topic), .payload = std::move(payload), .retain = true, .event_id = ""};
}

std::string DeviceTopic(const TopicNames& n, const TrackedDevice& d, std::string_view leaf) {
  return n.base + "/device/" + Slug(d.key) + "/" + std::string(leaf);
}
std::string RoomTopic(const TopicNames& n, const std::string& room, std::string_view leaf) {
  return n.base + "/room/" + Slug(room) + "/" + std::string(leaf);
}
std::string MonitorTopic(const TopicNames& n, const MonitorState& m) {
  return n.base + "/monitor/" + Slug(m.name) + "/status";
}

// The Home Assistant device a watched device's entities belong to.
Json TrackedDeviceBlock(const TopicNames& n, const TrackedDevice& d) {
  return {{"identifiers", Json::array({"blemon_" + Slug(d.key)})},
          {"name", d.name},
          {"manufacturer", "blemon"},
          {"model", "Watched Bluetooth LE device"},
          {"via_device", "blemon_" + Slug(n.base)}};
}
// The processor (fleet) device the room sensors belong to, and each monitor's own device.
Json FleetBlock(const TopicNames& n) {
  return {{"identifiers", Json::array({"blemon_" + Slug(n.base)})},
          {"name", "blemon"},
          {"manufacturer", "blemon"},
          {"model", "blemon presence processor"},
          {"sw_version", n.sw_version}};
}
Json MonitorBlock(const TopicNames& n, const MonitorState& m) {
  return {{"identifiers", Json::array({"blemon_monitor_" + Slug(m.name)})},
          {"name", "blemon monitor " + m.name},
          {"manufacturer", "blemon"},
          {"model", "blemon-monitor"},
          {"sw_version", n.sw_version},
          {"via_device", "blemon_" + Slug(n.base)}};
}

void AddDeviceConfigs(const TopicNames& n, const TrackedDevice& d,
                      std::vector<OutgoingMessage>& out) {
  const std::string id = "blemon_" + Slug(d.key);
  Json tracker = EntityBase(n, id + "_tracker", TrackedDeviceBlock(n, d));
  tracker["name"] = nullptr;  // the entity is the device: it takes the device's name
  tracker["default_entity_id"] = "device_tracker." + id;
  tracker["json_attributes_topic"] = DeviceTopic(n, d, "attributes");
  tracker["source_type"] = "bluetooth_le";
  out.push_back(Retained(ConfigTopic(n, "device_tracker", Slug(d.key)), tracker.dump()));

  Json room = EntityBase(n, id + "_room", TrackedDeviceBlock(n, d));
  room["name"] = "Room";
  room["default_entity_id"] = "sensor." + id + "_room";
  room["state_topic"] = DeviceTopic(n, d, "room");
  room["icon"] = "mdi:map-marker-radius";
  out.push_back(Retained(ConfigTopic(n, "sensor", Slug(d.key) + "_room"), room.dump()));
}

void AddRoomConfig(const TopicNames& n, const RoomState& r, std::vector<OutgoingMessage>& out) {
  const std::string id = "blemon_room_" + Slug(r.name);
  Json occupancy = EntityBase(n, id + "_occupancy", FleetBlock(n));
  occupancy["name"] = r.name + " occupancy";
  occupancy["default_entity_id"] = "sensor." + id + "_occupancy";
  occupancy["state_topic"] = RoomTopic(n, r.name, "occupancy");
  occupancy["json_attributes_topic"] = RoomTopic(n, r.name, "attributes");
  occupancy["state_class"] = "measurement";
  occupancy["unit_of_measurement"] = "devices";
  occupancy["icon"] = "mdi:home-account";
  out.push_back(
      Retained(ConfigTopic(n, "sensor", "room_" + Slug(r.name) + "_occupancy"), occupancy.dump()));
}

void AddMonitorConfig(const TopicNames& n, const MonitorState& m,
                      std::vector<OutgoingMessage>& out) {
  const std::string id = "blemon_monitor_" + Slug(m.name);
  Json status = EntityBase(n, id + "_status", MonitorBlock(n, m));
  status["name"] = "Status";
  status["default_entity_id"] = "sensor." + id + "_status";
  status["state_topic"] = MonitorTopic(n, m);
  status["device_class"] = "enum";
  status["options"] = Json::array({"online", "stale", "offline"});
  status["entity_category"] = "diagnostic";
  out.push_back(
      Retained(ConfigTopic(n, "sensor", "monitor_" + Slug(m.name) + "_status"), status.dump()));
}

}  // namespace

std::string_view ToString(MonitorStatus status) {
  switch (status) {
    case MonitorStatus::kOnline:
      return "online";
    case MonitorStatus::kStale:
      return "stale";
    case MonitorStatus::kOffline:
      return "offline";
  }
  return "offline";
}

MonitorStatus StatusOf(bool is_active, std::optional<UtcTime> last_seen, UtcTime store_now,
                       Seconds interval) {
  if (!is_active) return MonitorStatus::kOffline;
  if (!last_seen || store_now - *last_seen > 2 * interval) return MonitorStatus::kStale;
  return MonitorStatus::kOnline;
}

std::string Slug(std::string_view name) {
  std::string slug;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 && u < 0x80) {
      slug += static_cast<char>(std::tolower(u));
    } else if (!slug.empty() && slug.back() != '_') {
      slug += '_';
    }
  }
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  return slug.empty() ? "unnamed" : slug;
}

std::vector<OutgoingMessage> DiscoveryConfigs(const TopicNames& names,
                                              const std::vector<TrackedDevice>& devices,
                                              const std::vector<RoomState>& rooms,
                                              const std::vector<MonitorState>& monitors) {
  std::vector<OutgoingMessage> out;
  for (const auto& d : devices) AddDeviceConfigs(names, d, out);
  for (const auto& r : rooms) AddRoomConfig(names, r, out);
  for (const auto& m : monitors) AddMonitorConfig(names, m, out);
  return out;
}

std::vector<OutgoingMessage> States(const TopicNames& names,
                                    const std::vector<TrackedDevice>& devices,
                                    const std::vector<RoomState>& rooms,
                                    const std::vector<MonitorState>& monitors) {
  std::vector<OutgoingMessage> out;
  for (const auto& d : devices) {
    Json attributes = {{"in_zones", d.home ? Json::array({"zone.home"}) : Json::array()},
                       {"source_type", "bluetooth_le"},
                       {"room", d.home && !d.room.empty() ? Json(d.room) : Json(nullptr)},
                       {"last_seen", d.last_seen ? Json(IsoUtc(*d.last_seen)) : Json(nullptr)}};
    out.push_back(Retained(DeviceTopic(names, d, "attributes"), attributes.dump()));
    out.push_back(Retained(DeviceTopic(names, d, "room"),
                           d.home ? (d.room.empty() ? "home" : d.room) : "away"));
  }
  for (const auto& r : rooms) {
    out.push_back(Retained(RoomTopic(names, r.name, "occupancy"), std::to_string(r.devices)));
    out.push_back(Retained(RoomTopic(names, r.name, "attributes"),
                           Json{{"by_class", r.by_class}, {"watched", r.watched}}.dump()));
  }
  for (const auto& m : monitors) {
    out.push_back(Retained(MonitorTopic(names, m), std::string(ToString(m.status))));
  }
  return out;
}

OutgoingMessage EventMessage(const TopicNames& names, const PresenceEvent& event) {
  return {.topic = names.events(),
          .payload = EventJson(event),
          .retain = false,
          .event_id = event.event_id};
}

std::vector<TrackedDevice> TrackedDevicesOf(const PresenceSnapshot& snapshot) {
  std::vector<TrackedDevice> devices;
  for (const auto& w : snapshot.watched) {
    devices.push_back({.key = w.name,
                       .name = w.name,
                       .home = w.home,
                       .room = w.home ? w.room : "",
                       .last_seen = w.last_seen});
  }
  return devices;
}

std::vector<RoomState> RoomsOf(const PresenceSnapshot& snapshot,
                               const std::vector<std::string>& known_rooms) {
  std::map<std::string, RoomState> rooms;
  for (const auto& name : known_rooms) rooms[name].name = name;
  for (const auto& r : snapshot.rooms) {
    rooms[r.room] = {.name = r.room, .devices = r.devices, .by_class = r.by_class, .watched = {}};
  }
  for (const auto& w : snapshot.watched) {
    if (w.home && rooms.count(w.room) > 0) rooms[w.room].watched.push_back(w.name);
  }
  std::vector<RoomState> out;
  for (auto& [name, room] : rooms) out.push_back(std::move(room));
  return out;
}

}  // namespace blemon::mqtt
