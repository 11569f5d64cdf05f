#pragma once

#include <memory>
#include <string>

#include "blemon/retention.h"

namespace blemon::sqlite {

// Retention on the SQLite file at `path`: batched deletes (SQLite has no partitions; ConvertStep
// answers kNotApplicable). The file must hold blemon's schema (the processor's Store made it).
std::unique_ptr<RetentionStore> OpenRetentionStore(const std::string& path);

}  // namespace blemon::sqlite
