#pragma once

// What blemon publishes over MQTT, as Home Assistant's MQTT discovery reads it (docs/mqtt.md).
// Pure functions from presence state to messages; the publisher queues them in the outbox.
//
// Entities, each with a retained discovery config under <discovery_prefix>/<component>/blemon/
// <object_id>/config and a retained state under <base>/...:
// - per watched device: a device_tracker (the current form: no state topic; its
//   json_attributes_topic carries `in_zones` — ["zone.home"] at home, [] away — and
//   `source_type` bluetooth_le) and a `sensor` with the room it is in ("away" when not home);
// - per room: an occupancy `sensor` (how many watched devices are in it; who, as attributes);
// - per monitor: a status `sensor` (enum online | stale | offline, diagnostic).
// Every config carries unique_id, device, origin and the availability topic <base>/status, whose
// retained "online" / "offline" (the last will) says whether blemon's processor is connected.
// Events (arrive, leave, room change) go to <base>/events, not retained, each with its event_id.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/outbox.h"
#include "blemon/presence.h"
#include "blemon/time.h"

namespace blemon::mqtt {

struct TopicNames {
  std::string discovery_prefix = "homeassistant";
  std::string base = "blemon";
  std::string sw_version;  // blemon's version, for the origin and device blocks

  std::string availability() const { return base + "/status"; }
  std::string events() const { return base + "/events"; }
};

// A watched device as Home Assistant sees it. `key` is stable for the watch entry (it names
// topics and unique ids); `name` is what people read.
struct TrackedDevice {
  std::string key;
  std::string name;
  bool home = false;
  std::string room;                  // the room it is in; empty when away or not known
  std::optional<UtcTime> last_seen;  // the interval it was last seen in
};

struct RoomState {
  std::string name;
  int devices = 0;                      // every device whose room it was, watched or not
  std::map<std::string, int> by_class;  // the same split by device class
  std::vector<std::string> watched;     // names of the watched devices in it
};

enum class MonitorStatus { kOnline, kStale, kOffline };
struct MonitorState {
  std::string name;
  MonitorStatus status = MonitorStatus::kOffline;
};

std::string_view ToString(MonitorStatus status);  // "online", "stale", "offline"

// A monitor's status as the store sees it: offline when it shut down (not active), stale when
// active but not heard from for more than two intervals by the store's clock, else online.
MonitorStatus StatusOf(bool is_active, std::optional<UtcTime> last_seen, UtcTime store_now,
                       Seconds interval);

// A name made safe for a topic level and an object id: lower-case letters, digits and '_'
// (runs of anything else become one '_'); "" becomes "unnamed".
std::string Slug(std::string_view name);

// The retained discovery configs for these entities (publishing them again is harmless: Home
// Assistant updates the entity in place).
std::vector<OutgoingMessage> DiscoveryConfigs(const TopicNames& names,
                                              const std::vector<TrackedDevice>& devices,
                                              const std::vector<RoomState>& rooms,
                                              const std::vector<MonitorState>& monitors);
// The retained states of the same entities.
std::vector<OutgoingMessage> States(const TopicNames& names,
                                    const std::vector<TrackedDevice>& devices,
                                    const std::vector<RoomState>& rooms,
                                    const std::vector<MonitorState>& monitors);
// One event message (QoS 1, not retained) carrying its event_id; the payload is EventJson
// (blemon/alerts.h), the same JSON a webhook receives.
OutgoingMessage EventMessage(const TopicNames& names, const PresenceEvent& event);

// The presence engine's snapshot as Home Assistant's entities: each watched device (keyed by its
// watch name), and each room in `known_rooms` or in the snapshot (a room the snapshot leaves out
// holds no device now: it is published as 0, not forgotten).
std::vector<TrackedDevice> TrackedDevicesOf(const PresenceSnapshot& snapshot);
std::vector<RoomState> RoomsOf(const PresenceSnapshot& snapshot,
                               const std::vector<std::string>& known_rooms);

}  // namespace blemon::mqtt
