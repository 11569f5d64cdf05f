#include "blemon/presence.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <utility>

#include "blemon/presence_store.h"

namespace blemon {
namespace {

constexpr std::array<std::pair<WatchTargetKind, std::string_view>, 2> kTargetKindNames{{
    {WatchTargetKind::kMac, "mac"},
    {WatchTargetKind::kIdentity, "identity"},
}};

constexpr std::array<std::pair<PresenceEventKind, std::string_view>, 3> kEventKindNames{{
    {PresenceEventKind::kArrive, "arrive"},
    {PresenceEventKind::kLeave, "leave"},
    {PresenceEventKind::kRoomChange, "room_change"},
}};

template <typename Enum, std::size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return names.front().second;
}

template <typename Enum, std::size_t N>
std::optional<Enum> ValueOf(const std::array<std::pair<Enum, std::string_view>, N>& names,
                            std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(WatchTargetKind kind) { return NameOf(kTargetKindNames, kind); }

std::optional<WatchTargetKind> WatchTargetKindFromString(std::string_view text) {
  return ValueOf(kTargetKindNames, text);
}

std::string_view ToString(PresenceEventKind kind) { return NameOf(kEventKindNames, kind); }

std::optional<PresenceEventKind> PresenceEventKindFromString(std::string_view text) {
  return ValueOf(kEventKindNames, text);
}

std::string PresenceEventId(std::string_view device, UtcTime interval_start,
                            PresenceEventKind kind) {
  return fmt::format("{}/{}/{}", device, interval_start.time_since_epoch().count(), ToString(kind));
}

namespace {

// Where the watch entry's device was seen in the interval, if it was: by its MAC, or by any
// address resolved to its identity (the strongest claim is not ours to make: the first one in MAC
// order, so the answer does not depend on the input's order).
const PresenceSighting* FindWatched(const WatchEntry& entry,
                                    std::span<const PresenceSighting> sightings) {
  const PresenceSighting* found = nullptr;
  for (const auto& sighting : sightings) {
    const bool match = entry.kind == WatchTargetKind::kMac
                           ? sighting.mac == entry.target
                           : sighting.identity && *sighting.identity == entry.target;
    if (match && (found == nullptr || sighting.mac < found->mac)) found = &sighting;
  }
  return found;
}

PresenceEvent MakeEvent(const WatchEntry& entry, UtcTime at, PresenceEventKind kind,
                        std::string from_room, std::string to_room, UtcTime decided_in) {
  return PresenceEvent{.event_id = PresenceEventId(entry.target, at, kind),
                       .watch_name = entry.name,
                       .device = entry.target,
                       .interval_start = at,
                       .kind = kind,
                       .from_room = std::move(from_room),
                       .to_room = std::move(to_room),
                       .decided_in = decided_in};
}

// The state of `entry` before the interval: its stored one, or away and never seen when it is new
// (or now follows another device).
WatchedState PreviousOf(const WatchEntry& entry, const PresenceState& previous) {
  for (const auto& state : previous.watched) {
    if (state.name == entry.name && state.device == entry.target) return state;
  }
  WatchedState fresh;
  fresh.name = entry.name;
  fresh.device = entry.target;
  return fresh;
}

// One watch entry through one interval: appends its events, returns its new state.
WatchedState AdvanceOne(const PresenceSettings& settings, Seconds interval_length,
                        const WatchEntry& entry, WatchedState state, UtcTime interval,
                        const PresenceSighting* seen, std::vector<PresenceEvent>& events) {
  if (state.home && state.last_seen) {
    const auto unseen = (interval - *state.last_seen) / interval_length - (seen ? 1 : 0);
    if (unseen >= settings.away_after_intervals) {
      events.push_back(MakeEvent(entry, *state.last_seen + interval_length,
                                 PresenceEventKind::kLeave, state.room, "", interval));
      state.home = false;
    }
  }
  if (seen == nullptr) return state;
  if (!state.home) {
    events.push_back(
        MakeEvent(entry, interval, PresenceEventKind::kArrive, "", seen->room, interval));
  } else if (state.room != seen->room) {
    events.push_back(MakeEvent(entry, interval, PresenceEventKind::kRoomChange, state.room,
                               seen->room, interval));
  }
  state.home = true;
  state.room = seen->room;
  state.last_seen = interval;
  return state;
}

std::vector<RoomOccupancy> OccupancyOf(std::span<const PresenceSighting> sightings) {
  std::map<std::string, RoomOccupancy> rooms;
  for (const auto& sighting : sightings) {
    RoomOccupancy& room = rooms[sighting.room];
    room.room = sighting.room;
    ++room.devices;
    ++room.by_class[sighting.device_class];
  }
  std::vector<RoomOccupancy> result;
  for (auto& [name, room] : rooms) result.push_back(std::move(room));
  return result;
}

int KindOrder(PresenceEventKind kind) {
  return kind == PresenceEventKind::kLeave ? 0 : kind == PresenceEventKind::kArrive ? 1 : 2;
}

}  // namespace

bool EventBefore(const PresenceEvent& a, const PresenceEvent& b) {
  return std::tuple(a.interval_start, a.watch_name, KindOrder(a.kind)) <
         std::tuple(b.interval_start, b.watch_name, KindOrder(b.kind));
}

PresenceStep AdvancePresence(const PresenceSettings& settings, Seconds interval_length,
                             std::span<const WatchEntry> watch, const PresenceState& previous,
                             UtcTime interval, std::span<const PresenceSighting> sightings) {
  std::vector<WatchEntry> entries(watch.begin(), watch.end());
  std::ranges::sort(entries, {}, &WatchEntry::name);
  PresenceStep step;
  step.state.through = interval;
  for (const auto& entry : entries) {
    step.state.watched.push_back(AdvanceOne(settings, interval_length, entry,
                                            PreviousOf(entry, previous), interval,
                                            FindWatched(entry, sightings), step.events));
  }
  std::ranges::stable_sort(step.events, EventBefore);
  step.snapshot = PresenceSnapshot{
      .interval_start = interval, .watched = step.state.watched, .rooms = OccupancyOf(sightings)};
  return step;
}

std::vector<Visit> VisitsOf(std::span<const PresenceEvent> events, UtcTime open_until) {
  std::map<std::string, std::vector<const PresenceEvent*>> by_watch;
  for (const auto& event : events) by_watch[event.watch_name].push_back(&event);
  std::vector<Visit> visits;
  for (const auto& [name, own] : by_watch) {
    std::optional<Visit> current;
    for (const PresenceEvent* event : own) {
      if (current) {
        current->end = event->interval_start;
        current->open = false;
        visits.push_back(*current);
        current.reset();
      }
      if (event->kind != PresenceEventKind::kLeave) {
        current = Visit{.watch_name = name,
                        .room = event->to_room,
                        .start = event->interval_start,
                        .end = open_until,
                        .open = true};
      }
    }
    if (current) visits.push_back(*current);
  }
  for (auto& visit : visits) {
    if (!visit.open) continue;
    visit.end = std::max(visit.start, open_until);
  }
  return visits;
}

std::vector<DwellRow> DwellOf(std::span<const Visit> visits) {
  std::map<std::pair<std::string, std::string>, DwellRow> rows;
  for (const auto& visit : visits) {
    DwellRow& row = rows[{visit.watch_name, visit.room}];
    row.watch_name = visit.watch_name;
    row.room = visit.room;
    ++row.visits;
    row.dwell += visit.end - visit.start;
    row.longest = std::max(row.longest, Seconds(visit.end - visit.start));
  }
  std::vector<DwellRow> result;
  for (auto& [key, row] : rows) result.push_back(std::move(row));
  return result;
}

PresenceSnapshot SnapshotOf(PresenceState state, std::span<const OccupancyRow> rows) {
  PresenceSnapshot snapshot;
  snapshot.interval_start = state.through.value_or(UtcTime{});
  snapshot.watched = std::move(state.watched);
  std::map<std::string, RoomOccupancy> rooms;
  for (const auto& row : rows) {
    RoomOccupancy& room = rooms[row.room];
    room.room = row.room;
    room.devices += row.devices;
    room.by_class[row.device_class] += row.devices;
  }
  for (auto& [name, room] : rooms) snapshot.rooms.push_back(std::move(room));
  return snapshot;
}
}  // namespace blemon
