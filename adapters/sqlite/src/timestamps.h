#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "blemon/time.h"
#include "connection.h"

namespace blemon::sqlite::internal {

// Stored timestamps are UTC text 'YYYY-MM-DD HH:MM:SS': what SQLite's datetime('now') produces,
// what the MariaDB tables show, and ordered correctly by plain string comparison.
std::string FormatUtc(UtcTime t);
// nullopt for text that is not exactly that shape.
std::optional<UtcTime> ParseUtc(std::string_view text);

// The timestamp in `column` of the current row of `row`, read from `db`. Throws Refused, naming
// the file, when the text is not a stored timestamp: the file was written by something else.
UtcTime ReadTime(const Statement& row, int column, const Connection& db);
// As ReadTime, nullopt for NULL.
std::optional<UtcTime> ReadOptionalTime(const Statement& row, int column, const Connection& db);

}  // namespace blemon::sqlite::internal
