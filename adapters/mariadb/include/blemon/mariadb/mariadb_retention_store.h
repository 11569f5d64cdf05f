#pragma once

#include <memory>

#include "blemon/config.h"
#include "blemon/retention.h"

namespace blemon::mariadb {

// Retention over MariaDB: daily partitions dropped and added once a day by the processor, or
// batched deletes on a table `blemon-admin retention enable` has not partitioned; and that
// conversion. Connects lazily; works on any schema from version 1 (the conversion's state lives
// in fleet_settings).
std::unique_ptr<RetentionStore> OpenRetentionStore(const DatabaseSettings& settings);

}  // namespace blemon::mariadb
