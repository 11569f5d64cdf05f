#pragma once

// The Outbox port: the processor's local, durable queue of messages bound for the outside world
// (MQTT today). It makes "nothing lost, nothing twice" hold for events as the Spool does for
// readings: a message is committed here before anything is sent, leaves only once the receiver
// acknowledged it, and an event id recorded once is never queued again.
//
// One thread at a time (the adapter guards it); failures are Unavailable (the file cannot be
// written: disk full, directory gone) or Refused (a damaged or newer file).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blemon/time.h"

namespace blemon {

// One message to send: where, what, and whether the broker keeps it for late subscribers.
struct OutgoingMessage {
  std::string topic;
  std::string payload;  // UTF-8 text (JSON or a plain state)
  bool retain = false;
  // Set for events: a receiver drops a repeat by it, and the outbox never queues it twice. Empty
  // for state, which is idempotent by nature (a retained latest value).
  std::string event_id;
};

// A queued message with its place in the queue.
struct QueuedMessage {
  std::int64_t seq = 0;  // strictly increasing in queueing order
  OutgoingMessage message;
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  Outbox() = default;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues the messages in their order, atomically and durably (committed before returning).
  // A message whose event_id was queued before — still waiting or already sent — is skipped, so
  // a processor that redoes an interval after a crash queues no event twice. Returns how many
  // were queued.
  virtual int Enqueue(const std::vector<OutgoingMessage>& messages, UtcTime now) = 0;
  // Up to `limit` waiting messages, oldest first.
  virtual std::vector<QueuedMessage> Oldest(std::size_t limit) = 0;
  // Marks every waiting message with seq <= `through` as sent (the receiver acknowledged them).
  virtual void MarkSent(std::int64_t through, UtcTime now) = 0;
  virtual std::int64_t Pending() = 0;
  // Forgets sent messages older than `keep` (their event ids too: an event redone after that
  // long goes out again). Returns how many were forgotten.
  virtual int Forget(Seconds keep, UtcTime now) = 0;
};

}  // namespace blemon
