#pragma once

#include <memory>

#include "blemon/config.h"
#include "blemon/identity_store.h"

namespace blemon::mariadb {

// The enrolled identities on the MariaDB server (blemon-admin identity). Connects lazily; each
// call throws Unavailable while the server cannot be reached and Refused when it says no, or when
// the database is below schema version 5 (the message says to run `blemon-admin migrate`).
std::unique_ptr<IdentityStore> OpenIdentityStore(const DatabaseSettings& settings);

}  // namespace blemon::mariadb
