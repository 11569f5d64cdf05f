#include "blemon/app/interruption.h"

namespace blemon::app {
namespace {

// What a signal handler may portably write.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnStopSignal(int signo) {
  g_signal = signo;
  // A second Ctrl-C takes the default action (end the process) rather than waiting again.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace

Interruption::Interruption() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_int_);
  ::sigaction(SIGTERM, &action, &previous_term_);
}

Interruption::~Interruption() {
  ::sigaction(SIGINT, &previous_int_, nullptr);
  ::sigaction(SIGTERM, &previous_term_, nullptr);
}

bool Interruption::requested() const { return g_signal != 0; }

int Interruption::signal_number() const { return g_signal; }

}  // namespace blemon::app
