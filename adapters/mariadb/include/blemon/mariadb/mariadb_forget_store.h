#pragma once

#include <memory>

#include "blemon/config.h"
#include "blemon/forget.h"

namespace blemon::mariadb {

// Forgetting a device on the MariaDB server (blemon-admin forget), in one transaction. Connects
// lazily; each call throws Unavailable while the server cannot be reached and Refused when it says
// no (an account without DELETE on the tables: use the admin account). The server's binary logs,
// undo logs and backups keep what they kept (docs/privacy.md).
std::unique_ptr<ForgetStore> OpenForgetStore(const DatabaseSettings& settings);

}  // namespace blemon::mariadb
