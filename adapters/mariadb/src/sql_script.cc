#include "sql_script.h"

#include <cctype>

namespace blemon::mariadb {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWithKeyword(std::string_view line, std::string_view keyword) {
  if (line.size() <= keyword.size()) return false;
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(line[i])) != keyword[i]) return false;
  }
  return std::isspace(static_cast<unsigned char>(line[keyword.size()])) != 0;
}

}  // namespace

std::vector<std::string> SplitSqlScript(std::string_view script) {
  std::vector<std::string> statements;
  std::string delimiter = ";";
  std::string current;
  while (!script.empty()) {
    const std::size_t eol = script.find('\n');
    std::string_view line = script.substr(0, eol);
    script.remove_prefix(eol == std::string_view::npos ? script.size() : eol + 1);

    const std::string_view trimmed = Trim(line);
    if (current.empty() && (trimmed.empty() || trimmed.starts_with("--"))) continue;
    if (current.empty() && StartsWithKeyword(trimmed, "DELIMITER")) {
      delimiter = std::string(Trim(trimmed.substr(9)));
      continue;
    }
    if (trimmed.ends_with(delimiter)) {
      current.append(line.substr(0, line.rfind(delimiter)));
      const std::string_view statement = Trim(current);
      if (!statement.empty()) statements.emplace_back(statement);
      current.clear();
    } else {
      current.append(line);
      current.push_back('\n');
    }
  }
  const std::string_view rest = Trim(current);
  if (!rest.empty()) statements.emplace_back(rest);
  return statements;
}

}  // namespace blemon::mariadb
