#include "blemon/app/outbound.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "blemon/alerts.h"
#include "blemon/app/backends.h"
#include "blemon/mqtt/home_assistant_publisher.h"
#include "blemon/mqtt/mqtt_publisher.h"
#include "blemon/notify/alert_dispatcher.h"
#include "blemon/notify/notifiers.h"
#include "blemon/reopening_store.h"
#include "blemon/sqlite/sqlite_outbox.h"

namespace blemon::app {
namespace {

[[noreturn]] void Refuse(const LoadedConfig& loaded, std::string_view key, int line,
                         const std::string& problem) {
  throw ConfigError(loaded.source, line > 0 ? line : loaded.config.LineOf(key), std::string(key),
                    problem);
}

std::string FirstLine(const LoadedConfig& loaded, std::string_view key, const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    Refuse(loaded, key, 0, fmt::format("{} holds no password on its first line", path));
  }
  return line;
}

struct AlertCredentials {
  std::string smtp_username;
  std::string smtp_password;
  std::string webhook_token;
};

// KEY=value lines; '#' starts a comment line. An unknown key names the credentials file's line.
AlertCredentials ReadCredentials(const LoadedConfig& loaded, const std::string& path) {
  AlertCredentials c;
  if (path.empty()) return c;
  std::ifstream in(path);
  if (!in) Refuse(loaded, "alerts.credentials_file", 0, fmt::format("cannot read {}", path));
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    const std::string key = line.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : line.substr(eq + 1);
    if (key == "smtp_username") {
      c.smtp_username = value;
    } else if (key == "smtp_password") {
      c.smtp_password = value;
    } else if (key == "webhook_token") {
      c.webhook_token = value;
    } else {
      throw ConfigError(path, number, key,
                        "is not a known credential (known: smtp_username, smtp_password, "
                        "webhook_token)");
    }
  }
  return c;
}

std::string Version() { return BLEMON_VERSION; }

// The monitors' status sensors from the store's view of the fleet; empty when it cannot be read.
std::vector<mqtt::MonitorState> FleetStatus(ReportStore& store) {
  const DashboardSnapshot fleet = store.Snapshot(0, 0);
  std::vector<mqtt::MonitorState> monitors;
  const Seconds interval = fleet.fleet_interval.value_or(Seconds(300));
  for (const auto& m : fleet.monitors) {
    monitors.push_back(
        {.name = m.monitor_name,
         .status = mqtt::StatusOf(m.is_active, m.last_seen, fleet.store_now, interval)});
  }
  return monitors;
}

class FanOut final : public Outbound, public Publisher {
 public:
  FanOut(const LoadedConfig& loaded, const std::string& state_directory, Logger& log)
      : config_(loaded.config), log_(log) {
    if (config_.mqtt.configured) OpenMqtt(loaded, state_directory);
    if (config_.alerts.configured) OpenAlerts(loaded, state_directory);
  }

  Publisher& publisher() override { return *this; }

  std::string Describe() const override {
    std::vector<std::string> parts;
    if (mqtt_) {
      parts.push_back(fmt::format("MQTT {}:{} ({}, topics {}/, discovery {}/)", config_.mqtt.host,
                                  config_.mqtt.port, config_.mqtt.tls ? "TLS" : "no TLS",
                                  config_.mqtt.base_topic, config_.mqtt.discovery_prefix));
    }
    if (!config_.alerts.webhook_url.empty())
      parts.push_back("webhook " + config_.alerts.webhook_url);
    if (!config_.alerts.smtp_url.empty()) parts.push_back("e-mail via " + config_.alerts.smtp_url);
    return parts.empty() ? "nothing" : fmt::format("{}", fmt::join(parts, ", "));
  }

  // Home Assistant first (state, events, monitors), then the alerts: a failure throws before
  // anything is marked published, and each queue skips what it had already.
  void Publish(const PresenceSnapshot& snapshot, std::span<const PresenceEvent> events) override {
    if (home_assistant_) {
      home_assistant_->Publish(snapshot, events);
      PublishMonitors();
    }
    if (alerts_) {
      std::vector<PresenceEvent> wanted;
      for (const auto& e : events) {
        const auto& kinds = config_.alerts.events;
        if (std::find(kinds.begin(), kinds.end(), ToString(e.kind)) != kinds.end()) {
          wanted.push_back(e);
        }
      }
      alerts_->Enqueue(wanted);
    }
  }

