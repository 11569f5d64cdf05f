#include "blemon/alerts.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace blemon {

std::string IsoUtc(UtcTime t) {
  // gmtime_r, as UtcLabel does: fmt 9 formats a time point in local time.
  const auto seconds = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string AlertSummary(const PresenceEvent& event) {
  switch (event.kind) {
    case PresenceEventKind::kArrive:
      return fmt::format("{} arrived in {}", event.watch_name, event.to_room);
    case PresenceEventKind::kLeave:
      return event.from_room.empty()
                 ? fmt::format("{} left", event.watch_name)
                 : fmt::format("{} left (last in {})", event.watch_name, event.from_room);
    case PresenceEventKind::kRoomChange:
      return fmt::format("{} moved from {} to {}", event.watch_name, event.from_room,
                         event.to_room);
  }
  return event.watch_name;
}

std::string AlertText(const PresenceEvent& event) {
  return fmt::format(
      "{}.\r\n\r\nInterval: {}\r\nDevice: {}\r\nDecided in the interval of {}\r\nEvent id: {}\r\n",
      AlertSummary(event), UtcLabel(event.interval_start), event.device, UtcLabel(event.decided_in),
      event.event_id);
}

std::string EventJson(const PresenceEvent& event) {
  using Json = nlohmann::ordered_json;
  const auto room = [](const std::string& r) { return r.empty() ? Json(nullptr) : Json(r); };
  const Json json = {{"event_id", event.event_id},
                     {"type", ToString(event.kind)},
                     {"name", event.watch_name},
                     {"device", event.device},
                     {"from", room(event.from_room)},
                     {"to", room(event.to_room)},
                     {"interval_start", IsoUtc(event.interval_start)},
                     {"decided_in", IsoUtc(event.decided_in)},
                     {"summary", AlertSummary(event)}};
  return json.dump();
}

AlertMessage MakeAlert(const PresenceEvent& event) {
  return {.event_id = event.event_id,
          .json = EventJson(event),
          .summary = AlertSummary(event),
          .text = AlertText(event)};
}

Seconds RetryDelay(int failed_attempts, Seconds first, Seconds longest) {
  Seconds delay = first;
  for (int i = 1; i < failed_attempts && delay < longest; ++i) delay *= 2;
  return std::min(delay, longest);
}

std::string_view ToString(DeliveryRecord::Outcome outcome) {
  switch (outcome) {
    case DeliveryRecord::Outcome::kDelivered:
      return "delivered";
    case DeliveryRecord::Outcome::kRetrying:
      return "retrying";
    case DeliveryRecord::Outcome::kGivenUp:
      return "given up";
  }
  return "delivered";
}

}  // namespace blemon
