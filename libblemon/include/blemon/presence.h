#pragma once

// Presence: which watched devices are home, in which room, and when they arrive, leave or move;
// how many devices each room holds. The processor runs the engine after each processed interval
// and hands its output to the Publisher port (blemon/ports.h). The types here are the engine's
// output, the shapes the store keeps and the publisher sends.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blemon/time.h"

namespace blemon {

// --- The watch list -----------------------------------------------------------------------------

// What a watch entry follows: one address, or an identity (a device resolved across its rotating
// addresses, see the identities table).
enum class WatchTargetKind { kMac, kIdentity };
std::string_view ToString(WatchTargetKind kind);  // "mac", "identity"
std::optional<WatchTargetKind> WatchTargetKindFromString(std::string_view text);

// One entry of the watch list (table watch_list). Both `name` and (kind, target) are unique.
struct WatchEntry {
  std::string name;  // the user's label, 1..64 characters: "alice-phone"
  WatchTargetKind kind = WatchTargetKind::kMac;
  std::string target;  // canonical "AA:BB:CC:DD:EE:FF" for kMac, the identity's name otherwise

  friend bool operator==(const WatchEntry&, const WatchEntry&) = default;
};

// --- Events -------------------------------------------------------------------------------------

enum class PresenceEventKind { kArrive, kLeave, kRoomChange };
std::string_view ToString(PresenceEventKind kind);  // "arrive", "leave", "room_change"
std::optional<PresenceEventKind> PresenceEventKindFromString(std::string_view text);

// Something a watched device did. Stored (table presence_events) keyed by (device,
// interval_start, kind) before anyone publishes it, so a processor that fails over and runs the
// same intervals again neither sends an event twice nor skips one.
struct PresenceEvent {
  // Stable across processors and reruns: derived from (device, interval_start, kind) only, e.g.
  // "AA:BB:CC:DD:EE:FF/1764550800/arrive" (see PresenceEventId). Consumers deduplicate on it.
  std::string event_id;
  std::string watch_name;  // WatchEntry::name
  std::string device;      // WatchEntry::target: canonical MAC or identity name
  // The interval the event is about: for kArrive and kRoomChange the interval the device was seen
  // there; for kLeave the first interval it went unseen (it was decided later, in `decided_in`).
  UtcTime interval_start;
  PresenceEventKind kind = PresenceEventKind::kArrive;
  std::string from_room;  // empty for kArrive
  std::string to_room;    // empty for kLeave
  // The processed interval whose processing produced the event (>= interval_start).
  UtcTime decided_in;

  friend bool operator==(const PresenceEvent&, const PresenceEvent&) = default;
};

// The order events are told in: by interval_start, then watch name, then a leave before an arrive
// before a room change (a device that left and came back in one step).
bool EventBefore(const PresenceEvent& a, const PresenceEvent& b);

// "DEVICE/UNIX_SECONDS/KIND": the one definition of an event's id.
std::string PresenceEventId(std::string_view device, UtcTime interval_start,
                            PresenceEventKind kind);

// --- State after an interval --------------------------------------------------------------------

// A room is where a monitor stands: its location, or its name when it has no location.
struct WatchedState {
  std::string name;    // WatchEntry::name
  std::string device;  // WatchEntry::target
  bool home = false;
  std::string room;                  // the last room it was seen in; empty if never seen
  std::optional<UtcTime> last_seen;  // interval_start of the last interval it was seen in

  friend bool operator==(const WatchedState&, const WatchedState&) = default;
};

struct RoomOccupancy {
  std::string room;
  int devices = 0;  // devices (all, not only watched ones) whose room it was in the interval
  // The same devices split by ble_devices.device_class ("phone", "watch", "earbuds", ...;
  // "unknown" when not classified). The counts add up to `devices`.
  std::map<std::string, int> by_class;

  friend bool operator==(const RoomOccupancy&, const RoomOccupancy&) = default;
};

struct PresenceSnapshot {
  UtcTime interval_start;             // the processed interval it describes
  std::vector<WatchedState> watched;  // ordered by name
  std::vector<RoomOccupancy> rooms;   // ordered by room; rooms with no device are left out

  friend bool operator==(const PresenceSnapshot&, const PresenceSnapshot&) = default;
};

// --- The engine ---------------------------------------------------------------------------------

// The [presence] section of the config.
struct PresenceSettings {
  // A device that was home is away once this many intervals in a row passed without a sighting;
  // the leave event is dated to the first of them. 1..288. With 1 a departure is decided one
  // interval plus processor_wait after it happened (tests/bench/presence_bench.cc: no false
  // departure in the simulated world); raise it where scans miss devices that are there.
  int away_after_intervals = 1;
};

// One device as a processed interval kept it: the room of the monitor that heard it best.
struct PresenceSighting {
  std::string mac;                      // canonical AA:BB:CC:DD:EE:FF
  std::optional<std::string> identity;  // the identity it resolved to, when known
  std::string room;
  std::string device_class;  // RoomOccupancy::by_class's key

  friend bool operator==(const PresenceSighting&, const PresenceSighting&) = default;
};

// What the engine keeps between intervals (table presence_state): the last interval it ran for
// and each watched device's state after it.
struct PresenceState {
  std::optional<UtcTime> through;     // nullopt: never ran
  std::vector<WatchedState> watched;  // ordered by name

  friend bool operator==(const PresenceState&, const PresenceState&) = default;
};

// What one interval changes: the state after it, the events it produced (ordered by
// interval_start, then watch name, a leave before an arrive), and the snapshot to publish.
struct PresenceStep {
  PresenceState state;
  std::vector<PresenceEvent> events;
  PresenceSnapshot snapshot;
};

// Runs the presence rules for the processed interval `interval` on what it kept (`sightings`,
// any order, one per device), the watch list and the state before it. Pure and deterministic:
// the same inputs give the same step, so a standby that reruns an interval produces the same
// events with the same ids. Rules, per watch entry (matched by MAC, or by identity):
//   seen, was away (or never seen)  -> kArrive into the room it was seen in
//   seen, was home in another room  -> kRoomChange
//   seen after away_after_intervals or more unseen intervals while home -> kLeave dated to the
//                                      first unseen interval, then kArrive
//   unseen, home, and the interval is the away_after_intervals-th unseen one (or later) -> kLeave
// `interval_length` is the fleet's interval. Entries absent from `watch` are dropped from the
// state; new ones start away, never seen.
PresenceStep AdvancePresence(const PresenceSettings& settings, Seconds interval_length,
                             std::span<const WatchEntry> watch, const PresenceState& previous,
                             UtcTime interval, std::span<const PresenceSighting> sightings);

// One stay of a watched device in one room, as the events tell it.
struct Visit {
  std::string watch_name;
  std::string room;
  UtcTime start;  // the arrive or room_change interval
  UtcTime end;    // the next event's interval (a leave's first unseen interval), or `open_until`
  bool open = false;  // still there at `open_until`
};

// Cuts each watched device's events (ordered by interval_start, any devices) into visits: a
// visit starts with kArrive or kRoomChange and ends with the device's next event. Visits still
// open end at `open_until`. Ordered by (watch_name, start).
std::vector<Visit> VisitsOf(std::span<const PresenceEvent> events, UtcTime open_until);

// Per watched device and room: the visits and the dwell time (sum of end - start), ordered by
// (watch_name, room).
struct DwellRow {
  std::string watch_name;
  std::string room;
  int visits = 0;
  Seconds dwell{0};
  Seconds longest{0};
};
std::vector<DwellRow> DwellOf(std::span<const Visit> visits);

}  // namespace blemon
