#pragma once

// The processor's presence step, run by the monitor cycle after it processed intervals: the engine
// (blemon/presence.h) over each processed interval presence has not seen yet, each result stored
// in one fenced transaction (PresenceStore::CommitPresence), then the stored, unpublished events
// handed to the Publisher oldest first and marked published once it took them.
//
// Why this order makes failover safe: events are stored before anyone sends them, keyed by
// (device, interval, kind), and the state and its events commit together or not at all. A
// processor killed after processing but before publishing leaves its events unpublished in the
// store; whoever holds the lease next sends them on its first cycle. A processor killed after
// presence but before processing never happens (presence only runs on processed intervals).
// What the store cannot promise is the moment between the publisher's success and the mark: a
// kill there sends those events again (same event_id), so consumers deduplicate on event_id.

#include <cstdint>

#include "blemon/ports.h"
#include "blemon/presence.h"
#include "blemon/presence_store.h"

namespace blemon {

class PresenceRunner {
 public:
  struct Ports {
    PresenceStore& store;
    Publisher* publisher;  // null: events are stored and wait, unpublished, for one
    Logger& log;
  };

  // At most this many events go to the publisher in one call.
  static constexpr int kPublishBatch = 500;

  PresenceRunner(const PresenceSettings& settings, Seconds interval_length, Ports ports)
      : settings_(settings), interval_length_(interval_length), ports_(ports) {}

  // Runs presence for each processed interval up to `latest_due` it has not run for, oldest
  // first, committing each under (monitor, epoch); returns how many it committed. Throws
  // LeaseLost (the caller steps down); Unavailable and Refused are logged and end the step (the
  // same intervals are tried next cycle).
  int RunDue(UtcTime latest_due, MonitorId monitor, std::int64_t epoch);
  // Sends what the store holds unpublished (and the latest snapshot) when there is a publisher
  // and, since the last call, either events are waiting or presence ran; returns the events
  // marked published. Failures are logged: the events stay for the next cycle.
  int Publish();

 private:
  PresenceSettings settings_;
  Seconds interval_length_;
  Ports ports_;
  bool ran_since_publish_ = false;
};

}  // namespace blemon
