#pragma once

// Rooms that are right: the stable room of a device with hysteresis, and how far a sighting can
// be trusted. Pure rules, applied by the processor after best-RSSI selection (blemon/best_rssi.h)
// on every store; docs/rooms.md explains them and the benchmark behind the default thresholds.
//
// All RSSI values here are calibrated (raw RSSI + the monitor's offset) in tenths of a dB, the
// unit of BestRssiMerge, so the stores and the oracle agree to the last digit.

#include <map>
#include <optional>
#include <string_view>

#include "blemon/best_rssi.h"
#include "blemon/time.h"

namespace blemon {

// When a device's stable room moves to another monitor.
struct RoomRules {
  // The new winner beats the current room's monitor by at least this much (tenths of a dB) in one
  // interval: `room_switch_margin_db` in the config.
  int switch_margin_tenths = 80;
  // Or it wins this many intervals in a row: `room_switch_intervals`.
  int switch_intervals = 2;
  // A device not heard for longer than this starts afresh in the room of its next winner: after
  // a gap the old room says nothing about where it is now.
  Seconds forget_after{900};
};

// What the processor remembers of a device between intervals (table device_rooms).
struct RoomState {
  MonitorId monitor_id = 0;  // the stable room's monitor
  UtcTime interval_start;    // the latest interval decided
  // A winner other than the stable room, and how many intervals in a row it has won.
  std::optional<MonitorId> challenger;
  int challenger_intervals = 0;

  friend bool operator==(const RoomState&, const RoomState&) = default;
};

// The stable room after one more interval. `winner` is the interval's winner (by calibrated RSSI)
// and `calibrated_by_monitor` each monitor's best calibrated RSSI of the device in the interval
// (BestRssiMerge::CalibratedByMonitor). The room moves to the winner when there is no usable
// previous state (none, older than rules.forget_after, or not older than this interval), when
// the current room's monitor did not hear the device at all, when the winner beats it by
// rules.switch_margin_tenths, or when the winner has now won rules.switch_intervals in a row.
// Precondition: `winner` is a key of `calibrated_by_monitor`.
RoomState NextRoom(const std::optional<RoomState>& previous, UtcTime interval_start,
                   MonitorId winner, const std::map<MonitorId, int>& calibrated_by_monitor,
                   const RoomRules& rules);

// How far a sighting's room can be trusted.
//   high       heard by at least `high_min_monitors` monitors, the stable room is the interval's
//              winner, and the winner leads the next monitor by at least `high_margin_tenths`
//   ambiguous  the winner leads the next monitor by less than `ambiguous_margin_tenths`: two
//              rooms are as likely
//   low        everything else (heard by one monitor only, or a middling margin, or the stable
//              room held against another winner)
enum class Confidence { kHigh, kLow, kAmbiguous };

struct ConfidenceRules {
  int high_margin_tenths = 80;
  int high_min_monitors = 2;
  int ambiguous_margin_tenths = 20;
};

// `calibrated_margin_tenths` is the winner's calibrated lead over the best other monitor
// (Sighting::calibrated_margin_tenths; nullopt when it alone heard the device).
Confidence ClassifySighting(std::optional<int> calibrated_margin_tenths, int monitors_heard,
                            bool room_is_winner, const ConfidenceRules& rules);

struct RoomSettings {
  RoomRules rules;
  ConfidenceRules confidence;
};

// One device in one processed interval, as the store knows it.
struct RoomInput {
  Sighting sighting;  // the interval's winner, with its calibrated margin and monitors heard
  std::map<MonitorId, int> calibrated_by_monitor;  // each monitor's best, tenths of a dB
  std::optional<MonitorId> decided_room;           // device_sightings.room_monitor_id, if set
  std::optional<RoomState> state;                  // device_rooms
};

struct RoomDecision {
  MonitorId room_monitor_id = 0;
  Confidence confidence = Confidence::kLow;
  std::optional<RoomState> new_state;  // to store in device_rooms; nullopt: leave it as it is

  friend bool operator==(const RoomDecision&, const RoomDecision&) = default;
};

// The stable room and confidence of a device's sighting in `interval_start`. Intervals advance the
// state in order; an interval processed again (late rows) or processed after a newer one keeps
// the room it was given, or, if it never had one, gets its winner, and leaves the state alone:
// a late row never rewrites where a device has been since.
RoomDecision DecideRoom(const RoomInput& input, UtcTime interval_start,
                        const RoomSettings& settings);

// "high", "low", "ambiguous": the words stored in device_sightings.confidence.
std::string_view ToString(Confidence confidence);
std::optional<Confidence> ParseConfidence(std::string_view text);

}  // namespace blemon
