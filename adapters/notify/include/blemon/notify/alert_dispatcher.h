#pragma once

// Delivers alerts on each configured channel (webhook, e-mail) from a durable queue of its own,
// one thread per channel, oldest first, retrying with backoff: an alert a receiver refuses for
// now (HTTP 500, a mail server's 4xx, no connection) is tried again after RetryDelay, and the
// alerts behind it wait, so a receiver sees them in order. Every try goes to the DeliveryLog,
// which lives in the central store: a processor that takes over sends what is still owed and
// nothing that was delivered.

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "blemon/alerts.h"
#include "blemon/outbox.h"
#include "blemon/ports.h"
#include "blemon/presence.h"

namespace blemon::notify {

struct RetryPolicy {
  Seconds first{30};      // the wait after the first failed try; doubles after each
  Seconds longest{3600};  // the longest wait
  int max_attempts = 10;  // then the alert is given up (logged)
};

struct Channel {
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<Outbox> queue;  // its own file: one channel's backlog never blocks another's
};

class AlertDispatcher {
 public:
  // `log` (the central delivery log) and `logger` must outlive the dispatcher; the threads start
  // here. `sent_by` names this processor in the log.
  AlertDispatcher(std::vector<Channel> channels, RetryPolicy policy, DeliveryLog& log,
                  Logger& logger, std::string sent_by = "");
  // Stops the threads after the try in progress; what waits stays queued for the next start.
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Records each event's alert as owed on every channel in the central log (DeliveryLog::Owe),
  // then queues every alert the log still owes on the channel (these and any a processor before
  // this one left undelivered) in the channel's local queue, durably (an id queued before is
  // skipped), and wakes the threads. A thread never tries an alert the log says is delivered or
  // given up, and counts tries over every processor. Throws Unavailable when the log or a queue
  // cannot be written. Called by the processor only (it holds the lease).
  void Enqueue(std::span<const PresenceEvent> events);
  // Waits until every queue is empty or `timeout` passed; returns whether they are.
  bool Flush(std::chrono::milliseconds timeout);

 private:
  struct Worker;
  DeliveryLog& log_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace blemon::notify
