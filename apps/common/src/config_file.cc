#include "blemon/app/config_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace blemon::app {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, 0, "", std::string("cannot read the file: ") + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path, 0, "", "cannot read the file: read error");
  }
  return text.str();
}

}  // namespace

LoadedConfig LoadConfig(const std::string& path, std::string_view default_path) {
  std::string chosen = path;
  if (chosen.empty() && !default_path.empty() && Exists(std::string(default_path))) {
    chosen = std::string(default_path);
  }
  if (chosen.empty()) {
    // Every key has a default, so the empty document is the built-in configuration.
    return {ParseConfig("", "built-in defaults"), "built-in defaults"};
  }
  const std::string text = ReadWholeFile(chosen);
  return {ParseConfig(text, chosen), chosen};
}

}  // namespace blemon::app
