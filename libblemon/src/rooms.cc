#include "blemon/rooms.h"

namespace blemon {

RoomState NextRoom(const std::optional<RoomState>& previous, UtcTime interval_start,
                   MonitorId winner, const std::map<MonitorId, int>& calibrated_by_monitor,
                   const RoomRules& rules) {
  const RoomState fresh{.monitor_id = winner,
                        .interval_start = interval_start,
                        .challenger = std::nullopt,
                        .challenger_intervals = 0};
  // No history, a stale one, or one from the future (an old interval replayed late): start anew.
  if (!previous || previous->interval_start >= interval_start ||
      interval_start - previous->interval_start > rules.forget_after) {
    return fresh;
  }
  if (winner == previous->monitor_id) return fresh;

  const auto current = calibrated_by_monitor.find(previous->monitor_id);
  if (current == calibrated_by_monitor.end()) return fresh;  // its room no longer hears it
  const int lead = calibrated_by_monitor.at(winner) - current->second;
  if (lead >= rules.switch_margin_tenths) return fresh;

  const int streak = previous->challenger == winner ? previous->challenger_intervals + 1 : 1;
  if (streak >= rules.switch_intervals) return fresh;
  return RoomState{.monitor_id = previous->monitor_id,
                   .interval_start = interval_start,
                   .challenger = winner,
                   .challenger_intervals = streak};
}

Confidence ClassifySighting(std::optional<int> calibrated_margin_tenths, int monitors_heard,
                            bool room_is_winner, const ConfidenceRules& rules) {
  if (calibrated_margin_tenths && *calibrated_margin_tenths < rules.ambiguous_margin_tenths) {
    return Confidence::kAmbiguous;
  }
  if (room_is_winner && monitors_heard >= rules.high_min_monitors && calibrated_margin_tenths &&
      *calibrated_margin_tenths >= rules.high_margin_tenths) {
    return Confidence::kHigh;
  }
  return Confidence::kLow;
}

RoomDecision DecideRoom(const RoomInput& input, UtcTime interval_start,
                        const RoomSettings& settings) {
  const Sighting& s = input.sighting;
  RoomDecision decision;
  if (input.state && input.state->interval_start >= interval_start) {
    decision.room_monitor_id = input.decided_room.value_or(s.monitor_id);
  } else {
    decision.new_state = NextRoom(input.state, interval_start, s.monitor_id,
                                  input.calibrated_by_monitor, settings.rules);
    decision.room_monitor_id = decision.new_state->monitor_id;
  }
  decision.confidence =
      ClassifySighting(s.calibrated_margin_tenths, s.monitors_heard,
                       decision.room_monitor_id == s.monitor_id, settings.confidence);
  return decision;
}

std::string_view ToString(Confidence confidence) {
  switch (confidence) {
    case Confidence::kHigh:
      return "high";
    case Confidence::kLow:
      return "low";
    case Confidence::kAmbiguous:
      return "ambiguous";
  }
  return "low";
}

std::optional<Confidence> ParseConfidence(std::string_view text) {
  for (const Confidence c : {Confidence::kHigh, Confidence::kLow, Confidence::kAmbiguous}) {
    if (ToString(c) == text) return c;
  }
  return std::nullopt;
}

}  // namespace blemon
