#pragma once

// The MQTT side of the processor: messages go into the outbox first (durably, in order), and a
// sender thread of the publisher's own moves them to the broker at QoS 1 whenever it is
// connected, forgetting each only once the broker acknowledged it. A broker that is away for
// hours costs nothing but outbox rows; they go out in order when it is back.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blemon/mqtt/home_assistant.h"
#include "blemon/outbox.h"
#include "blemon/ports.h"

namespace blemon::mqtt {

struct BrokerOptions {
  std::string host = "localhost";
  int port = 8883;
  bool tls = true;
  std::string ca_file;  // empty: the system's trust store
  std::string username;
  std::string password;  // read by the caller from the 0600 password file
  std::string client_id = "blemon";
  std::chrono::seconds keepalive{60};
  std::chrono::seconds reconnect_min{1};
  std::chrono::seconds reconnect_max{60};
};

class MqttPublisher {
 public:
  // Connects in the background (a broker that is away is not an error). Throws Refused for
  // options the client library rejects, like an unreadable CA file.
  MqttPublisher(const BrokerOptions& broker, TopicNames names, std::unique_ptr<Outbox> outbox,
                Logger& log);
  // Sends what it can within a second, publishes "offline" and disconnects; what is left stays
  // in the outbox for the next start.
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  const TopicNames& names() const { return names_; }

  // Queues the messages durably, in order (events already queued once are skipped), and wakes
  // the sender. Returns once they are on disk; throws Unavailable when the outbox cannot be
  // written (nothing queued then).
  void Send(const std::vector<OutgoingMessage>& messages);
  // Waits until the outbox is empty or `timeout` passed; returns whether it is empty.
  bool Flush(std::chrono::milliseconds timeout);
  std::int64_t Pending();
  bool connected() const;
  // How many times the broker connection was made so far: a change means the broker may have
  // lost its retained messages (a restart without persistence).
  int connections() const;

 private:
  struct Sender;
  TopicNames names_;
  std::unique_ptr<Sender> sender_;
};

}  // namespace blemon::mqtt
