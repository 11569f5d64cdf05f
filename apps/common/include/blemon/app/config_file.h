#pragma once

#include <string>
#include <string_view>

#include "blemon/config.h"

namespace blemon::app {

// Where an installed blemon looks when no -c/--config is given.
inline constexpr std::string_view kDefaultConfigPath = "/etc/blemon/blemon.toml";

struct LoadedConfig {
  Config config;
  // The file read, or "built-in defaults" when none was: what messages name as the source.
  std::string source;
};

// Reads and parses the configuration. An empty `path` means `default_path` if that file exists,
// else the built-in defaults (an empty TOML document). A file that cannot be read, and every
// mistake ParseConfig finds, throws ConfigError naming the file (and line and key where known);
// applications print what() and exit kExitConfig.
LoadedConfig LoadConfig(const std::string& path,
                        std::string_view default_path = kDefaultConfigPath);

// Checks the files the configuration names, as the programs' start would find them, so that
// `blemon-monitor --check-config` and the start refuse the same things (exit kExitConfig):
// - database.password_file (backend mariadb): exists, is a readable file, is not readable by
//   everyone (the advice is 0640 root:_blemon), and holds a password on its first line;
// - with `check_log_file`, monitor.log_file: can be opened for appending (an existing file is
//   writable, or its directory lets us create it). Nothing is created.
// Throws ConfigError naming the config file, the key's line and the key.
void CheckLocalFiles(const LoadedConfig& loaded, bool check_log_file);

}  // namespace blemon::app
