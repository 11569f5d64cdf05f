#pragma once

// The store side of presence (schema version 7: watch_list, presence_state, presence_progress,
// presence_events, presence_occupancy). One port for the three who use it: blemon-admin's watch
// commands, the processor's presence step, and blemon-report's presence reports. Each store
// adapter implements it (adapters/<store>/src/<store>_presence_store.cc) and passes the contract
// suite (tests/contract/presence_store_contract.h).
//
// Threading: one thread at a time. Failures: Unavailable (store away; nothing changed, retry),
// Refused (it answers no: schema missing or older than version 7, access denied), LeaseLost from
// CommitPresence only. Times are UTC.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "blemon/best_rssi.h"
#include "blemon/presence.h"
#include "blemon/time.h"

namespace blemon {

// One row of presence_occupancy: how many devices a room held in one interval, of one class.
struct OccupancyRow {
  UtcTime interval_start;
  std::string room;
  std::string device_class;
  int devices = 0;

  friend bool operator==(const OccupancyRow&, const OccupancyRow&) = default;
};

// The snapshot a store keeps: `state` (through set) with the occupancy rows of its interval.
PresenceSnapshot SnapshotOf(PresenceState state, std::span<const OccupancyRow> rows);

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;
  PresenceStore() = default;
  PresenceStore(const PresenceStore&) = delete;
  PresenceStore& operator=(const PresenceStore&) = delete;

  // --- The watch list ---

  // Every entry, ordered by name.
  virtual std::vector<WatchEntry> WatchList() = 0;
  // Adds the entry; false (and nothing changed) when its name, or its (kind, target), is on the
  // list already. The caller has validated it (canonical MAC, name 1..64 characters).
  virtual bool AddWatch(const WatchEntry& entry) = 0;
  // Removes the entry and its presence state (its events stay); false when no entry has the name.
  virtual bool RemoveWatch(const std::string& name) = 0;

  // --- The processor ---

  // The engine's state as the last CommitPresence left it (empty when it never ran).
  virtual PresenceState LoadPresenceState() = 0;
  // Intervals with device_sightings rows and after < interval_start <= up_to, oldest first: the
  // processed intervals presence has not run for. With `after` nullopt (presence never ran) only
  // the newest such interval, so a first run on a long history starts at the present.
  virtual std::vector<UtcTime> PresenceDueIntervals(std::optional<UtcTime> after,
                                                    UtcTime up_to) = 0;
  // The interval's device_sightings, one per device: the MAC, the winner's room (its location, or
  // its name when the location is empty) and the device's class (ble_devices.device_class, or
  // "unknown"). Ordered by MAC.
  virtual std::vector<PresenceSighting> IntervalSightings(UtcTime interval) = 0;
  // Stores `step` for the interval step.state.through in one transaction that commits only if
  // `monitor` holds the lease under `epoch` (else throws LeaseLost, nothing changed): the state
  // replaces the stored one, each event is inserted unless its event_id is stored already (then
  // the stored one stays as it is, published or not), the snapshot's rooms become the interval's
  // occupancy rows. Returns false, and changes nothing, when the stored state is already at or
  // past that interval (another processor ran it first).
  virtual bool CommitPresence(const PresenceStep& step, MonitorId monitor, std::int64_t epoch) = 0;
  // Events not yet marked published, in the order they were stored, at most `limit`.
  virtual std::vector<PresenceEvent> UnpublishedEvents(int limit) = 0;
  // Marks the events published (store's clock); ids unknown or marked before are ignored.
  virtual void MarkPublished(std::span<const std::string> event_ids) = 0;
  // The state and occupancy as of the last committed interval; nullopt when presence never ran.
  virtual std::optional<PresenceSnapshot> LatestSnapshot() = 0;

  // --- Reports ---

  // Events with from <= interval_start < to, ordered by (interval_start, watch_name, kind: leave,
  // arrive, room_change).
  virtual std::vector<PresenceEvent> Events(UtcTime from, UtcTime to) = 0;
  // Occupancy rows with from <= interval_start < to, ordered by (interval_start, room, class).
  virtual std::vector<OccupancyRow> Occupancy(UtcTime from, UtcTime to) = 0;
};

}  // namespace blemon
