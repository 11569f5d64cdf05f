#pragma once

#include <chrono>

namespace blemon {

// Every stored timestamp is UTC with one-second resolution (the seed schema's TIMESTAMP columns).
using Seconds = std::chrono::seconds;
using UtcTime = std::chrono::sys_seconds;
// The wall clock at full precision, for timing; floored to UtcTime before anything is labelled.
using WallTime = std::chrono::system_clock::time_point;
// The cadence runs on a steady clock so that wall-clock jumps never skip or double an interval.
using SteadyTime = std::chrono::steady_clock::time_point;

}  // namespace blemon
