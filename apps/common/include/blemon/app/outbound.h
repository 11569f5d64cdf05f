#pragma once

// What leaves the processor besides the database (docs/mqtt.md, docs/alerts.md): presence over
// MQTT for Home Assistant ([mqtt]) and alerts by webhook and e-mail ([alerts]), both through
// durable queues in the state directory (mqtt-outbox.db, alerts-webhook.db, alerts-email.db; the
// alert delivery log is in the central store). The processor hands presence to publisher(); the
// rest happens on the adapters' own threads.

#include <memory>
#include <string>

#include "blemon/app/config_file.h"
#include "blemon/ports.h"

namespace blemon::app {

class Outbound {
 public:
  // Null when the configuration has neither [mqtt] nor [alerts]. Throws ConfigError for a secret
  // file that cannot be read or holds an unknown key, Refused for MQTT options the client library
  // rejects, Unavailable when the state directory cannot hold the queues.
  static std::unique_ptr<Outbound> Open(const LoadedConfig& loaded,
                                        const std::string& state_directory, Logger& log);
  virtual ~Outbound() = default;

  // The Publisher port: Home Assistant state, events and monitor status over MQTT, and the events
  // the [alerts] section asks for queued for webhook and e-mail.
  virtual Publisher& publisher() = 0;
  // One line for the start-up log: where things go (never credentials).
  virtual std::string Describe() const = 0;
};

}  // namespace blemon::app
