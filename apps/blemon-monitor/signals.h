#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace blemon::monitor {

// SIGINT/SIGTERM handling without async-signal-safety worries: the signals are blocked in every
// thread and one thread takes them with sigtimedwait, then runs ordinary code.
class SignalWatcher {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread. Call first thing in main(), before any
  // thread exists, so that every later thread inherits the mask.
  static void BlockSignals();

  // `on_signal` runs (on the watcher's thread) for the first signal; it should request a stop.
  // If the process is still running `grace` after that, or a second signal arrives, `on_overdue`
  // runs; it is expected to end the process.
  SignalWatcher(std::function<void(int)> on_signal, std::chrono::milliseconds grace,
                std::function<void()> on_overdue);

 private:
  void Watch(std::stop_token stop);

  std::function<void(int)> on_signal_;
  std::chrono::milliseconds grace_;
  std::function<void()> on_overdue_;
  std::jthread thread_;  // last: started once the members above exist
};

}  // namespace blemon::monitor
