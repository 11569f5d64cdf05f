#pragma once

// The Publisher port (blemon/ports.h) for Home Assistant over MQTT: each Publish queues, in the
// outbox and in this order, the discovery configs Home Assistant has not had from this process
// (all of them after a start, and again after each reconnect, since a broker restarted without
// persistence has lost them), the interval's events, then the retained states. "Taken by the
// peer" in the port's sense is "committed to the outbox": Publish returns once the messages are
// on disk and the sender thread delivers them whenever the broker is there. An event handed over
// again (a processor redoing an interval) is not queued twice.

#include <map>
#include <span>
#include <string>
#include <vector>

#include "blemon/mqtt/home_assistant.h"
#include "blemon/mqtt/mqtt_publisher.h"
#include "blemon/ports.h"

namespace blemon::mqtt {

class HomeAssistantPublisher final : public Publisher {
 public:
  // `mqtt` must outlive this object.
  explicit HomeAssistantPublisher(MqttPublisher& mqtt) : mqtt_(mqtt) {}

  // Throws Unavailable when the outbox cannot be written (nothing queued), Refused when it is
  // damaged.
  void Publish(const PresenceSnapshot& snapshot, std::span<const PresenceEvent> events) override;
  // The monitors' status sensors (from the store's view of the fleet), configs and states.
  void PublishMonitors(const std::vector<MonitorState>& monitors);

 private:
  // The configs among `configs` not yet announced with this payload; remembers them.
  std::vector<OutgoingMessage> NotYetAnnounced(std::vector<OutgoingMessage> configs);

  MqttPublisher& mqtt_;
  std::map<std::string, std::string> announced_;  // discovery topic -> payload sent
  std::vector<std::string> known_rooms_;          // every room seen since the start
  int connections_seen_ = 0;                      // MqttPublisher::connections() at the last look
};

}  // namespace blemon::mqtt
