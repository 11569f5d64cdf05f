#include "blemon/mqtt/home_assistant_publisher.h"

#include <algorithm>

namespace blemon::mqtt {

std::vector<OutgoingMessage> HomeAssistantPublisher::NotYetAnnounced(
    std::vector<OutgoingMessage> configs) {
  // A reconnect may be to a broker that lost its retained messages: announce again. (The first
  // connection is not one: what was announced before it is still queued for it.)
  if (const int connections = mqtt_.connections(); connections != connections_seen_) {
    if (connections > 1) announced_.clear();
    connections_seen_ = connections;
  }
  std::vector<OutgoingMessage> fresh;
  for (auto& config : configs) {
    auto& sent = announced_[config.topic];
    if (sent == config.payload) continue;
    sent = config.payload;
    fresh.push_back(std::move(config));
  }
  return fresh;
}

void HomeAssistantPublisher::Publish(const PresenceSnapshot& snapshot,
                                     std::span<const PresenceEvent> events) {
  for (const auto& room : snapshot.rooms) {
    if (std::find(known_rooms_.begin(), known_rooms_.end(), room.room) == known_rooms_.end()) {
      known_rooms_.push_back(room.room);
    }
  }
  const TopicNames& names = mqtt_.names();
  const auto devices = TrackedDevicesOf(snapshot);
  const auto rooms = RoomsOf(snapshot, known_rooms_);
  std::vector<OutgoingMessage> messages =
      NotYetAnnounced(DiscoveryConfigs(names, devices, rooms, {}));
  for (const auto& event : events) messages.push_back(EventMessage(names, event));
  for (auto& state : States(names, devices, rooms, {})) messages.push_back(std::move(state));
  try {
    mqtt_.Send(messages);
  } catch (...) {
    // Nothing was queued: announce again next time.
    announced_.clear();
    throw;
  }
}

void HomeAssistantPublisher::PublishMonitors(const std::vector<MonitorState>& monitors) {
  const TopicNames& names = mqtt_.names();
  std::vector<OutgoingMessage> messages =
      NotYetAnnounced(DiscoveryConfigs(names, {}, {}, monitors));
  for (auto& state : States(names, {}, {}, monitors)) messages.push_back(std::move(state));
  try {
    mqtt_.Send(messages);
  } catch (...) {
    announced_.clear();
    throw;
  }
}

}  // namespace blemon::mqtt
