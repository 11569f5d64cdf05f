#pragma once

#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::sqlite {

// The monitor's local spool: a SQLite file in WAL mode, each Append committed (fsync'd) before it
// returns. Throws Unavailable when the file cannot be opened or created.
std::unique_ptr<Spool> OpenSpool(const std::string& path);

}  // namespace blemon::sqlite
