#include "broker_support.h"

#include <gtest/gtest.h>
#include <mosquitto.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace blemon::mqtt::testing {
namespace {

Broker ReadPeerEnv(const std::string& dir) {
  std::ifstream env(dir + "/peer.env");
  if (!env) throw std::runtime_error("no peer.env in " + dir + " (is the mosquitto fixture up?)");
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(env, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return Broker{.dir = dir,
                .host = values["host"],
                .port = std::stoi(values["port"]),
                .user = values["user"],
                .password = values["password"],
                .ca_cert = values["ca_cert"],
                .bad_ca_cert = values["bad_ca_cert"],
                .peer_script = values["peer_script"]};
}

}  // namespace

Broker Broker::Shared() {
  const char* dir = std::getenv("BLEMON_TEST_MOSQUITTO_DIR");
  if (dir == nullptr) throw std::runtime_error("BLEMON_TEST_MOSQUITTO_DIR is not set");
  return ReadPeerEnv(dir);
}

Broker Broker::Private(const std::string& dir) {
  Broker shared = Shared();  // for the script's path
  shared.dir = dir;
  shared.Run("setup");
  return ReadPeerEnv(dir);
}

void Broker::Run(const std::string& command) const {
  const std::string line = peer_script + " " + command + " '" + dir + "'";
  if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

BrokerOptions Broker::Options(const std::string& client_id) const {
  return BrokerOptions{.host = host,
                       .port = port,
                       .tls = true,
                       .ca_file = ca_cert,
                       .username = user,
                       .password = password,
                       .client_id = client_id,
                       .keepalive = std::chrono::seconds(5),
                       .reconnect_min = std::chrono::seconds(1),
                       .reconnect_max = std::chrono::seconds(2)};
}

struct Subscriber::State {
  std::string filter;
  mosquitto* client = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Received> received;
  bool subscribed = false;

  static void OnSubscribe(mosquitto*, void* self, int, int, const int*) {
    auto& s = *static_cast<State*>(self);
    std::lock_guard lock(s.mutex);
    s.subscribed = true;
    s.changed.notify_all();
  }

  static void OnConnect(mosquitto* client, void* self, int rc) {
    if (rc == 0) mosquitto_subscribe(client, nullptr, static_cast<State*>(self)->filter.c_str(), 1);
  }
  static void OnMessage(mosquitto*, void* self, const mosquitto_message* m) {
    auto& s = *static_cast<State*>(self);
    std::lock_guard lock(s.mutex);
    s.received.push_back(
        {m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->retain});
    s.changed.notify_all();
  }
};

Subscriber::Subscriber(const Broker& broker, const std::string& filter,
                       const std::string& client_id, bool persistent)
    : state_(std::make_unique<State>()) {
  mosquitto_lib_init();
  state_->filter = filter;
  state_->client = mosquitto_new(client_id.c_str(), !persistent, state_.get());
  mosquitto_username_pw_set(state_->client, "homeassistant", "ha-secret");
  mosquitto_tls_set(state_->client, broker.ca_cert.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_reconnect_delay_set(state_->client, 1, 1, false);
  mosquitto_connect_callback_set(state_->client, &State::OnConnect);
  mosquitto_message_callback_set(state_->client, &State::OnMessage);
  mosquitto_subscribe_callback_set(state_->client, &State::OnSubscribe);
  mosquitto_connect_async(state_->client, broker.host.c_str(), broker.port, 5);
  mosquitto_loop_start(state_->client);
  // Subscribed before the test goes on, so nothing it publishes next can be missed.
  std::unique_lock lock(state_->mutex);
  state_->changed.wait_for(lock, std::chrono::seconds(10), [this] { return state_->subscribed; });
}

Subscriber::~Subscriber() {
  mosquitto_disconnect(state_->client);
  mosquitto_loop_stop(state_->client, false);
  mosquitto_destroy(state_->client);
}

bool Subscriber::WaitFor(const std::function<bool(const std::vector<Received>&)>& done,
                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [&] { return done(state_->received); });
}

std::vector<Received> Subscriber::messages() {
  std::lock_guard lock(state_->mutex);
  return state_->received;
}

std::map<std::string, std::string> Subscriber::Latest() { return LatestOf(messages()); }

std::map<std::string, std::string> LatestOf(const std::vector<Received>& messages) {
  std::map<std::string, std::string> latest;
  for (const auto& m : messages) latest[m.topic] = m.payload;
  return latest;
}

void MemoryLogger::Log(LogLevel level, std::string_view message) {
  std::lock_guard lock(mutex_);
  lines_.push_back(std::string(ToString(level)) + " " + std::string(message));
}

std::vector<std::string> MemoryLogger::lines() {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace blemon::mqtt::testing
