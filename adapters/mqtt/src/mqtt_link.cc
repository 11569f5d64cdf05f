#include "mqtt_link.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "blemon/errors.h"

namespace blemon::mqtt::internal {
namespace {

constexpr int kQos = 1;

// libmosquitto's library-wide set-up, once per process.
void InitLibraryOnce() {
  static const int once = [] { return mosquitto_lib_init(); }();
  (void)once;
}

std::string Explain(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return fmt::format("{} (errno)", mosquitto_strerror(rc));
  return mosquitto_strerror(rc);
}

}  // namespace

// Shared with libmosquitto's network thread through its callbacks; every field behind `mutex`.
struct MqttLink::State {
  LinkOptions options;
  Logger& log;
  mosquitto* client = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  bool connected = false;
  int connections = 0;
  std::string last_problem;    // logged once per change, not on every retry
  std::set<int> acknowledged;  // message ids the broker acknowledged, not yet collected
  int availability_mid = -1;   // the "online" message's id: not one PublishAll waits for

  State(LinkOptions o, Logger& l) : options(std::move(o)), log(l) {}

  void Note(LogLevel level, const std::string& problem) {
    if (problem == last_problem) return;
    last_problem = problem;
    log.Log(level, problem);
  }

  static void OnConnect(mosquitto* client, void* self, int rc) {
    auto& s = *static_cast<State*>(self);
    if (rc != 0) {
      std::lock_guard lock(s.mutex);
      s.Note(LogLevel::kError,
             fmt::format("MQTT broker {}:{} refused the connection: {}", s.options.host,
                         s.options.port, mosquitto_connack_string(rc)));
      return;
    }
    std::lock_guard lock(s.mutex);
    // Before anyone is told we are connected, so "online" precedes every state message.
    s.acknowledged.clear();
    mosquitto_publish(client, &s.availability_mid, s.options.availability_topic.c_str(),
                      static_cast<int>(std::char_traits<char>::length(kOnline)), kOnline, kQos,
                      true);
    s.connected = true;
    ++s.connections;
    s.Note(LogLevel::kInfo, fmt::format("MQTT connected to {}:{}", s.options.host, s.options.port));
    s.changed.notify_all();
  }

  static void OnDisconnect(mosquitto*, void* self, int rc) {
    auto& s = *static_cast<State*>(self);
    std::lock_guard lock(s.mutex);
    s.connected = false;
    if (rc != 0) {
      s.Note(LogLevel::kWarning,
             fmt::format("MQTT connection to {}:{} lost ({}); reconnecting with backoff",
                         s.options.host, s.options.port, Explain(rc)));
    }
    s.changed.notify_all();
  }

