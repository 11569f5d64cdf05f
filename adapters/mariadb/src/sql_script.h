#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace blemon::mariadb {

// Splits a SQL script written for the mariadb command-line client into statements: `DELIMITER x`
// lines change the terminator (for procedure bodies), `--` comment lines and blank lines are
// skipped. A statement ends where a line ends with the current delimiter; migrations are written
// that way (a delimiter inside a string literal mid-line is therefore harmless).
std::vector<std::string> SplitSqlScript(std::string_view script);

}  // namespace blemon::mariadb
