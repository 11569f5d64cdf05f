#pragma once

// Presence: which watched devices are home, in which room, and when they arrive, leave or move;
// how many devices each room holds. The processor runs the engine after each processed interval
// and hands its output to the Publisher port (blemon/ports.h). The types here are the engine's
// output, the shapes the store keeps and the publisher sends.

#include <cstdint>
#include <map>
#include <optional>
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
  // The same devices split by class: device_class where known, else the address class
  // ("public", "random-static", ...). The counts add up to `devices`.
  std::map<std::string, int> by_class;

  friend bool operator==(const RoomOccupancy&, const RoomOccupancy&) = default;
};

struct PresenceSnapshot {
  UtcTime interval_start;             // the processed interval it describes
  std::vector<WatchedState> watched;  // ordered by name
  std::vector<RoomOccupancy> rooms;   // ordered by room; rooms with no device are left out

  friend bool operator==(const PresenceSnapshot&, const PresenceSnapshot&) = default;
};

}  // namespace blemon
