#pragma once

// One connection to an MQTT broker over libmosquitto: TLS, user name and password, a last will
// on the availability topic, QoS 1 publishing that waits for the broker's acknowledgements, and
// reconnecting with exponential backoff on its own network thread. All libmosquitto calls stay in
// mqtt_link.cc.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "blemon/outbox.h"
#include "blemon/ports.h"

namespace blemon::mqtt::internal {

struct LinkOptions {
  std::string host;
  int port = 8883;
  bool tls = true;
  std::string ca_file;  // empty with tls: the system's trust store
  std::string username;
  std::string password;
  std::string client_id;
  std::chrono::seconds keepalive{60};
  std::chrono::seconds reconnect_min{1};   // first wait after a lost connection
  std::chrono::seconds reconnect_max{60};  // the backoff doubles up to this
  // Retained "online" on connect; the broker publishes the retained "offline" will when the
  // connection dies without a clean disconnect, and Close() publishes it itself.
  std::string availability_topic;
};
inline constexpr const char* kOnline = "online";
inline constexpr const char* kOffline = "offline";

class MqttLink {
 public:
  // Starts connecting in the background (a broker that is away is not an error: the link keeps
  // trying). Throws Refused for options libmosquitto rejects (an unreadable CA file).
  MqttLink(LinkOptions options, Logger& log);
  // Publishes "offline", disconnects cleanly and stops the network thread.
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  bool connected() const;
  // How many times the link has connected so far (each reconnect counts).
  int connections() const;
  // Waits until connected or `timeout` passed; returns connected().
  bool WaitConnected(std::chrono::milliseconds timeout);
  // Publishes the messages in order at QoS 1 and waits until the broker acknowledged them or
  // `timeout` passed or the connection dropped. Returns how many, counted from the first, were
  // acknowledged: the caller may forget exactly those.
  std::size_t PublishAll(const std::vector<QueuedMessage>& messages,
                         std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace blemon::mqtt::internal
