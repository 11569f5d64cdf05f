#include "blemon/presence_runner.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "blemon/errors.h"

namespace blemon {

int PresenceRunner::RunDue(UtcTime latest_due, MonitorId monitor, std::int64_t epoch) {
  int committed = 0;
  try {
    PresenceState state = ports_.store.LoadPresenceState();
    const auto due = ports_.store.PresenceDueIntervals(state.through, latest_due);
    if (due.empty()) return 0;
    const auto watch = ports_.store.WatchList();
    for (const UtcTime interval : due) {
      const auto sightings = ports_.store.IntervalSightings(interval);
      PresenceStep step =
          AdvancePresence(settings_, interval_length_, watch, state, interval, sightings);
      if (!ports_.store.CommitPresence(step, monitor, epoch)) {
        // Another processor ran it first: start again from what it stored next cycle.
        ports_.log.Log(LogLevel::kWarning,
                       fmt::format("Presence for interval {} was stored by another processor",
                                   UtcLabel(interval)));
        break;
      }
      ++committed;
      ran_since_publish_ = true;
      for (const auto& event : step.events) {
        ports_.log.Log(
            LogLevel::kInfo,
            fmt::format("Presence: {} {} ({} -> {}) at {}", event.watch_name, ToString(event.kind),
                        event.from_room, event.to_room, UtcLabel(event.interval_start)));
      }
      state = std::move(step.state);
    }
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Database unavailable, presence resumes next cycle: {}", e.what()));
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("The database refused presence, retried next cycle: {}", e.what()));
  }
  return committed;
}

int PresenceRunner::Publish() {
  if (ports_.publisher == nullptr) return 0;
  try {
    int published = 0;
    for (;;) {
      const auto events = ports_.store.UnpublishedEvents(kPublishBatch);
      if (events.empty() && !ran_since_publish_) return published;
      const auto snapshot = ports_.store.LatestSnapshot();
      if (!snapshot) return published;
      ports_.publisher->Publish(*snapshot, events);
      ran_since_publish_ = false;
      std::vector<std::string> ids;
      for (const auto& event : events) ids.push_back(event.event_id);
      ports_.store.MarkPublished(ids);
      published += static_cast<int>(ids.size());
      if (static_cast<int>(events.size()) < kPublishBatch) return published;
    }
  } catch (const Unavailable& e) {
    ports_.log.Log(LogLevel::kWarning,
                   fmt::format("Presence not published, retried next cycle: {}", e.what()));
  } catch (const Refused& e) {
    ports_.log.Log(LogLevel::kError,
                   fmt::format("Presence publishing refused, retried next cycle: {}", e.what()));
  }
  return 0;
}

}  // namespace blemon
