#pragma once

#include <memory>
#include <string>

#include "blemon/outbox.h"

namespace blemon::sqlite {

// The processor's outbox (blemon/outbox.h): a SQLite file in WAL mode in the monitor's state
// directory, each Enqueue committed (fsync'd) before it returns. Throws Unavailable when the file
// cannot be opened or created, Refused when it is not an outbox this blemon understands.
std::unique_ptr<Outbox> OpenOutbox(const std::string& path);

}  // namespace blemon::sqlite