  static void OnPublish(mosquitto*, void* self, int mid) {
    auto& s = *static_cast<State*>(self);
    std::lock_guard lock(s.mutex);
    if (mid != s.availability_mid) s.acknowledged.insert(mid);
    s.changed.notify_all();
  }
};

MqttLink::MqttLink(LinkOptions options, Logger& log)
    : state_(std::make_unique<State>(std::move(options), log)) {
  InitLibraryOnce();
  State& s = *state_;
  s.client = mosquitto_new(s.options.client_id.c_str(), /*clean_session=*/true, &s);
  if (s.client == nullptr) throw Unavailable("MQTT: cannot create a client (out of memory)");
  const auto fail = [&s](const std::string& what, int rc) {
    mosquitto_destroy(s.client);
    throw Refused(fmt::format("MQTT {}: {}", what, Explain(rc)));
  };
  int rc = mosquitto_int_option(s.client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (rc == MOSQ_ERR_SUCCESS && !s.options.username.empty()) {
    rc =
        mosquitto_username_pw_set(s.client, s.options.username.c_str(), s.options.password.c_str());
  }
  if (rc != MOSQ_ERR_SUCCESS) fail("options", rc);
  if (s.options.tls) {
    const char* ca_file = s.options.ca_file.empty() ? nullptr : s.options.ca_file.c_str();
    const char* ca_path = ca_file == nullptr ? "/etc/ssl/certs" : nullptr;
    rc = mosquitto_tls_set(s.client, ca_file, ca_path, nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) fail(fmt::format("TLS with CA {}", s.options.ca_file), rc);
    rc = mosquitto_tls_opts_set(s.client, /*cert_reqs=SSL_VERIFY_PEER*/ 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) fail("TLS options", rc);
  }
  rc = mosquitto_will_set(s.client, s.options.availability_topic.c_str(),
                          static_cast<int>(std::char_traits<char>::length(kOffline)), kOffline,
                          kQos, true);
  if (rc != MOSQ_ERR_SUCCESS) fail("last will", rc);
  mosquitto_reconnect_delay_set(s.client, static_cast<unsigned>(s.options.reconnect_min.count()),
                                static_cast<unsigned>(s.options.reconnect_max.count()), true);
  mosquitto_connect_callback_set(s.client, &State::OnConnect);
  mosquitto_disconnect_callback_set(s.client, &State::OnDisconnect);
  mosquitto_publish_callback_set(s.client, &State::OnPublish);
  rc = mosquitto_connect_async(s.client, s.options.host.c_str(), s.options.port,
                               static_cast<int>(s.options.keepalive.count()));
  if (rc != MOSQ_ERR_SUCCESS) {
    // Not fatal: the network thread retries with backoff.
    std::lock_guard lock(s.mutex);
    s.Note(LogLevel::kWarning, fmt::format("MQTT broker {}:{} not reachable yet: {}",
                                           s.options.host, s.options.port, Explain(rc)));
  }
  rc = mosquitto_loop_start(s.client);
  if (rc != MOSQ_ERR_SUCCESS) fail("network thread", rc);
}

MqttLink::~MqttLink() {
  State& s = *state_;
  if (connected()) {
    // A clean disconnect suppresses the will, so say "offline" ourselves, and wait for it.
    int mid = 0;
    if (mosquitto_publish(s.client, &mid, s.options.availability_topic.c_str(),
                          static_cast<int>(std::char_traits<char>::length(kOffline)), kOffline,
                          kQos, true) == MOSQ_ERR_SUCCESS) {
      std::unique_lock lock(s.mutex);
      s.changed.wait_for(lock, std::chrono::seconds(2),
                         [&] { return s.acknowledged.count(mid) > 0 || !s.connected; });
    }
  }
  mosquitto_disconnect(s.client);
  mosquitto_loop_stop(s.client, /*force=*/false);
  mosquitto_destroy(s.client);
}

bool MqttLink::connected() const {
  std::lock_guard lock(state_->mutex);
  return state_->connected;
}

int MqttLink::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

bool MqttLink::WaitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [this] { return state_->connected; });
}

std::size_t MqttLink::PublishAll(const std::vector<QueuedMessage>& messages,
                                 std::chrono::milliseconds timeout) {
  State& s = *state_;
  std::vector<int> ids;
  ids.reserve(messages.size());
  for (const auto& queued : messages) {
    if (!connected()) break;
    const auto& m = queued.message;
    int mid = 0;
    const int rc =
        mosquitto_publish(s.client, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()),
                          m.payload.data(), kQos, m.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::lock_guard lock(s.mutex);
      s.Note(LogLevel::kWarning,
             fmt::format("MQTT publish to {} failed: {}", m.topic, Explain(rc)));
      break;
    }
    ids.push_back(mid);
  }
  // Count the acknowledged prefix; wait while the rest may still come.
  std::unique_lock lock(s.mutex);
  std::size_t acked = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (; acked < ids.size(); ++acked) {
    if (!s.changed.wait_until(
            lock, deadline, [&] { return s.acknowledged.count(ids[acked]) > 0 || !s.connected; }) ||
        s.acknowledged.count(ids[acked]) == 0) {
      break;
    }
  }
  for (int id : ids) s.acknowledged.erase(id);
  return acked;
}

}  // namespace blemon::mqtt::internal
