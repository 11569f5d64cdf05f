#include "signals.h"

#include <pthread.h>

#include <csignal>
#include <ctime>
#include <optional>
#include <utility>

namespace blemon::monitor {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void SignalWatcher::BlockSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal, std::chrono::milliseconds grace,
                             std::function<void()> on_overdue)
    : on_signal_(std::move(on_signal)),
      grace_(grace),
      on_overdue_(std::move(on_overdue)),
      thread_([this](std::stop_token stop) { Watch(stop); }) {}

void SignalWatcher::Watch(std::stop_token stop) {
  const sigset_t set = StopSignals();
  std::optional<std::chrono::steady_clock::time_point> first_signal;
  // A short timeout lets the thread notice its own stop (the process ending normally) and the
  // grace deadline without any extra wake-up mechanism.
  const timespec poll{0, 200'000'000};
  while (!stop.stop_requested()) {
    siginfo_t info{};
    const int signo = sigtimedwait(&set, &info, &poll);
    if (signo > 0) {
      if (!first_signal) {
        first_signal = std::chrono::steady_clock::now();
        on_signal_(signo);
      } else {
        on_overdue_();
      }
    } else if (first_signal && std::chrono::steady_clock::now() - *first_signal > grace_) {
      on_overdue_();
      first_signal = std::chrono::steady_clock::now();  // in case on_overdue_ returns
    }
  }
}

}  // namespace blemon::monitor
