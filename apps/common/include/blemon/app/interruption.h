#pragma once

#include <csignal>

namespace blemon::app {

// Lets a long admin operation (archive, migrate, retention) stop at a point of its choosing when
// the operator presses Ctrl-C or systemd sends SIGTERM: while an Interruption lives, the first
// SIGINT or SIGTERM only sets a flag that the operation polls between two transactions, so the
// current batch commits and the run ends with "stopped after N rows; run it again to continue".
// A second signal ends the process at once (the handler is reset to the default action): the
// transaction then open is rolled back by the database, so that loses nothing either.
//
// Handlers are installed with SA_RESTART, so a blocking read from the database is not cut short
// by the first signal. One Interruption at a time (the flag is process-wide); the destructor puts
// the previous handlers back.
class Interruption {
 public:
  Interruption();
  ~Interruption();
  Interruption(const Interruption&) = delete;
  Interruption& operator=(const Interruption&) = delete;

  // Whether SIGINT or SIGTERM has arrived since construction.
  bool requested() const;
  // The signal that arrived (SIGINT, SIGTERM), 0 when none.
  int signal_number() const;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace blemon::app
