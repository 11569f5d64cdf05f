#pragma once

#include <memory>
#include <string>

#include "blemon/ports.h"

namespace blemon::sqlite {

// The Store on a SQLite file: the embedded default. Creates the file and schema if missing.
// Several monitor processes may open the same file (WAL, busy timeout, immediate transactions).
// Throws Unavailable when the file cannot be opened, Refused for a schema it does not know.
std::unique_ptr<Store> OpenStore(const std::string& path);

}  // namespace blemon::sqlite
