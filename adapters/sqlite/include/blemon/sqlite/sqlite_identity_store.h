#pragma once

#include <memory>
#include <string>

#include "blemon/identity_store.h"

namespace blemon::sqlite {

// The enrolled identities in the SQLite file at `path` (blemon-admin identity). Like the report
// store it never creates the file: a missing file throws Unavailable naming the path, a file below
// schema version 5 throws Refused saying to run `blemon-admin migrate`.
std::unique_ptr<IdentityStore> OpenIdentityStore(const std::string& path);

}  // namespace blemon::sqlite
