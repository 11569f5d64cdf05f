#pragma once

// Alerts: per watch entry, on arrive, leave or room change, a message to people — MQTT always
// (the event itself, adapters/mqtt), plus a webhook (HTTP POST of JSON) and e-mail when
// configured (adapters/notify). Here: the words and the JSON of an alert, the retry schedule, and
// the Notifier and DeliveryLog ports. docs/alerts.md is the user's side.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/presence.h"
#include "blemon/time.h"

namespace blemon {

// The event as JSON, the one shape MQTT consumers and webhook receivers get:
//   {"event_id", "type": "arrive"|"leave"|"room_change", "name": watch name, "device",
//    "from", "to" (a room, or null), "interval_start", "decided_in" (ISO 8601 UTC, "Z"),
//    "summary": AlertSummary(event)}
std::string EventJson(const PresenceEvent& event);

// "alice-phone arrived in Kitchen", "alice-phone left (last in Kitchen)", "alice-phone moved
// from Kitchen to Hall": the e-mail's subject and the JSON's summary.
std::string AlertSummary(const PresenceEvent& event);
// The e-mail's plain-text body: the summary, when, which device, the event id.
std::string AlertText(const PresenceEvent& event);

// "2026-02-25T06:13:20Z".
std::string IsoUtc(UtcTime t);

// When to try again after `failed_attempts` failed tries: `first`, doubling each time, at most
// `longest`.
Seconds RetryDelay(int failed_attempts, Seconds first, Seconds longest);

// An alert as queued for one channel.
struct AlertMessage {
  std::string event_id;
  std::string json;  // EventJson
  std::string summary;
  std::string text;
};
AlertMessage MakeAlert(const PresenceEvent& event);

// One way of telling people (a webhook, e-mail). Used from the dispatcher's thread only.
class Notifier {
 public:
  virtual ~Notifier() = default;
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  virtual std::string_view channel() const = 0;  // "webhook", "email"
  // Where it goes, for the log: the URL or the recipients, never credentials.
  virtual std::string target() const = 0;
  // Delivers one alert. Throws Unavailable when a later try may work (no connection, timeout,
  // HTTP 408, 429 or 5xx, SMTP 4xx) and Refused when it will not (HTTP 4xx, SMTP 5xx, refused
  // credentials): the dispatcher gives such an alert up at once.
  virtual void Deliver(const AlertMessage& alert) = 0;
};

// One try of one alert on one channel: what `blemon-admin alerts` shows.
struct DeliveryRecord {
  UtcTime at;
  std::string channel;
  std::string target;
  std::string event_id;
  int attempt = 1;  // counted over every processor that tried it
  enum class Outcome { kDelivered, kRetrying, kGivenUp } outcome = Outcome::kDelivered;
  std::string detail;   // the error, or "" when delivered
  std::string sent_by;  // the monitor (processor) that tried
};
std::string_view ToString(DeliveryRecord::Outcome outcome);  // "delivered", "retrying", "given up"

// What the log knows of one alert on one channel.
struct DeliveryState {
  int attempts = 0;       // tries so far, by every processor
  bool finished = false;  // delivered or given up: nobody tries it again
  friend bool operator==(const DeliveryState&, const DeliveryState&) = default;
};

// The alert delivery log, kept in the central store (tables alert_deliveries and
// alert_delivery_tries, schema version 14) so that whoever holds the processor lease knows, per
// (event id, channel), what was delivered. Methods throw Unavailable when the store cannot be
// reached and Refused when it is below version 14.
class DeliveryLog {
 public:
  virtual ~DeliveryLog() = default;
  DeliveryLog() = default;
  DeliveryLog(const DeliveryLog&) = delete;
  DeliveryLog& operator=(const DeliveryLog&) = delete;

  // Records that `alerts` are owed on `channel` (in one transaction): before their events are
  // marked published, so a processor that takes over sends them. An (event id, channel) known
  // already is left as it is, whatever its state.
  virtual void Owe(std::string_view channel, std::span<const AlertMessage> alerts) = 0;
  // The alerts still owed on `channel` (neither delivered nor given up), oldest first, at most
  // `limit`.
  virtual std::vector<AlertMessage> Owed(std::string_view channel, int limit) = 0;
  // The state of one alert on one channel; attempts 0 and not finished when unknown.
  virtual DeliveryState StateOf(std::string_view event_id, std::string_view channel) = 0;
  // Records one try and moves the alert's state (attempts; finished when delivered or given
  // up); forgets tries older than 90 days.
  virtual void Record(const DeliveryRecord& record) = 0;
  // The newest `limit` tries, newest first.
  virtual std::vector<DeliveryRecord> Recent(int limit) = 0;
};

}  // namespace blemon
