#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace blemon {

// Every stored timestamp is UTC with one-second resolution (the seed schema's TIMESTAMP columns).
using Seconds = std::chrono::seconds;
using UtcTime = std::chrono::sys_seconds;
// The wall clock at full precision, for timing; floored to UtcTime before anything is labelled.
using WallTime = std::chrono::system_clock::time_point;
// The cadence runs on a steady clock so that wall-clock jumps never skip or double an interval.
using SteadyTime = std::chrono::steady_clock::time_point;

// Whole milliseconds the steady clock advanced since `start`: how the stores time a processing run.
inline std::int64_t MillisecondsSince(SteadyTime start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// "2026-02-22 15:30:00 UTC": how every message names an interval or a stored time, whatever the
// process's TZ. The zone is part of the text so that no reader takes it for local time.
std::string UtcLabel(UtcTime t);

}  // namespace blemon
