#pragma once

#include <memory>

#include "blemon/ports.h"

namespace blemon::monitor {

// Wraps the spool to log, at DEBUG, each batch as it is committed locally and as it leaves after
// the store committed it. These lines are the monitor's audit trail: the integration tests
// compare them with the store's staging rows to prove nothing is lost or doubled.
std::unique_ptr<Spool> ObserveSpool(std::unique_ptr<Spool> inner, Logger& log);

}  // namespace blemon::monitor
