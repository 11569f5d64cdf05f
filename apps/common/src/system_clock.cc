#include "blemon/app/system_clock.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace blemon::app {
namespace {

class SystemClock final : public Clock {
 public:
  SystemClock(std::function<void()> tick, std::chrono::milliseconds tick_every)
      : tick_(std::move(tick)), tick_every_(tick_every) {}

  WallTime UtcNow() override { return std::chrono::system_clock::now(); }

  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }

  bool SleepUntil(SteadyTime deadline, std::stop_token stop) override {
    const bool ticking = tick_ && tick_every_.count() > 0;
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      const SteadyTime now = SteadyNow();
      if (now >= deadline) return true;
      const SteadyTime wake = ticking ? std::min(deadline, now + tick_every_) : deadline;
      // Nothing ever notifies except the stop_token's callback, so the predicate only has to
      // report a stop; spurious wake-ups just loop.
      wake_.wait_until(lock, stop, wake, [] { return false; });
      if (ticking && !stop.stop_requested()) tick_();
    }
    return false;
  }

 private:
  std::function<void()> tick_;
  std::chrono::milliseconds tick_every_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

}  // namespace

std::unique_ptr<Clock> MakeSystemClock(std::function<void()> tick,
                                       std::chrono::milliseconds tick_every) {
  return std::make_unique<SystemClock>(std::move(tick), tick_every);
}

}  // namespace blemon::app
