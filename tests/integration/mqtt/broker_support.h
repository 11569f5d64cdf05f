#pragma once

// Test side of the MQTT integration tests: the broker of the `mosquitto` fixture (or a private
// one for outage tests), and a subscriber that plays Home Assistant — a real MQTT client of its
// own (libmosquitto), never the publisher's code.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blemon/mqtt/mqtt_publisher.h"
#include "blemon/ports.h"

namespace blemon::mqtt::testing {

// KEY=value lines of a peer directory's peer.env.
struct Broker {
  std::string dir;
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
  std::string ca_cert;
  std::string bad_ca_cert;
  std::string peer_script;

  static Broker Shared();  // $BLEMON_TEST_MOSQUITTO_DIR
  // A broker of the test's own (setup now; torn down by the destructor of the returned guard).
  static Broker Private(const std::string& dir);
  void Run(const std::string& command) const;  // peer script start | stop | kill | teardown

  BrokerOptions Options(const std::string& client_id) const;
};

// Tears a private broker down at scope end.
struct PrivateBroker {
  explicit PrivateBroker(const std::string& dir) : broker(Broker::Private(dir)) {}
  ~PrivateBroker() { broker.Run("teardown"); }
  Broker broker;
};

struct Received {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class Subscriber {
 public:
  // Subscribes to `filter` at QoS 1 and returns once the broker confirmed it (or 10 s passed). A
  // `persistent` subscriber (clean_session false, fixed id) has the broker keep its messages while
  // it is away, as Home Assistant's does.
  Subscriber(const Broker& broker, const std::string& filter, const std::string& client_id,
             bool persistent = false);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Waits until `done(messages so far)` holds or `timeout` passed; returns whether it held.
  bool WaitFor(const std::function<bool(const std::vector<Received>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<Received> messages();
  // The latest payload per topic.
  std::map<std::string, std::string> Latest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The latest payload per topic.
std::map<std::string, std::string> LatestOf(const std::vector<Received>& messages);

// A logger that keeps lines, for asserting on what the publisher said.
class MemoryLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override;
  std::vector<std::string> lines();

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace blemon::mqtt::testing
