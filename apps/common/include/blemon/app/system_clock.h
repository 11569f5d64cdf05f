#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "blemon/ports.h"

namespace blemon::app {

// The real Clock: system_clock for interval labels (UTC, whole seconds), steady_clock for the
// cadence. SleepUntil wakes at once when its stop_token is requested (condition_variable_any),
// so SIGTERM never waits out a sleep.
//
// `tick`, if given, runs at least every `tick_every` while sleeping — the monitor pings the
// systemd watchdog from it, so the watchdog sees a live cycle rather than a live thread.
std::unique_ptr<Clock> MakeSystemClock(std::function<void()> tick = {},
                                       std::chrono::milliseconds tick_every = {});

}  // namespace blemon::app
