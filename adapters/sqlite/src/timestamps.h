#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "blemon/time.h"

namespace blemon::sqlite::internal {

// Stored timestamps are UTC text 'YYYY-MM-DD HH:MM:SS': what SQLite's datetime('now') produces,
// what the MariaDB tables show, and ordered correctly by plain string comparison.
std::string FormatUtc(UtcTime t);
// nullopt for text that is not exactly that shape.
std::optional<UtcTime> ParseUtc(std::string_view text);

}  // namespace blemon::sqlite::internal
