#pragma once

// The Notifier port (blemon/alerts.h) over libcurl: a webhook (HTTP POST of the event's JSON)
// and e-mail (SMTP, STARTTLS required, or SMTPS). All libcurl calls stay in this folder.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "blemon/alerts.h"

namespace blemon::notify {

struct WebhookOptions {
  std::string url;           // http:// or https://
  std::string bearer_token;  // empty: no Authorization header
  std::string ca_file;       // empty: the system's trust store
  std::chrono::seconds timeout{10};
};

// POSTs AlertMessage::json with Content-Type application/json and the event id in the
// Idempotency-Key header (a receiver drops a repeat by it). 2xx is delivered; 408, 429, 5xx and
// network errors throw Unavailable; other answers throw Refused.
std::unique_ptr<Notifier> MakeWebhookNotifier(WebhookOptions options);

struct EmailOptions {
  // smtp://host:port (STARTTLS, which is required: the message never goes in clear) or
  // smtps://host:port (TLS from the start).
  std::string url;
  std::string from;
  std::vector<std::string> to;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string ca_file;  // empty: the system's trust store
  std::chrono::seconds timeout{30};
};

// Sends a plain-text UTF-8 mail: Subject the alert's summary, body AlertText, Message-ID derived
// from the event id. SMTP 4xx and network errors throw Unavailable; 5xx and refused credentials
// throw Refused.
std::unique_ptr<Notifier> MakeEmailNotifier(EmailOptions options);

}  // namespace blemon::notify
