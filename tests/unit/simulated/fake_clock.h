#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "blemon/ports.h"

namespace blemon::simulated::testing {

// A clock under the test's control: wall time is whatever the test set, and sleeping advances both
// clocks to the deadline at once, so a 10 s scan takes no real time.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UtcTime now) : utc_(now) {}

  void Set(UtcTime now) { utc_ = now; }

  WallTime UtcNow() override { return std::chrono::floor<Seconds>(utc_); }
  SteadyTime SteadyNow() override { return steady_; }
  bool SleepUntil(SteadyTime deadline, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    if (deadline > steady_) {
      utc_ += deadline - steady_;
      steady_ = deadline;
    }
    return true;
  }

 private:
  std::chrono::sys_time<std::chrono::steady_clock::duration> utc_;
  SteadyTime steady_{};
};

// Fixed wall time, but real sleeping that a stop request interrupts: for tests of how quickly a
// scan gives up.
class SleepingClock final : public Clock {
 public:
  explicit SleepingClock(UtcTime now) : utc_(now) {}

  WallTime UtcNow() override { return utc_; }
  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }
  bool SleepUntil(SteadyTime deadline, std::stop_token stop) override {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop, deadline, [] { return false; });
    return !stop.stop_requested();
  }

 private:
  UtcTime utc_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

}  // namespace blemon::simulated::testing