 private:
  void OpenMqtt(const LoadedConfig& loaded, const std::string& state_directory) {
    const MqttSettings& m = config_.mqtt;
    mqtt::BrokerOptions broker{
        .host = m.host,
        .port = m.port,
        .tls = m.tls,
        .ca_file = m.ca_file,
        .username = m.username,
        .password =
            m.password_file.empty() ? "" : FirstLine(loaded, "mqtt.password_file", m.password_file),
        .client_id = m.client_id.empty() ? "blemon-" + config_.monitor.name : m.client_id,
        .keepalive = m.keepalive,
        .reconnect_min = Seconds(1),
        .reconnect_max = m.reconnect_max};
    mqtt_ = std::make_unique<mqtt::MqttPublisher>(
        broker,
        mqtt::TopicNames{
            .discovery_prefix = m.discovery_prefix, .base = m.base_topic, .sw_version = Version()},
        sqlite::OpenOutbox(state_directory + "/mqtt-outbox.db"), log_);
    home_assistant_ = std::make_unique<mqtt::HomeAssistantPublisher>(*mqtt_);
  }

  void OpenAlerts(const LoadedConfig& loaded, const std::string& state_directory) {
    const AlertSettings& a = config_.alerts;
    const AlertCredentials credentials = ReadCredentials(loaded, a.credentials_file);
    std::vector<notify::Channel> channels;
    if (!a.webhook_url.empty()) {
      channels.push_back({notify::MakeWebhookNotifier({.url = a.webhook_url,
                                                       .bearer_token = credentials.webhook_token,
                                                       .ca_file = a.ca_file}),
                          sqlite::OpenOutbox(state_directory + "/alerts-webhook.db")});
    }
    if (!a.smtp_url.empty()) {
      channels.push_back({notify::MakeEmailNotifier({.url = a.smtp_url,
                                                     .from = a.smtp_from,
                                                     .to = a.smtp_to,
                                                     .username = credentials.smtp_username,
                                                     .password = credentials.smtp_password,
                                                     .ca_file = a.ca_file}),
                          sqlite::OpenOutbox(state_directory + "/alerts-email.db")});
    }
    if (channels.empty()) return;  // MQTT carries the events; nothing else asked for
    // Opened on first use: on a first start the monitor creates the schema after this.
    delivery_log_ = std::make_unique<ReopeningDeliveryLog>(
        [&database = config_.database] { return OpenDeliveryLog(database); });
    alerts_ = std::make_unique<notify::AlertDispatcher>(
        std::move(channels),
        notify::RetryPolicy{
            .first = a.retry_first, .longest = a.retry_max, .max_attempts = a.max_attempts},
        *delivery_log_, log_, config_.monitor.name);
  }

  void PublishMonitors() {
    try {
      if (!fleet_) fleet_ = OpenReportStore(config_.database);
      home_assistant_->PublishMonitors(FleetStatus(*fleet_));
    } catch (const std::exception& e) {
      fleet_.reset();  // reopened next time
      log_.Log(LogLevel::kWarning,
               fmt::format("Monitor status not published this time: {}", e.what()));
    }
  }

  Config config_;
  Logger& log_;
  std::unique_ptr<mqtt::MqttPublisher> mqtt_;
  std::unique_ptr<mqtt::HomeAssistantPublisher> home_assistant_;
  std::unique_ptr<DeliveryLog> delivery_log_;
  std::unique_ptr<notify::AlertDispatcher> alerts_;  // after the log: stopped before it goes
  std::unique_ptr<ReportStore> fleet_;
};

}  // namespace

std::unique_ptr<Outbound> Outbound::Open(const LoadedConfig& loaded,
                                         const std::string& state_directory, Logger& log) {
  if (!loaded.config.mqtt.configured && !loaded.config.alerts.configured) return nullptr;
  return std::make_unique<FanOut>(loaded, state_directory, log);
}

}  // namespace blemon::app
